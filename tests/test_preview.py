import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.preview import SALT, make_preview_token
from cms.publishing import Status

from .factories import (
    ArticleFactory,
    AuthorFactory,
    RelatedContentFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


def change_url(obj):
    return reverse(f"admin:articles_{obj._meta.model_name}_change", args=[obj.pk])


def preview_link(client, obj):
    """The Preview button's link on the item's admin change page."""
    page = client.get(change_url(obj))
    assert page.status_code == 200
    url = page.context["preview_url"]
    assert f'<a href="{url}" class="previewlink"' in page.text
    return url


def preview(api_client, token):
    return api_client.get(f"/api/v1/preview/{token}/")


def assert_problem(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response["Cache-Control"] == "private, no-store"


# --- The admin's Preview button -------------------------------------------------------------
@pytest.mark.parametrize("factory", [ArticleFactory, VideoFactory])
def test_change_page_has_a_preview_button_that_serves_the_draft(admin_client, api_client, factory):
    draft = factory(slug="work-in-progress", status=Status.DRAFT)

    response = api_client.get(preview_link(admin_client, draft))

    assert response.status_code == 200
    assert response.json()["slug"] == "work-in-progress"
    assert response.json()["type"] == draft._meta.model_name


def test_add_page_has_no_preview_button(admin_client):
    page = admin_client.get(reverse("admin:articles_article_add"))

    assert page.status_code == 200
    assert "previewlink" not in page.text


def test_reporter_sees_the_preview_button_on_items_they_may_only_view(reporter_client, api_client):
    scheduled = ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() + timedelta(days=1))

    response = api_client.get(preview_link(reporter_client, scheduled))

    assert response.status_code == 200
    assert response.json()["id"] == scheduled.pk


def test_preview_button_opens_the_frontend_when_a_url_template_is_set(admin_client, api_client, settings):
    settings.PREVIEW_URL_TEMPLATE = "https://www.example.com/preview?token={token}"
    draft = ArticleFactory(slug="work-in-progress")

    url = preview_link(admin_client, draft)

    assert url.startswith("https://www.example.com/preview?token=")
    token = url.removeprefix("https://www.example.com/preview?token=")
    assert preview(api_client, token).json()["slug"] == "work-in-progress"


# --- What the preview serves ----------------------------------------------------------------
def test_preview_serves_a_draft_article_in_full(api_client):
    lead = VideoFactory(live=True, slug="north-korean-soldiers")
    teaser = VideoFactory(live=True, slug="hms-trent-jamaica")
    topic, author = TopicFactory(slug="ukraine"), AuthorFactory(slug="defence-correspondent")
    draft = ArticleFactory(
        slug="work-in-progress",
        body_html="<p>Troops have been deployed.</p>",
        lead_video=lead,
        topics=[topic],
        authors=[author],
    )
    RelatedContentFactory(article=draft, target_video=teaser)

    response = preview(api_client, make_preview_token(draft))

    assert response.status_code == 200
    article = response.json()
    assert article["type"] == "article"
    assert article["slug"] == "work-in-progress"
    assert "Troops have been deployed." in article["body_html"]
    assert article["body"]
    assert article["lead_video"]["slug"] == "north-korean-soldiers"
    assert [item["slug"] for item in article["related"]] == ["hms-trent-jamaica"]
    assert [item["slug"] for item in article["topics"]] == ["ukraine"]
    assert [item["slug"] for item in article["authors"]] == ["defence-correspondent"]


def test_preview_serves_a_draft_video_with_its_transcript(api_client):
    draft = VideoFactory(slug="carrier-jets", transcript="Jets land on the deck.")

    response = preview(api_client, make_preview_token(draft))

    assert response.status_code == 200
    assert response.json()["type"] == "video"
    assert response.json()["transcript"] == "Jets land on the deck."


@pytest.mark.parametrize(("factory", "resource"), [(ArticleFactory, "articles"), (VideoFactory, "videos")])
def test_preview_of_a_live_item_is_its_public_detail_plus_type(api_client, factory, resource):
    item = factory(slug="live-item", live=True, topics=[TopicFactory()])
    if resource == "articles":
        RelatedContentFactory(article=item, target_video=VideoFactory(live=True))

    public = api_client.get(f"/api/v1/{resource}/live-item/")
    previewed = preview(api_client, make_preview_token(item))

    assert public.status_code == previewed.status_code == 200
    assert previewed.json() == {"type": item._meta.model_name, **public.json()}


def test_preview_link_keeps_working_when_the_slug_changes(api_client):
    draft = ArticleFactory(slug="first-try")
    token = make_preview_token(draft)
    Article.objects.filter(pk=draft.pk).update(slug="better-slug")

    assert preview(api_client, token).json()["slug"] == "better-slug"


def test_preview_is_private_and_not_indexed(api_client):
    response = preview(api_client, make_preview_token(ArticleFactory()))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_preview_is_read_only(api_client, method):
    draft = ArticleFactory(headline="Draft headline")

    response = getattr(api_client, method)(
        f"/api/v1/preview/{make_preview_token(draft)}/", {"headline": "Hacked"}, format="json"
    )

    assert_problem(response, 405, "method_not_allowed")
    assert Article.objects.get(pk=draft.pk).headline == "Draft headline"


# --- Links that do not work -----------------------------------------------------------------
def tampered(token: str) -> str:
    """The token with the last character of its signature changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda obj: tampered(make_preview_token(obj)), id="signature changed"),
        pytest.param(
            lambda obj: signing.dumps({"model": "articles.article", "pk": obj.pk}, salt="other"),
            id="signed for something else",
        ),
        pytest.param(
            lambda obj: signing.dumps({"model": "articles.article", "pk": obj.pk}, key="x" * 50, salt=SALT),
            id="signed with another key",
        ),
        pytest.param(
            lambda obj: signing.dumps({"model": "auth.user", "pk": 1}, salt=SALT),
            id="a model without a preview",
        ),
        pytest.param(lambda obj: "not-a-token", id="garbage"),
    ],
)
def test_preview_link_with_a_wrong_signature_is_not_found(api_client, make_token):
    response = preview(api_client, make_token(ArticleFactory()))

    assert_problem(response, 404, "preview_invalid")


def test_preview_link_of_a_deleted_item_is_not_found(api_client):
    draft = ArticleFactory()
    token = make_preview_token(draft)
    draft.delete()

    assert_problem(preview(api_client, token), 404, "not_found")


def test_preview_link_stops_working_when_it_expires(api_client, settings, monkeypatch):
    settings.PREVIEW_MAX_AGE_SECONDS = 600
    draft = ArticleFactory()
    now = time.time()

    def token_made(seconds_ago):
        with monkeypatch.context() as patched:  # only signing's clock, only while signing
            patched.setattr(signing, "time", SimpleNamespace(time=lambda: now - seconds_ago))
            return make_preview_token(draft)

    assert preview(api_client, token_made(seconds_ago=590)).status_code == 200
    expired = preview(api_client, token_made(seconds_ago=610))
    assert_problem(expired, 410, "preview_expired")
    assert "expired" in expired.json()["detail"]


# --- OpenAPI --------------------------------------------------------------------------------
def test_schema_documents_the_preview_endpoint(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    responses = schema["paths"]["/api/v1/preview/{token}/"]["get"]["responses"]
    preview_schema = schema["components"]["schemas"]["Preview"]
    assert [ref["$ref"] for ref in preview_schema["oneOf"]] == [
        "#/components/schemas/ArticlePreview",
        "#/components/schemas/VideoPreview",
    ]
    assert set(responses) == {"200", "404", "410", "429"}  # 429: the anonymous quota
    assert "application/problem+json" in responses["410"]["content"]


@pytest.mark.parametrize(
    "payload",
    [
        "articles.article",
        [1, 2],
        {},
        {"model": "articles.article"},
        {"model": "articles.article", "pk": "1"},
        {"model": "articles.article", "pk": True},
        {"model": "articles.article", "pk": 1, "extra": 1},
        {"model": "auth.user", "pk": 1},
        {"model": "no.such", "pk": 1},
        {"model": ["articles.article"], "pk": 1},
    ],
)
def test_a_signed_token_with_another_payload_is_a_404_not_a_500(api_client, payload):
    ArticleFactory(status=Status.DRAFT)
    token = signing.dumps(payload, salt=SALT)  # signed with the site's key, but not a preview token

    response = api_client.get(reverse("preview", kwargs={"token": token}))

    assert response.status_code == 404
    assert response.json()["code"] == "preview_invalid"
