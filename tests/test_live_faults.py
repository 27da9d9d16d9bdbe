# ruff: noqa: F811 (the fixtures imported from test_live are arguments of the tests)
"""Live pages and correction logs under faults and hostile input: concurrent saves, posts that
would move between pages, embeds hidden later, bad ids and cursors, deletions that would take a
public record with them."""

import threading
from base64 import urlsafe_b64encode

import pytest
from django.db import connection
from django.db.models.signals import pre_save
from django.urls import reverse

from articles.models import Article, LivePost
from cms.publishing import Status

from .factories import ArticleFactory, VideoFactory

# The fixtures of test_live, shared (pytest finds them by name here).
from .test_live import page, post, posts_of  # noqa: F401

pytestmark = pytest.mark.django_db


def cursor(text: str) -> str:
    return urlsafe_b64encode(text.encode()).decode()


def livepost_form(post, **fields):
    data = {
        "article": post.article_id,
        "status": post.status,
        "title": post.title,
        "body_html": post.body_html,
        "author": post.author_id or "",
    }
    if post.key_event:
        data["key_event"] = "on"
    if post.pinned:
        data["pinned"] = "on"
    data.update(fields)
    return data


# --- Hostile query parameters on /posts/: 500s -------------------------------------------------
@pytest.mark.parametrize(
    "position",
    [
        "9999-12-31T23:59:59-12:00|1",  # fine in Python, overflows when made UTC for the database
        "0001-01-01T00:00:00+14:00|1",
    ],
)
def test_a_cursor_at_the_edge_of_time_is_a_400_not_a_500(api_client, page, position):
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/articles/troops/posts/", {"cursor": cursor(position)})

    # PostgreSQL answers 200 (no older posts); SQLite, the embedded default, a 500 (OverflowError).
    assert response.status_code in (200, 400), response.status_code


# --- The live desk: 500s on a bad id ------------------------------------------------------------
def test_the_live_desk_of_a_non_numeric_id_is_not_a_500(admin_client):
    admin_client.raise_request_exception = False
    response = admin_client.get("/admin/articles/article/abc/live/")

    assert response.status_code in (302, 404), response.status_code  # the admin's "no such item"


def test_a_desk_action_with_a_bad_post_id_is_not_a_500(admin_client, page):
    admin_client.raise_request_exception = False
    desk = reverse("admin:articles_article_live", args=[page.pk])

    response = admin_client.post(desk, {"publish_post": "abc"})

    assert response.status_code in (400, 404), response.status_code


# --- A post stays on its page ---------------------------------------------------------------------
def test_a_post_cannot_move_to_another_page(admin_client, api_client, page, clock):
    other = ArticleFactory(live=True, slug="other", live_status="live")
    kept = post(page, clock, title="Stays here")

    response = admin_client.post(
        reverse("admin:articles_livepost_change", args=[kept.pk]), livepost_form(kept, article=other.pk)
    )

    assert response.status_code == 302  # saved: the page is read-only on the form
    kept.refresh_from_db()
    assert kept.article_id == page.pk
    assert titles_of(posts_of(api_client)) == ["Stays here"]
    kept.article = other
    with pytest.raises(ValueError, match="stays on its page"):
        kept.save()


def titles_of(answer):
    return [item["title"] for item in answer["results"]]


# --- Feeds: a video embedded in a live post and unpublished later leaves the feed -------------------
def test_a_video_unpublished_after_a_live_post_embedded_it_leaves_the_feed(api_client, page, clock):
    video = VideoFactory(live=True, title="Secret briefing footage", embed_url="https://player.example/v1")
    post(
        page,
        clock,
        title="Watch",
        body_html=f'<p>Look.</p><figure data-embed="video" data-id="{video.pk}"></figure>',
    )
    assert "Secret briefing footage" in api_client.get("/feeds/rss/").content.decode()

    video.status = Status.DRAFT
    video.save()

    detail = api_client.get("/api/v1/articles/troops/").content.decode()
    assert "Secret briefing footage" not in detail  # the detail gets this right
    feed = api_client.get("/feeds/rss/").content.decode()
    assert "Secret briefing footage" not in feed
    assert "player.example/v1" not in feed


