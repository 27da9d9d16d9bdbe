"""The correction log of articles and videos: appended from the admin, never edited, taken down on
the record; shown by the API, the feeds and the JSON-LD; and a change readers see (updated_at,
change sync, purge)."""

import pytest
from django.urls import reverse

from articles.models import Article, Correction

from .factories import ArticleFactory, VideoFactory

pytestmark = pytest.mark.django_db


def add_correction(client, item, text, kind="correction"):
    name = item._meta.model_name
    page = client.get(reverse("admin:articles_correction_add") + f"?{name}={item.pk}")
    assert page.status_code == 200
    assert page.context["adminform"].form.initial[name] == str(item.pk)
    return client.post(
        reverse("admin:articles_correction_add") + f"?{name}={item.pk}",
        {name: item.pk, "kind": kind, "text": text},
    )


def test_an_editor_appends_a_correction_and_every_surface_shows_it(admin_client, api_client, clock):
    article = ArticleFactory(live=True, slug="troops", headline="Troops move")
    before = api_client.get("/api/v1/articles/troops/").json()
    _, since = sync_token(api_client)
    clock.advance(minutes=5)

    response = add_correction(admin_client, article, "The meeting is on Wednesday, not Tuesday.")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:articles_article_change", args=[article.pk])
    detail = api_client.get("/api/v1/articles/troops/").json()  # the cached answer was purged
    [entry] = detail["corrections"]
    assert entry["kind"] == "correction"
    assert entry["text"] == "The meeting is on Wednesday, not Tuesday."
    assert detail["updated_at"] > before["updated_at"]
    news = next(node for node in detail["head"]["json_ld"]["@graph"] if node["@type"] == "NewsArticle")
    assert news["correction"] == [
        {"@type": "CorrectionComment", "text": entry["text"], "datePublished": entry["at"]}
    ]
    changes = api_client.get("/api/v1/changes/", {"since": since}).json()["results"]
    assert [(c["change"], c["slug"]) for c in changes] == [("upsert", "troops")]
    assert "not Tuesday" in api_client.get("/feeds/rss/").content.decode()
    assert "not Tuesday" in api_client.get("/feeds/json/").content.decode()
    assert Correction.objects.get().created_by.username == "editor"


def sync_token(client):
    body = client.get("/api/v1/changes/").json()
    return body["results"], body["next_since"]


def test_a_video_has_a_correction_log_too(admin_client, api_client):
    video = VideoFactory(live=True, slug="convoy")

    add_correction(admin_client, video, "The convoy was filmed on Monday.", kind="clarification")

    data = api_client.get("/api/v1/videos/convoy/").json()
    assert [(c["kind"], c["text"]) for c in data["corrections"]] == [
        ("clarification", "The convoy was filmed on Monday.")
    ]
    video_ld = next(node for node in data["head"]["json_ld"]["@graph"] if node["@type"] == "VideoObject")
    assert video_ld["correction"][0]["text"] == "The convoy was filmed on Monday."


def test_the_log_is_oldest_first_and_the_item_page_shows_it(admin_client, api_client, clock):
    article = ArticleFactory(live=True, slug="troops")
    add_correction(admin_client, article, "First.")
    clock.advance(hours=1)
    add_correction(admin_client, article, "Second.", kind="update")

    texts = [c["text"] for c in api_client.get("/api/v1/articles/troops/").json()["corrections"]]
    page = admin_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()

    assert texts == ["First.", "Second."]
    assert "First." in page and "Second." in page and "Add a correction" in page


def test_an_entry_is_never_edited(admin_client):
    article = ArticleFactory(live=True)
    add_correction(admin_client, article, "As written.")
    entry = Correction.objects.get()
    url = reverse("admin:articles_correction_change", args=[entry.pk])

    admin_client.post(url, {"kind": "update", "text": "Quietly rewritten.", "retraction_reason": ""})

    entry.refresh_from_db()
    assert (entry.kind, entry.text) == ("correction", "As written.")
    entry.text = "Quietly rewritten."
    with pytest.raises(ValueError, match="never edited"):
        entry.save()
    assert admin_client.post(reverse("admin:articles_correction_delete", args=[entry.pk])).status_code == 403


def test_taking_an_entry_down_is_recorded_and_readers_no_longer_see_it(admin_client, api_client, editor):
    article = ArticleFactory(live=True, slug="troops")
    add_correction(admin_client, article, "Posted on the wrong article.")
    entry = Correction.objects.get()
    assert api_client.get("/api/v1/articles/troops/").json()["corrections"] != []
    url = reverse("admin:articles_correction_change", args=[entry.pk])

    response = admin_client.post(url, {"retraction_reason": "Meant for another story."})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.retracted_by == editor and entry.retraction_reason == "Meant for another story."
    assert entry.text == "Posted on the wrong article."  # kept, on the record
    assert api_client.get("/api/v1/articles/troops/").json()["corrections"] == []
    page = admin_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "Meant for another story." in page
    # Once taken down, nothing about it changes any more.
    admin_client.post(url, {"retraction_reason": "Rewritten reason."})
    entry.refresh_from_db()
    assert entry.retraction_reason == "Meant for another story."


def test_a_reporter_cannot_add_to_the_log(reporter_client):
    article = ArticleFactory(live=True)

    response = reporter_client.post(
        reverse("admin:articles_correction_add"), {"article": article.pk, "kind": "correction", "text": "No."}
    )

    assert response.status_code == 403
    assert not Correction.objects.exists()


def test_a_correction_of_a_draft_changes_nothing_readers_see(admin_client, api_client):
    draft = ArticleFactory(slug="draft")
    updated = draft.updated_at

    add_correction(admin_client, draft, "Before publication.")

    assert Article.objects.get(pk=draft.pk).updated_at == updated
    assert api_client.get("/api/v1/articles/draft/").status_code == 404
    assert api_client.get("/api/v1/changes/").json()["results"] == []


def test_an_entry_belongs_to_exactly_one_item(admin_client):
    article, video = ArticleFactory(live=True), VideoFactory(live=True)

    both = admin_client.post(
        reverse("admin:articles_correction_add"),
        {"article": article.pk, "video": video.pk, "kind": "correction", "text": "Both."},
    )
    neither = admin_client.post(
        reverse("admin:articles_correction_add"), {"kind": "correction", "text": "Neither."}
    )

    assert both.status_code == neither.status_code == 200  # the form again, with the error
    assert "one article or one video" in both.content.decode()
    assert not Correction.objects.exists()
