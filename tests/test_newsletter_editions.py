"""Editions: how they read as email, the edition admin (preview, tests, scheduling), and the
public archive of sent editions."""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cms.publishing import Status
from newsletters.editions import schedule_edition
from newsletters.models import Delivery, Edition, EditionItem

from .factories import (
    ArticleFactory,
    EditionFactory,
    EditionItemFactory,
    ImageFactory,
    NewsletterFactory,
    SubscriptionFactory,
    VideoFactory,
    png_file,
)

pytestmark = pytest.mark.django_db

EDITIONS = reverse("admin:newsletters_edition_changelist")
ADD_EDITION = reverse("admin:newsletters_edition_add")


def admin_url(name, edition):
    return reverse(f"admin:newsletters_edition_{name}", args=[edition.pk])


def archive(newsletter):
    return f"/api/v1/newsletters/{newsletter.slug}/editions/"


def sent_edition(newsletter=None, **fields):
    """An edition that went out, as the sender leaves it."""
    fields.setdefault("sent_at", timezone.now())
    return EditionFactory(newsletter=newsletter or NewsletterFactory(), status=Edition.Status.SENT, **fields)


@pytest.fixture
def stories():
    """A live article with a wide picture, a live video, a draft and an expired article."""
    return {
        "article": ArticleFactory(
            live=True,
            headline="Carrier sails for the Pacific",
            standfirst="HMS Prince of Wales leaves Portsmouth.",
            hero_image=ImageFactory(file=png_file(size=(1000, 600))),
        ),
        "video": VideoFactory(live=True, title="F-35B Lightnings on deck", description="Night landings."),
        "draft": ArticleFactory(status=Status.DRAFT, headline="Unfinished draft"),
        "expired": ArticleFactory(
            live=True, headline="Old news", expires_at=timezone.now() - timedelta(minutes=1)
        ),
    }


@pytest.fixture
def edition(stories):
    """Picked in this order: video, draft, article, expired."""
    edition = EditionFactory(
        subject="Week in defence",
        intro="Hello <b>readers</b> & friends.\n\nSecond paragraph,\nwith a line break.",
    )
    for position, name in enumerate(["video", "draft", "article", "expired"]):
        target = stories[name]
        kind = "video" if name == "video" else "article"
        EditionItemFactory(edition=edition, position=position, **{kind: target})
    return edition


def one_email(edition):
    """The edition as its one confirmed subscriber receives it: (message, HTML, text)."""
    SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)
    schedule_edition(edition=edition)
    (message,) = mail.outbox
    return message, message.alternatives[0].content, message.body


# --- Rendering -----------------------------------------------------------------------------------
def test_the_email_shows_subject_intro_and_the_visible_stories_in_order(edition, stories):
    message, html, text = one_email(edition)

    assert message.subject == "Week in defence"
    for version in (html, text):
        assert "Week in defence" in version and edition.newsletter.name in version
        video_at = version.index("F-35B Lightnings on deck")
        article_at = version.index("Carrier sails for the Pacific")
        assert video_at < article_at
        assert "HMS Prince of Wales leaves Portsmouth." in version and "Night landings." in version
        assert "Unfinished draft" not in version and "Old news" not in version
        assert f"http://localhost:3000/articles/{stories['article'].slug}" in version
        assert f"http://localhost:3000/videos/{stories['video'].slug}" in version
        assert f"/articles/{stories['draft'].slug}" not in version
    assert "Second paragraph,\nwith a line break." in text


def test_the_intro_is_escaped_in_html_and_split_into_paragraphs(edition):
    _, html, text = one_email(edition)

    assert "Hello &lt;b&gt;readers&lt;/b&gt; &amp; friends." in html
    assert "<b>readers</b>" not in html
    assert "Second paragraph,<br>with a line break." in html
    assert "Hello <b>readers</b> & friends." in text  # plain text is not HTML


def test_pictures_are_absolute_and_about_640_pixels_wide(edition, stories, settings):
    settings.PUBLIC_BASE_URL = "https://api.newsroom.example"
    _, html, _ = one_email(edition)

    image = stories["article"].hero_image
    (rendition,) = [r for r in image.renditions if r["width"] == 640]
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == [f"https://api.newsroom.example/media/{rendition['path']}"]
    assert 'width="560"' in html and 'alt="Picture' in html


