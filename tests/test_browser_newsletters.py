"""Newsletters in a real browser: a reader following the links in their emails, and an editor
writing, previewing and sending an edition. Playwright drives the system Chromium against a live
server, as in test_browser.py; emails sent by the live server's thread land in `mailoutbox` too."""

import re

import pytest
from django.db import connections

from newsletters.models import Edition, Erasure, Subscriber, Subscription

from .browser import BROWSER_TEST, playwright
from .factories import ArticleFactory, NewsletterFactory, SubscriptionFactory, VideoFactory

pytestmark = BROWSER_TEST


@pytest.fixture
def links_to_live_server(settings, live_server):
    """Emails link to the live server's own pages, whatever the environment says."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.NEWSLETTER_CONFIRM_URL = ""
    settings.NEWSLETTER_MANAGE_URL = ""
    return live_server.url


def subscription_status(subscription_id):
    status = Subscription.objects.filter(pk=subscription_id).values_list("status", flat=True).first()
    # While Playwright runs, this code has database connections of its own (per-context storage);
    # left open, one would stop the test database from being dropped at the end of the run.
    connections.close_all()
    return status


def test_reader_confirms_chooses_and_erases_through_the_links_in_their_email(
    links_to_live_server, browser_page, client, mailoutbox
):
    newsletter = NewsletterFactory(name="Morning Briefing", slug="morning-briefing")
    expect = playwright.expect
    page = browser_page

    response = client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
        {"email": "reader@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 202
    subscription_id = Subscription.objects.get(subscriber__email="reader@example.com").pk
    connections.close_all()
    [email] = mailoutbox
    urls = re.findall(re.escape(links_to_live_server) + r"/\S+", email.body)
    [confirm_url] = [url for url in urls if "/newsletters/confirm/" in url]
    [manage_url] = [url for url in urls if "/newsletters/manage/" in url]

    # Opening the link only asks: mail scanners open links too.
    page.goto(confirm_url)
    expect(page.locator("h1")).to_have_text("Confirm your subscription to Morning Briefing")
    assert subscription_status(subscription_id) == Subscription.Status.PENDING
    page.get_by_role("button", name="Confirm subscription").click()
    expect(page.locator("h1")).to_have_text("You are subscribed")
    assert subscription_status(subscription_id) == Subscription.Status.CONFIRMED

    page.goto(manage_url)
    checkbox = page.get_by_role("checkbox", name="Morning Briefing")
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Your choices are saved.")
    expect(page.get_by_role("checkbox", name="Morning Briefing")).not_to_be_checked()
    assert subscription_status(subscription_id) == Subscription.Status.UNSUBSCRIBED

    # Erasing cannot be undone: the manage page links to a page that asks once more.
    page.get_by_role("link", name="Erase everything about me").click()
    expect(page.locator("h1")).to_have_text("Erase everything about me")
    assert Subscriber.objects.filter(email="reader@example.com").exists()
    connections.close_all()
    page.get_by_role("button", name="Erase everything about me").click()
    expect(page.locator("h1")).to_have_text("Everything about you is erased")
    assert not Subscriber.objects.filter(email="reader@example.com").exists()
    assert list(Erasure.objects.values_list("via", flat=True)) == [Erasure.Via.LINK]
    connections.close_all()

    response = page.goto(manage_url)
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("This link does not work")


def test_editor_builds_previews_and_sends_an_edition_to_confirmed_subscribers(
    live_server, browser_page, django_user_model, mailoutbox
):
    django_user_model.objects.create_superuser("editor", "editor@example.com", "a-long-editor-password")
    newsletter = NewsletterFactory(name="Evening Digest", slug="evening-digest")
    ArticleFactory(live=True, headline="Harbour bridge reopens", slug="harbour-bridge-reopens")
    VideoFactory(live=True, title="Night ferry crossing", slug="night-ferry-crossing")
    readers = [SubscriptionFactory(newsletter=newsletter, confirmed=True).subscriber.email for _ in range(2)]
    SubscriptionFactory(newsletter=newsletter)  # pending: gets nothing
    connections.close_all()
    expect = playwright.expect
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/newsletters/edition/add/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a-long-editor-password")
    page.click("input[type=submit]")

    page.select_option("#id_newsletter", label="Evening Digest")
    page.fill("#id_subject", "Tonight on the waterfront")
    page.fill("#id_intro", "Good evening.\n\nTwo stories from the river.")
    page.fill("#id_items-0-position", "1")
    page.click("[aria-labelledby=select2-id_items-0-article-container]")
    page.fill(".select2-search__field", "Harbour")
    page.click(".select2-results__option >> text=Harbour bridge reopens")
    page.get_by_role("button", name="Add another story").click()
    page.fill("#id_items-1-position", "2")
    page.click("[aria-labelledby=select2-id_items-1-video-container]")
    page.fill(".select2-search__field", "ferry")
    page.click(".select2-results__option >> text=Night ferry crossing")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")

    page.get_by_role("link", name="Preview", exact=True).click()
    email_html = page.frame_locator("iframe[title='HTML version']")
    expect(email_html.get_by_text("Harbour bridge reopens")).to_be_visible()
    expect(email_html.get_by_text("Night ferry crossing")).to_be_visible()
    page.go_back()

    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        "Sent “Tonight on the waterfront” to 2 subscriber(s)."
    )

    assert sorted(address for message in mailoutbox for address in message.to) == sorted(readers)
    for message in mailoutbox:
        assert message.subject == "Tonight on the waterfront"
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        for title in ("Harbour bridge reopens", "Night ferry crossing"):
            assert title in message.body
            assert title in html
    assert Edition.objects.get().status == Edition.Status.SENT
    connections.close_all()