# --- Lost update of live_revision: an editor saving the article while a post lands --------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_saving_the_article_in_the_admin_while_a_post_lands_never_loses_a_post_for_pollers(
    admin_client, api_client
):
    from .factories import SectionFactory
    from .test_admin import article_form

    section = SectionFactory()
    article = ArticleFactory(
        live=True, slug="drones-over-kyiv", section=section, live_status="live", headline="Drones over Kyiv"
    )
    first_since = posts_of(api_client, "/api/v1/articles/drones-over-kyiv/posts/")["since"]
    seen = {}

    def concurrent_post():
        # Another request (the live desk) publishes a post and commits, on its own connection.
        from django.db import connection as own

        try:
            LivePost.objects.create(
                article=Article.objects.get(pk=article.pk),
                status=LivePost.Status.PUBLISHED,
                title="Landed meanwhile",
                body_html="<p>x</p>",
            )
            # A reader polls now, and sees it: its next poll is from there.
            from rest_framework.test import APIClient

            polled = posts_of(APIClient(), "/api/v1/articles/drones-over-kyiv/posts/", since=first_since)
            seen["titles"], seen["since"] = [item["title"] for item in polled["results"]], polled["since"]
        finally:
            own.close()

    def during_admin_save(sender, instance, update_fields=None, **kwargs):
        full = update_fields is None or "standfirst" in update_fields  # the admin's save, not a touch
        if full and instance.pk == article.pk and "since" not in seen:
            worker = threading.Thread(target=concurrent_post)
            worker.start()
            worker.join()

    pre_save.connect(during_admin_save, sender=Article, dispatch_uid="review13")
    try:
        when = article.published_at
        form = article_form(
            section=section,
            status=Status.PUBLISHED,
            published_at_0=when.strftime("%Y-%m-%d"),
            published_at_1=when.strftime("%H:%M:%S"),
            live_status="live",
            standfirst="Edited while the desk posts",
        )
        response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), form)
        assert response.status_code == 302
    finally:
        pre_save.disconnect(dispatch_uid="review13", sender=Article)

    # A poller that saw the post (its since token is the post's revision) keeps polling; the
    # desk publishes the next post.
    assert seen["titles"] == ["Landed meanwhile"]
    article.refresh_from_db()  # the admin's save wrote back the live_revision it had read: 0
    LivePost.objects.create(
        article=article, status=LivePost.Status.PUBLISHED, title="Next", body_html="<p>y</p>"
    )
    polled = posts_of(api_client, "/api/v1/articles/drones-over-kyiv/posts/", since=seen["since"])
    assert [item["title"] for item in polled["results"]] == ["Next"]


# --- The correction log destroyed through the write API ------------------------------------------
def test_deleting_an_article_through_the_write_api_keeps_its_correction_log(desk_editor, admin_client):
    from articles.models import Correction

    from .test_write_api import PUBLISHER, client_for

    article = ArticleFactory(live=True, slug="wrong-date")
    entry = Correction.objects.create(article=article, text="We gave the wrong date.")
    # The admin refuses: nobody may delete a correction log entry, so nobody may delete the article.
    refused = admin_client.post(reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"})
    assert Correction.objects.filter(pk=entry.pk).exists()
    assert "Cannot delete article" in refused.content.decode()

    from partners.scopes import Scope

    editor = client_for(desk_editor, (*PUBLISHER, Scope.PREVIEW_READ))
    url = "/api/v1/articles/wrong-date/"
    etag = editor.get("/api/v1/drafts/articles/wrong-date/")["ETag"]
    response = editor.delete(url, HTTP_IF_MATCH=etag)

    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    assert Correction.objects.filter(pk=entry.pk).exists()


# --- `removed` never names posts readers never saw --------------------------------------------------
def test_removed_never_names_a_post_that_was_never_public(api_client, clock):
    article = ArticleFactory(slug="prepared", live_status="upcoming")  # a draft, being prepared
    rehearsal = post(article, clock, title="Rehearsal: casualties at the plant")
    rehearsal.delete()
    article.status, article.published_at = Status.PUBLISHED, clock.now
    article.save()

    polled = posts_of(api_client, "/api/v1/articles/prepared/posts/", since="0")

    assert rehearsal.pk not in polled["removed"], polled


# --- cache.purge webhooks do not name the live page's /posts/ -------------------------------------
def test_a_posts_purge_webhook_names_the_posts_page(settings, django_capture_on_commit_callbacks):
    from webhooks.models import Endpoint

    from .test_webhooks import Receiver, live_article

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    receiver = Receiver()
    try:
        Endpoint.objects.create(url=receiver.url, description="CDN purging by URL")
        with django_capture_on_commit_callbacks(execute=True):
            live_article(slug="troops", live_status="live")
        article = Article.objects.get(slug="troops")
        with django_capture_on_commit_callbacks(execute=True):
            LivePost.objects.create(
                article=article, status=LivePost.Status.PUBLISHED, title="New", body_html="<p>x</p>"
            )
        purge = receiver.events("cache.purge")[-1]["data"]["urls"]["api"]
    finally:
        receiver.close()

    assert any(url.endswith("/api/v1/articles/troops/posts/") for url in purge), purge


# --- Coverage that ends before it starts -----------------------------------------------------------
def test_coverage_cannot_end_before_it_starts(admin_client, api_client):
    from .factories import SectionFactory
    from .test_admin import article_form

    section = SectionFactory()
    article = ArticleFactory(live=True, slug="drones-over-kyiv", section=section)
    when = article.published_at
    form = article_form(
        section=section,
        status=Status.PUBLISHED,
        published_at_0=when.strftime("%Y-%m-%d"),
        published_at_1=when.strftime("%H:%M:%S"),
        live_status="ended",
        coverage_start_0="2026-03-02",
        coverage_start_1="12:00:00",
        coverage_end_0="2026-03-01",
        coverage_end_1="12:00:00",
    )

    admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), form)

    graph = api_client.get("/api/v1/articles/drones-over-kyiv/").json()["head"]["json_ld"]["@graph"]
    [blog] = [node for node in graph if node["@type"] == "LiveBlogPosting"] or [{}]
    assert not (blog.get("coverageEndTime", "9") < blog.get("coverageStartTime", "0")), blog