def test_the_html_is_email_safe(edition):
    _, html, _ = one_email(edition)

    assert "<table" in html and 'style="' in html
    assert "<script" not in html and "<link" not in html and "<style" not in html


def test_the_footer_says_why_and_links_to_preferences_and_unsubscribe(edition):
    message, html, text = one_email(edition)

    for version in (html, text):
        assert "because you subscribed" in version
        assert "/newsletters/manage/" in version and "/newsletters/unsubscribe/" in version
        assert 'href="#"' not in version


# --- Admin ---------------------------------------------------------------------------------------
def test_the_preview_shows_html_and_text_with_placeholder_links(desk_editor_client, edition):
    response = desk_editor_client.get(admin_url("preview", edition))

    assert response.status_code == 200
    page = response.content.decode()
    frame = BeautifulSoup(page, "html.parser").find("iframe")
    assert frame["srcdoc"].lower().startswith("<!doctype html>")
    assert frame["srcdoc"].rstrip().endswith("</html>")
    assert "Week in defence" in frame["srcdoc"] and "Carrier sails for the Pacific" in frame["srcdoc"]
    assert "Carrier sails for the Pacific" in response.context["text"]
    assert "Unsubscribe: #" in response.context["text"]
    assert "2 of the edition" in page  # the draft and the expired one are left out, and it says so
    assert mail.outbox == []


def test_a_test_goes_to_the_editor_only_and_records_nothing(desk_editor_client, desk_editor, edition):
    SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)

    response = desk_editor_client.post(admin_url("send_test", edition), follow=True)

    (message,) = mail.outbox
    assert message.to == [desk_editor.email]
    assert message.subject == "[TEST] Week in defence"
    assert "List-Unsubscribe" not in message.extra_headers
    assert not Delivery.objects.exists()
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT
    assert f"sent to {desk_editor.email}" in response.content.decode()


def test_an_editor_without_an_address_is_told_so(desk_editor_client, desk_editor, edition):
    desk_editor.email = ""
    desk_editor.save()

    response = desk_editor_client.post(admin_url("send_test", edition), follow=True)

    assert mail.outbox == []
    assert "has no email address" in response.content.decode()


def test_send_now_in_the_admin_sends_to_confirmed_subscribers(desk_editor_client, edition):
    subscription = SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)
    SubscriptionFactory(newsletter=edition.newsletter)  # pending

    response = desk_editor_client.post(admin_url("send_now", edition), follow=True)

    assert [message.to for message in mail.outbox] == [[subscription.subscriber.email]]
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT
    assert "Sent “Week in defence” to 1 subscriber" in response.content.decode()
    # The send is a record now: the page is view-only.
    page = desk_editor_client.get(admin_url("change", edition))
    assert page.context["has_change_permission"] is False
    assert "Sent: 1" in page.content.decode()


def test_schedule_and_unschedule_in_the_admin(desk_editor_client, edition):
    SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)
    at = timezone.now() + timedelta(days=1)
    Edition.objects.filter(pk=edition.pk).update(scheduled_at=at)

    desk_editor_client.post(admin_url("schedule", edition))

    edition.refresh_from_db()
    assert (edition.status, edition.scheduled_at) == (Edition.Status.SCHEDULED, at)
    assert mail.outbox == []

    desk_editor_client.post(admin_url("unschedule", edition))

    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


def test_schedule_without_a_time_or_without_stories_says_why(desk_editor_client):
    edition = EditionFactory()
    EditionItemFactory(edition=edition, article=ArticleFactory(status=Status.DRAFT))

    no_time = desk_editor_client.post(admin_url("schedule", edition), follow=True)
    no_stories = desk_editor_client.post(admin_url("send_now", edition), follow=True)

    assert "Set the send time" in no_time.content.decode()
    assert "no story that readers can see" in no_stories.content.decode()
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


def test_the_buttons_only_answer_posts(desk_editor_client, edition):
    assert desk_editor_client.get(admin_url("send_now", edition)).status_code == 405
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


