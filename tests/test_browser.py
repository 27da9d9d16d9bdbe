"""An editor's day in a real browser: Playwright driving the system Chromium against a live server."""

from django.db import connections

from cms.publishing import Status

from .browser import BROWSER_TEST
from .factories import SectionFactory, VideoFactory

pytestmark = BROWSER_TEST


def test_editor_writes_and_publishes_an_article_with_a_heading_a_link_and_a_video(
    live_server, browser_page, django_user_model, client
):
    django_user_model.objects.create_superuser("editor", "editor@example.com", "a-long-editor-password")
    SectionFactory(name="News", slug="news")
    video = VideoFactory(live=True, title="Frontline footage", embed_url="https://player.example/embed/42")
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/articles/article/add/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")

    page.locator("#id_headline").press_sequentially("Drones over the front")
    assert page.input_value("#id_slug") == "drones-over-the-front"  # prefilled from the headline

    page.click("[aria-labelledby=select2-id_section-container]")
    page.fill(".select2-search__field", "News")
    page.click(".select2-results__option >> text=News")

    editor = page.locator(".ProseMirror:visible")
    editor.click()
    page.keyboard.type("## What we know")  # markdown shortcut: a level-2 heading
    page.keyboard.press("Enter")
    page.keyboard.type("Read the full report at https://example.com/report ")  # autolinked
    page.keyboard.press("Enter")
    page.click("button[title='Embed a video']")
    page.fill(".content-embed-picker input[name=term]", "Frontline")
    page.click(".content-embed-result >> text=Frontline footage")
    assert editor.locator("figure[data-embed=video]").count() == 1

    page.select_option("#id_status", Status.PUBLISHED)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    article = client.get("/api/v1/articles/drones-over-the-front/").json()
    # While Playwright runs, this code has database connections of its own (per-context storage);
    # left open, one would stop the test database from being dropped at the end of the run.
    connections.close_all()
    blocks = article["body"]
    assert blocks[0] == {
        "type": "heading",
        "level": 2,
        "text": "What we know",
        "html": "What we know",
        "spans": [{"text": "What we know", "marks": []}],
    }
    assert {
        "text": "https://example.com/report",
        "marks": [],
        "href": "https://example.com/report",
    } in blocks[1]["spans"]
    assert blocks[2]["type"] == "video"
    assert blocks[2]["video"]["slug"] == video.slug
    assert '<iframe src="https://player.example/embed/42"' in article["body_html"]
    assert article["section"]["name"] == "News"
