"""Live pages in a real browser, as the newsroom works them: an editor turns the seed article into
a live page and posts from the live desk's short form, a reporter drafts a post the editor then
publishes, and a reader's poll of the API picks up each post at once. Playwright drives the system
Chromium against a live server, as in test_browser.py; the API is read as a reader would, with no
cookies (urllib), so that its answers are the public, cached ones with ETags."""

import json
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections

from .browser import BROWSER_TEST, playwright

pytestmark = BROWSER_TEST

PASSWORD = "correct horse battery"  # the role fixtures' (conftest.py)
ARTICLE_SLUG = "north-korean-troops-kursk-escalation-zelensky"  # the seed article (seeds/documents)


@pytest.fixture
def seeded(live_server, desk_editor, reporter):
    """The seed content, an editor (the Editor group) and a reporter (the Reporter group)."""
    call_command("load_seeds", stdout=StringIO())
    # While Playwright runs, this code has database connections of its own (per-context storage);
    # left open, one would stop the test database from being dropped at the end of the run.
    connections.close_all()
    return live_server.url


def read_api(url, etag=None):
    """A reader's GET of the public API: (status, ETag, JSON or None for a 304)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if etag is not None:
        request.add_header("If-None-Match", etag)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.headers["ETag"], json.load(response)
    except urllib.error.HTTPError as error:
        if error.code != 304:
            raise
        return error.code, error.headers["ETag"], None


def log_in(page, base_url, username, next_path):
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def write_post(page, title, text):
    """Fill the desk's short form: a title, and a paragraph typed into the rich text editor."""
    page.fill("#id_title", title)
    body = page.locator("#live-post-form .field-body_html [contenteditable=true]")
    body.click()
    page.keyboard.type(text)
    playwright.expect(body).to_contain_text(text)


def test_an_editor_makes_the_seed_article_live_and_posts_reach_the_api_within_one_poll(seeded, browser_page):
    base_url, expect, page = seeded, playwright.expect, browser_page

    # 1. The editor finds the seed article and turns it into a live page.
    log_in(page, base_url, "desk-editor", "/admin/articles/article/")
    page.fill("#searchbar", "North Korean troops")
    page.press("#searchbar", "Enter")
    page.get_by_role("link", name="North Korean troops being used in Kursk", exact=False).click()
    expect(page.locator("#id_headline")).to_have_value(
        "North Korean troops being used in Kursk marks an escalation in war, says Zelensky"
    )
    expect(page.locator(".field-live_desk")).to_contain_text("Set live coverage and save")
    page.select_option("#id_live_status", label="Live")
    page.fill("#id_coverage_start_0", "2024-12-16")
    page.fill("#id_coverage_start_1", "09:30:00")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(page.locator("#id_live_status")).to_have_value("live")

    # 2. The API's detail is now a live page with nothing posted yet, and says where to poll.
    status, _, article = read_api(f"{base_url}/api/v1/articles/{ARTICLE_SLUG}/")
    assert status == 200
    live = article["live"]
    assert live["status"] == "live"
    assert live["coverage_start"] == "2024-12-16T09:30:00Z"
    assert live["posts"] == [] and live["key_events"] == []
    assert live["poll"] == f"{base_url}/api/v1/articles/{ARTICLE_SLUG}/posts/?since={live['since']}"

    # 3. The desk's short form: a title, a paragraph in the rich text editor, a key event.
    page.get_by_role("link", name="Open the live desk").click()
    expect(page.locator("h1")).to_contain_text("Live desk")
    desk_path = page.url.removeprefix(base_url)
    write_post(page, "Troops cross the border", "Columns of armour were seen moving north at dawn.")
    page.check("#id_key_event")
    page.get_by_role("button", name="Publish now").click()
    expect(page.locator(".messagelist li")).to_have_text("Post published.")

    # 4. The post leads the desk's stream.
    newest = page.locator("#live-posts tbody tr").first
    expect(newest).to_contain_text("Troops cross the border")
    expect(newest).to_contain_text("Columns of armour were seen moving north at dawn.")
    expect(newest).to_contain_text("Published · key event")

    # 5. One poll brings it, and moves `since` on; polling from there changes nothing until the
    # next post (200 with no results, then 304 for the ETag of that answer).
    status, _, first = read_api(live["poll"])
    assert status == 200
    [published] = first["results"]
    assert published["title"] == "Troops cross the border"
    assert published["text"] == "Columns of armour were seen moving north at dawn."
    assert published["key_event"] is True and published["pinned"] is False
    assert first["removed"] == [] and first["has_more"] is False
    assert int(first["since"]) > int(live["since"])
    assert first["poll"].endswith(f"?since={first['since']}")
    status, etag, quiet = read_api(first["poll"])
    assert status == 200 and quiet["results"] == [] and quiet["since"] == first["since"]
    assert read_api(first["poll"], etag)[0] == 304
    status, _, article = read_api(f"{base_url}/api/v1/articles/{ARTICLE_SLUG}/")
    assert [event["title"] for event in article["live"]["key_events"]] == ["Troops cross the border"]

    # 6. A reporter, in a browser of their own, may only draft: no "Publish now", no Publish or
    # Delete buttons in the stream, and readers do not see the draft.
    reporter_page = page.context.browser.new_page()
    reporter_page.set_default_timeout(15_000)
    log_in(reporter_page, base_url, "reporter", desk_path)
    expect(reporter_page.get_by_role("button", name="Save as draft")).to_be_visible()
    expect(reporter_page.get_by_role("button", name="Publish now")).to_have_count(0)
    write_post(reporter_page, "Drones over Sudzha", "Residents report drones over the town.")
    reporter_page.get_by_role("button", name="Save as draft").click()
    expect(reporter_page.locator(".messagelist .success")).to_have_text("Post saved as a draft.")
    draft_row = reporter_page.locator("#live-posts tbody tr", has_text="Drones over Sudzha")
    expect(draft_row).to_contain_text("Draft")
    expect(draft_row.get_by_role("button")).to_have_count(0)  # neither Publish nor Delete
    expect(draft_row.get_by_role("link", name="Edit")).to_be_visible()
    assert read_api(first["poll"], etag)[0] == 304  # nothing readers see has changed
    reporter_page.close()

    # The editor publishes the draft from the stream, and the next poll brings it.
    page.reload()
    draft_row = page.locator("#live-posts tbody tr", has_text="Drones over Sudzha")
    expect(draft_row).to_contain_text("Draft")
    draft_row.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".messagelist li")).to_have_text("Post published.")
    expect(draft_row).to_contain_text("Published")  # the same row, now published
    expect(draft_row).not_to_contain_text("Draft")

    status, _, second = read_api(first["poll"], etag)
    assert status == 200
    [reported] = second["results"]
    assert reported["title"] == "Drones over Sudzha"
    assert reported["text"] == "Residents report drones over the town."
    assert reported["key_event"] is False
    assert int(second["since"]) > int(first["since"])
    assert read_api(second["poll"])[2]["results"] == []