def test_reporters_cannot_reach_editions(reporter_client, edition):
    SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)

    assert reporter_client.get(EDITIONS).status_code == 403
    assert reporter_client.get(admin_url("preview", edition)).status_code == 403
    assert reporter_client.post(admin_url("send_now", edition)).status_code == 403
    assert reporter_client.post(admin_url("send_test", edition)).status_code == 403
    assert mail.outbox == []


def test_the_change_page_offers_the_buttons_for_the_state(desk_editor_client, edition):
    page = desk_editor_client.get(admin_url("change", edition)).content.decode()

    assert admin_url("preview", edition) in page
    assert admin_url("send_now", edition) in page and admin_url("schedule", edition) in page
    assert admin_url("unschedule", edition) not in page
    assert "confirmed subscriber" in page


def test_an_edition_is_written_with_its_stories_in_the_admin(desk_editor_client, stories):
    newsletter = NewsletterFactory()
    form = {
        "newsletter": newsletter.pk,
        "subject": "Friday",
        "intro": "",
        "scheduled_at_0": "",
        "scheduled_at_1": "",
        "items-TOTAL_FORMS": 2,
        "items-INITIAL_FORMS": 0,
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
        "items-0-position": 1,
        "items-0-article": stories["article"].pk,
        "items-0-video": "",
        "items-1-position": 0,
        "items-1-article": "",
        "items-1-video": stories["video"].pk,
    }

    response = desk_editor_client.post(ADD_EDITION, form)
    assert response.status_code == 302
    edition = Edition.objects.get(subject="Friday")
    assert [item.target for item in edition.items.all()] == [stories["video"], stories["article"]]

    twice = desk_editor_client.post(
        ADD_EDITION,
        {**form, "subject": "Twice", "items-1-video": "", "items-1-article": stories["article"].pk},
    )
    assert twice.status_code == 200 and not Edition.objects.filter(subject="Twice").exists()
    assert "duplicate data for article" in twice.content.decode()
    neither = desk_editor_client.post(
        ADD_EDITION, {**form, "subject": "Neither", "items-1-video": "", "items-1-position": 5}
    )
    assert neither.status_code == 200 and not Edition.objects.filter(subject="Neither").exists()
    assert "Pick either an article or a video." in neither.content.decode()


def test_the_list_shows_delivery_counts_without_a_query_per_row(
    desk_editor_client, django_assert_max_num_queries
):
    for _ in range(5):
        edition = sent_edition()
        subscriptions = SubscriptionFactory.create_batch(2, newsletter=edition.newsletter, confirmed=True)
        Delivery.objects.create(edition=edition, subscription=subscriptions[0], status=Delivery.Status.SENT)
        Delivery.objects.create(edition=edition, subscription=subscriptions[1], status=Delivery.Status.FAILED)

    with django_assert_max_num_queries(12):
        response = desk_editor_client.get(EDITIONS)

    assert response.status_code == 200
    assert response.content.decode().count("1 of 2") == 5


# --- The public archive --------------------------------------------------------------------------
def test_the_archive_lists_only_sent_editions_newest_first(api_client):
    newsletter = NewsletterFactory()
    older = sent_edition(newsletter, sent_at=timezone.now() - timedelta(days=7))
    newer = sent_edition(newsletter)
    EditionFactory(newsletter=newsletter)  # draft
    EditionFactory(newsletter=newsletter, status=Edition.Status.SCHEDULED, scheduled_at=timezone.now())
    EditionFactory(newsletter=newsletter, status=Edition.Status.SENDING)
    sent_edition()  # of another newsletter

    response = api_client.get(archive(newsletter))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    assert set(body["results"][0]) == {"id", "newsletter", "subject", "intro", "sent_at"}
    assert body["results"][0]["newsletter"] == newsletter.slug


@pytest.mark.parametrize("status", [Edition.Status.DRAFT, Edition.Status.SCHEDULED, Edition.Status.SENDING])
def test_editions_not_sent_are_not_found(api_client, status):
    edition = EditionFactory(status=status)

    response = api_client.get(f"{archive(edition.newsletter)}{edition.pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_inactive_and_unknown_newsletters_have_no_archive(api_client):
    edition = sent_edition(NewsletterFactory(is_active=False))

    for url in [archive(edition.newsletter), f"{archive(edition.newsletter)}{edition.pk}/"]:
        response = api_client.get(url)
        assert response.status_code == 404 and response.json()["status"] == 404
    assert api_client.get("/api/v1/newsletters/no-such-thing/editions/").status_code == 404
    other = NewsletterFactory()
    assert api_client.get(f"{archive(other)}{edition.pk}/").status_code == 404  # not this one's


def test_an_archived_edition_shows_its_visible_stories_as_teasers(api_client, edition, stories):
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT, sent_at=timezone.now())

    response = api_client.get(f"{archive(edition.newsletter)}{edition.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "Week in defence"
    assert body["intro"].startswith("Hello <b>readers</b>")  # JSON: the client escapes
    assert [(item["type"], item["slug"]) for item in body["items"]] == [
        ("video", stories["video"].slug),
        ("article", stories["article"].slug),
    ]
    assert body["items"][1]["thumbnail"]["url"].startswith("http://testserver/media/")


def test_archive_queries_do_not_grow_with_editions_or_stories(api_client, django_assert_max_num_queries):
    newsletter = NewsletterFactory()
    for _ in range(12):
        edition = sent_edition(newsletter)
    for position in range(10):
        EditionItemFactory(
            edition=edition, position=position, article=ArticleFactory(live=True, hero_image=ImageFactory())
        )
        EditionItemFactory(edition=edition, video=VideoFactory(live=True))

    with django_assert_max_num_queries(3):  # newsletter, count, page
        assert api_client.get(archive(newsletter)).status_code == 200
    with django_assert_max_num_queries(4):  # edition and newsletter, items, articles, videos
        response = api_client.get(f"{archive(newsletter)}{edition.pk}/")
    assert len(response.json()["items"]) == 20


def test_the_archive_shows_an_edition_once_it_is_sent(api_client, edition):
    SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)
    url = archive(edition.newsletter)
    assert api_client.get(url).json()["count"] == 0
    assert api_client.get(url)["X-Cache"] == "HIT"

    schedule_edition(edition=edition)

    response = api_client.get(url)
    assert [item["id"] for item in response.json()["results"]] == [edition.pk]


def test_a_story_removed_from_a_sent_edition_leaves_its_cached_page(api_client, edition, stories):
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT, sent_at=timezone.now())
    url = f"{archive(edition.newsletter)}{edition.pk}/"
    assert len(api_client.get(url).json()["items"]) == 2
    assert api_client.get(url)["X-Cache"] == "HIT"

    EditionItem.objects.get(video=stories["video"]).delete()

    assert len(api_client.get(url).json()["items"]) == 1


def test_a_story_published_later_appears_in_the_cached_archive_page(api_client, edition, stories):
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT, sent_at=timezone.now())
    url = f"{archive(edition.newsletter)}{edition.pk}/"
    assert len(api_client.get(url).json()["items"]) == 2

    draft = stories["draft"]
    draft.status = Status.PUBLISHED
    draft.save()

    assert len(api_client.get(url).json()["items"]) == 3


def test_deactivating_the_newsletter_removes_its_cached_archive(api_client):
    edition = sent_edition()
    url = archive(edition.newsletter)
    assert api_client.get(url).status_code == 200

    edition.newsletter.is_active = False
    edition.newsletter.save()

    assert api_client.get(url).status_code == 404


def test_the_archive_names_no_subscriber_and_no_delivery(api_client, edition):
    subscription = SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)
    schedule_edition(edition=edition)

    listing = api_client.get(archive(edition.newsletter)).content.decode()
    detail = api_client.get(f"{archive(edition.newsletter)}{edition.pk}/").content.decode()

    for body in (listing, detail):
        assert subscription.subscriber.email not in body and "@" not in body
        assert "deliver" not in body


def test_the_archive_is_in_the_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    listing = schema["paths"]["/api/v1/newsletters/{slug}/editions/"]["get"]
    detail = schema["paths"]["/api/v1/newsletters/{slug}/editions/{id}/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"slug", "page", "page_size"}
    assert {p["name"] for p in detail["parameters"]} >= {"slug", "id"}
    assert "items" in schema["components"]["schemas"]["Edition"]["properties"]
