"""IPTC ninjs 3.3 (articles/ninjs/): the public routes, the drafts route with `preview:read`, and
every answer valid against the IPTC's published JSON Schema (tests/data/ninjs-schema_3.3.json)."""

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from rest_framework.test import APIClient

from articles.models import Video
from cms.publishing import Status, publish
from partners.models import APIKey
from partners.scopes import Scope

from .factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parent / "data" / "ninjs-schema_3.3.json").read_text(encoding="utf-8"))
FORMATS = FormatChecker()  # date-time through rfc3339-validator; uri below (rfc3987 is not installed)


@FORMATS.checks("uri")
def _is_uri(value) -> bool:
    return not isinstance(value, str) or (
        bool(urlsplit(value).scheme) and value.isprintable() and " " not in value
    )


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FORMATS)
NINJS = "application/ninjs+json"
TAG = "tag:www.example.com,2025:"
FRONTEND = "https://www.example.com"
IN_AN_HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _publisher(settings):
    settings.FRONTEND_BASE_URL = FRONTEND
    settings.SITE_NAME = "The Example Times"
    settings.CONTENT_LANGUAGE = "en-GB"
    settings.DEFAULT_USAGE_TERMS = "Editorial use only."


def valid_ninjs(response) -> dict:
    """The document of a 200, after checking it against the IPTC's schema."""
    assert response.status_code == 200, response.content
    document = response.json()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert errors == []
    return document


def by_role(texts: list[dict]) -> dict[str, str]:
    return {text["role"]: text["value"] for text in texts}


def association(document: dict, name: str) -> dict | None:
    return next((item for item in document.get("associations", []) if item["name"] == name), None)


def embed(kind: str, item) -> str:
    return f'<figure data-embed="{kind}" data-id="{item.pk}"></figure>'


def staging_client(owner, *scopes: str) -> APIClient:
    _, key = APIKey.objects.create_key(name="wire", owner=owner, scopes=list(scopes))
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")


@pytest.fixture
def story():
    """An article with everything: body embeds (a public image and video, a draft video), hero
    image, authors, an active and an inactive topic, a live lead video, rights and SEO fields."""
    lead = VideoFactory(
        live=True,
        slug="troops-at-dawn",
        title="Troops at dawn",
        thumbnail=ImageFactory(focal_x=0.25, focal_y=0.75),
        source_url="https://cdn.example.com/troops.mp4",
        embed_url="https://player.example.com/troops",
    )
    embedded_image = ImageFactory(caption="The bridge", credit="Jane Roe/AP")
    hidden_video = VideoFactory(status=Status.DRAFT, embed_url="https://player.example.com/secret")
    return ArticleFactory(
        live=True,
        slug="troops-cross-the-border",
        headline="Troops cross the border",
        standfirst="Columns were seen at dawn.",
        seo_title="Troops cross border at dawn",
        section=SectionFactory(slug="news", name="News"),
        topics=[TopicFactory(slug="kursk", name="Kursk"), TopicFactory(slug="retired", is_active=False)],
        authors=[AuthorFactory(name="Ann Lee", slug="ann"), AuthorFactory(name="Bo Chan", slug="bo")],
        hero_image=ImageFactory(caption="Tanks", credit="Reuters", alt_text="Tanks on a road"),
        lead_video=lead,
        credit_line="Wire Agency",
        copyright_holder="Wire Agency Ltd",
        body_html="<p>First <strong>paragraph</strong>.</p>"
        + embed("image", embedded_image)
        + "<h2>Later</h2><ul><li><p>one</p></li><li><p>two</p></li></ul>"
        + embed("video", lead)
        + embed("video", hidden_video),
    )


# --- The public document ------------------------------------------------------------------------
def test_an_article_is_a_valid_ninjs_document_with_everything_mapped(api_client, story):
    response = api_client.get(f"/api/v1/articles/{story.slug}/ninjs/")
    document = valid_ninjs(response)

    assert response["Content-Type"] == "application/json"  # unless ninjs is asked for by name
    assert document["uri"] == f"{TAG}article/{story.pk}"
    assert document["standard"] == {
        "name": "ninjs",
        "version": "3.3",
        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.3.json#",
    }
    assert (document["type"], document["pubStatus"], document["language"]) == ("text", "usable", "en-GB")
    assert "embargoedUntil" not in document
    assert document["firstCreated"] == story.first_published_at.isoformat().replace("+00:00", "Z")
    assert document["altIds"] == [{"role": "id", "value": str(story.pk)}]
    assert by_role(document["headlines"]) == {
        "main": "Troops cross the border",
        "seo": "Troops cross border at dawn",
    }
    assert by_role(document["descriptions"]) == {
        "summary": "Columns were seen at dawn.",
        "creditline": "Wire Agency",
    }
    assert document["by"] == "Ann Lee and Bo Chan"
    assert [(p["name"], p["literal"], p["rel"]) for p in document["people"]] == [
        ("Ann Lee", "ann", "author"),
        ("Bo Chan", "bo", "author"),
    ]
    assert [(s["rel"], s["name"], s["literal"]) for s in document["subjects"]] == [
        ("section", "News", "news"),
        ("topic", "Kursk", "kursk"),  # not the inactive one
    ]
    assert document["renditions"] == [
        {
            "name": "web",
            "title": "Web page",
            "href": f"{FRONTEND}/articles/{story.slug}",
            "contentType": "text/html",
        }
    ]
    assert (document["copyrightHolder"], document["usageTerms"]) == ("Wire Agency Ltd", "Editorial use only.")
    assert document["copyrightNotice"] == f"© {story.first_published_at.year} Wire Agency Ltd"


def test_the_body_is_the_details_body_html_and_its_words(api_client, story):
    detail = api_client.get(f"/api/v1/articles/{story.slug}/").json()

    bodies = valid_ninjs(api_client.get(f"/api/v1/articles/{story.slug}/ninjs/"))["bodies"]

    html, text = bodies
    assert (html["contentType"], text["contentType"]) == ("text/html", "text/plain")
    assert html["value"] == detail["body_html"]
    assert "player.example.com/troops" in html["value"] and "secret" not in html["value"]  # a draft embed
    assert "The bridge" in html["value"]  # the embedded image's caption
    assert text["value"] == "First paragraph.\nLater\none\ntwo"
    assert text["charCount"] == len(text["value"]) and text["wordCount"] == 5


def test_the_hero_image_and_the_lead_video_are_associations_with_their_renditions(api_client, story):
    document = valid_ninjs(api_client.get(f"/api/v1/articles/{story.slug}/ninjs/"))

    hero, lead = association(document, "hero-image"), association(document, "lead-video")
    assert (hero["type"], hero["uri"]) == ("picture", f"{TAG}image/{story.hero_image_id}")
    assert by_role(hero["descriptions"]) == {
        "caption": "Tanks",
        "alt": "Tanks on a road",
        "creditline": "Reuters",
    }
    original, *copies = hero["renditions"]
    assert original["name"] == "original" and original["contentType"] == "image/png"
    assert original["href"].startswith("http://testserver/media/images/")
    assert (original["width"], original["height"]) == (64, 48)
    assert [(c["name"], c["contentType"], c["width"]) for c in copies] == [("w64", "image/webp", 64)]
    assert (lead["type"], lead["uri"]) == ("video", f"{TAG}video/{story.lead_video_id}")
    assert by_role(lead["headlines"]) == {"main": "Troops at dawn"}
    renditions = {r["name"]: r for r in lead["renditions"]}
    assert renditions["source"] == {
        "name": "source",
        "href": "https://cdn.example.com/troops.mp4",
        "contentType": "video/mp4",
        "duration": 125.0,
    }
    assert renditions["player"]["href"] == "https://player.example.com/troops"
    thumbnail = lead["associations"][0]
    assert thumbnail["name"] == "thumbnail"
    assert thumbnail["renditions"][0]["poi"] == {"x": 16, "y": 36}  # the focal point, in pixels


def test_a_video_is_a_valid_ninjs_document(api_client):
    video = VideoFactory(
        live=True,
        slug="hms-trent",
        title="HMS Trent helps Jamaica",
        description="After the hurricane.",
        transcript="The crew unloads water.",
        provider=Video.Provider.YOUTUBE,
        source_url="https://www.youtube.com/watch?v=abc",
        embed_url="https://www.youtube.com/embed/abc",
        thumbnail=ImageFactory(),
        topics=[TopicFactory(name="Royal Navy", slug="royal-navy")],
        usage_terms="No resale.",
    )

    document = valid_ninjs(api_client.get(f"/api/v1/videos/{video.slug}/ninjs/"))

    assert (document["type"], document["uri"]) == ("video", f"{TAG}video/{video.pk}")
    assert by_role(document["headlines"]) == {"main": "HMS Trent helps Jamaica"}
    assert by_role(document["descriptions"]) == {"summary": "After the hurricane."}
    assert document["bodies"] == [
        {
            "role": "transcript",
            "contentType": "text/plain",
            "value": "The crew unloads water.",
            "charCount": 23,
            "wordCount": 4,
        }
    ]
    assert [(r["name"], r.get("contentType"), r["href"]) for r in document["renditions"]] == [
        ("source", "text/html", "https://www.youtube.com/watch?v=abc"),  # its page at the provider
        ("player", "text/html", "https://www.youtube.com/embed/abc"),
        ("web", "text/html", f"{FRONTEND}/videos/hms-trent"),
    ]
    assert [s["literal"] for s in document["subjects"]] == [video.section.slug, "royal-navy"]
    assert association(document, "thumbnail")["uri"] == f"{TAG}image/{video.thumbnail_id}"
    assert (document["copyrightHolder"], document["usageTerms"]) == ("The Example Times", "No resale.")
    assert "by" not in document and "people" not in document


def test_empty_optional_fields_are_left_out(api_client, settings):
    settings.DEFAULT_USAGE_TERMS = ""
    article = ArticleFactory(live=True, standfirst="", body_html="")
    video = VideoFactory(live=True, section=None, duration=None)

    article_document = valid_ninjs(api_client.get(f"/api/v1/articles/{article.slug}/ninjs/"))
    video_document = valid_ninjs(api_client.get(f"/api/v1/videos/{video.slug}/ninjs/"))

    absent = {
        "descriptions",
        "bodies",
        "by",
        "people",
        "associations",
        "usageTerms",
        "expires",
        "embargoedUntil",
    }
    assert not absent & set(article_document)
    assert not absent & set(video_document)
    assert [s["rel"] for s in article_document["subjects"]] == ["section"]  # no topics
    assert "subjects" not in video_document
    assert video_document["renditions"] == [
        {
            "name": "web",
            "title": "Web page",
            "href": f"{FRONTEND}/videos/{video.slug}",
            "contentType": "text/html",
        }
    ]


def test_an_expiry_is_said(api_client):
    expires = timezone.now() + timedelta(days=3)
    article = ArticleFactory(live=True, expires_at=expires)

    document = valid_ninjs(api_client.get(f"/api/v1/articles/{article.slug}/ninjs/"))

    assert document["expires"] == expires.isoformat().replace("+00:00", "Z")


def test_a_draft_lead_video_is_not_associated_until_it_is_published(api_client):
    draft = VideoFactory(status=Status.DRAFT, thumbnail=ImageFactory())
    article = ArticleFactory(live=True, lead_video=draft)
    url = f"/api/v1/articles/{article.slug}/ninjs/"

    response = api_client.get(url)

    assert association(valid_ninjs(response), "lead-video") is None
    assert f"video-{draft.pk}" not in response["Surrogate-Key"].split()  # nothing hidden is named
    publish(queryset=Video.objects.filter(pk=draft.pk))
    assert association(valid_ninjs(api_client.get(url)), "lead-video")["uri"] == f"{TAG}video/{draft.pk}"


def test_a_hidden_embedded_video_appears_once_published(api_client):
    draft = VideoFactory(status=Status.DRAFT, embed_url="https://player.example.com/later")
    article = ArticleFactory(live=True, body_html="<p>Text.</p>" + embed("video", draft))
    url = f"/api/v1/articles/{article.slug}/ninjs/"
    assert "player.example.com/later" not in valid_ninjs(api_client.get(url))["bodies"][0]["value"]

    publish(queryset=Video.objects.filter(pk=draft.pk))

    assert "player.example.com/later" in valid_ninjs(api_client.get(url))["bodies"][0]["value"]


# --- Which items, and errors --------------------------------------------------------------------
def hidden_items(factory):
    """One item for each way of not being publicly visible."""
    now = timezone.now()
    return [
        factory(status=Status.DRAFT),
        factory(status=Status.PUBLISHED, published_at=now + IN_AN_HOUR),
        factory(status=Status.ARCHIVED, published_at=now - IN_AN_HOUR),
        factory(live=True, expires_at=now - timedelta(minutes=1)),
    ]


@pytest.mark.parametrize("kind", ["articles", "videos"])
def test_unknown_and_hidden_items_are_404_problems(api_client, kind):
    factory = ArticleFactory if kind == "articles" else VideoFactory
    slugs = ["no-such-item", *(item.slug for item in hidden_items(factory))]

    for slug in slugs:
        response = api_client.get(f"/api/v1/{kind}/{slug}/ninjs/")
        assert response.status_code == 404, slug
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"


def test_a_scheduled_item_appears_at_its_time(api_client, clock):  # noqa: F811
    article = ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(minutes=10))
    url = f"/api/v1/articles/{article.slug}/ninjs/"
    assert api_client.get(url).status_code == 404

    clock.advance(minutes=10)

    assert valid_ninjs(api_client.get(url))["pubStatus"] == "usable"


@pytest.mark.parametrize("kind", ["articles", "videos"])
def test_an_old_slug_redirects_to_the_current_ones_ninjs(api_client, kind):
    item = (ArticleFactory if kind == "articles" else VideoFactory)(live=True, slug="before")
    item.slug = "after"
    item.save()

    response = api_client.get(f"/api/v1/{kind}/before/ninjs/?utm_source=wire")

    assert response.status_code == 301
    assert response["Location"] == f"/api/v1/{kind}/after/ninjs/?utm_source=wire"
    assert valid_ninjs(api_client.get(response["Location"]))["slugline"] == "after"


def test_ninjs_is_served_under_its_own_type_to_whoever_asks_for_it(api_client):
    article = ArticleFactory(live=True)
    url = f"/api/v1/articles/{article.slug}/ninjs/"

    answers = [
        api_client.get(url),
        api_client.get(url, HTTP_ACCEPT=NINJS),
        api_client.get(url, HTTP_ACCEPT="application/json"),
        api_client.get(url, HTTP_ACCEPT=f"{NINJS}, */*;q=0.1"),
        api_client.get(url, HTTP_ACCEPT=NINJS),
        api_client.get(url + "?format=ninjs"),
        api_client.get(url, HTTP_ACCEPT="*/*"),
    ]

    types = [answer["Content-Type"] for answer in answers]
    json_type = "application/json"
    assert types == [json_type, NINJS, json_type, NINJS, NINJS, NINJS, json_type]
    # Each type is kept apart in the response cache: one variant is never served for the other.
    assert [answer["X-Cache"] for answer in answers] == ["MISS", "MISS", "HIT", "HIT", "HIT", "MISS", "HIT"]
    assert len({answer.content for answer in answers}) == 1


# --- Caching ------------------------------------------------------------------------------------
def test_the_public_document_is_cached_and_purged_by_a_change_to_what_it_shows(
    api_client, story, django_assert_max_num_queries
):
    url = f"/api/v1/articles/{story.slug}/ninjs/"
    first = api_client.get(url)
    with django_assert_max_num_queries(0):
        again = api_client.get(url)
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    assert {f"article-{story.pk}", f"image-{story.hero_image_id}", f"video-{story.lead_video_id}"} <= set(
        first["Surrogate-Key"].split()
    )
    assert first["Cache-Control"].startswith("public, max-age=") and first["ETag"]

    story.headline = "Troops cross the border at dawn"
    story.save()
    edited = api_client.get(url)
    assert edited["X-Cache"] == "MISS"
    assert by_role(valid_ninjs(edited)["headlines"])["main"] == "Troops cross the border at dawn"

    hero = story.hero_image
    hero.caption = "Tanks at dawn"
    hero.save()
    topic = story.topics.get(slug="kursk")
    topic.name = "Kursk region"
    topic.save()
    document = valid_ninjs(api_client.get(url))
    assert by_role(association(document, "hero-image")["descriptions"])["caption"] == "Tanks at dawn"
    assert "Kursk region" in [subject["name"] for subject in document["subjects"]]


def test_an_unpublished_item_is_gone_at_once(api_client):
    video = VideoFactory(live=True)
    url = f"/api/v1/videos/{video.slug}/ninjs/"
    assert api_client.get(url).status_code == 200

    video.status = Status.DRAFT
    video.save()

    assert api_client.get(url).status_code == 404


def test_queries_do_not_grow_with_topics_authors_and_images(api_client, django_assert_max_num_queries):
    images = ImageFactory.create_batch(8)
    videos = VideoFactory.create_batch(4, live=True, thumbnail=ImageFactory())
    article = ArticleFactory(
        live=True,
        topics=TopicFactory.create_batch(12),
        authors=AuthorFactory.create_batch(6),
        hero_image=ImageFactory(),
        lead_video=VideoFactory(live=True, thumbnail=ImageFactory()),
        body_html="".join(embed("image", image) for image in images)
        + "".join(embed("video", video) for video in videos),
    )

    # The article (with section, hero image, lead video and its thumbnail), topics, authors, body
    # videos, body images.
    with django_assert_max_num_queries(5):
        document = valid_ninjs(api_client.get(f"/api/v1/articles/{article.slug}/ninjs/"))

    assert len(document["subjects"]) == 13 and len(document["people"]) == 6
    assert document["bodies"][0]["value"].count("<figure") == 12
    video = VideoFactory(live=True, topics=TopicFactory.create_batch(12), thumbnail=ImageFactory())
    with django_assert_max_num_queries(2):  # the video (with section and thumbnail), topics
        valid_ninjs(api_client.get(f"/api/v1/videos/{video.slug}/ninjs/"))


# --- Drafts, for staging and wire systems -------------------------------------------------------
@pytest.mark.parametrize("kind", ["articles", "videos"])
def test_a_scheduled_item_is_served_embargoed_until_its_publish_time(reporter, kind):
    factory = ArticleFactory if kind == "articles" else VideoFactory
    publish_time = timezone.now() + IN_AN_HOUR
    item = factory(status=Status.PUBLISHED, published_at=publish_time)
    staging = staging_client(reporter, Scope.PREVIEW_READ)

    response = staging.get(f"/api/v1/drafts/{kind}/{item.slug}/ninjs/")

    document = valid_ninjs(response)
    assert document["embargoedUntil"] == publish_time.isoformat().replace("+00:00", "Z")
    assert document["pubStatus"] == "usable"
    assert "firstCreated" not in document  # not yet
    assert response["Cache-Control"] == "private, no-store"
    assert (
        staging.get(f"/api/v1/drafts/{kind}/{item.slug}/ninjs/", HTTP_ACCEPT=NINJS)["Content-Type"] == NINJS
    )


def test_the_drafts_route_says_what_the_public_sees(reporter):
    staging = staging_client(reporter, Scope.PREVIEW_READ)
    draft, _, archived, expired = hidden_items(ArticleFactory)
    live = ArticleFactory(live=True)

    statuses = [
        valid_ninjs(staging.get(f"/api/v1/drafts/articles/{item.slug}/ninjs/"))
        for item in (draft, archived, expired, live)
    ]

    assert [(d["pubStatus"], "embargoedUntil" in d) for d in statuses] == [
        ("withheld", False),
        ("canceled", False),
        ("canceled", False),
        ("usable", False),
    ]
    assert staging.get("/api/v1/drafts/articles/no-such-item/ninjs/").status_code == 404


def test_the_drafts_route_needs_preview_read_and_the_owners_role(reporter, django_user_model):
    article = ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() + IN_AN_HOUR)
    url = f"/api/v1/drafts/articles/{article.slug}/ninjs/"
    nobody = django_user_model.objects.create_user("intern", is_staff=True)  # staff, in no role

    anonymous = APIClient().get(url)
    reader = staging_client(reporter, Scope.CONTENT_READ).get(url)
    roleless = staging_client(nobody, Scope.PREVIEW_READ).get(url)

    assert anonymous.status_code == 401 and anonymous["Content-Type"] == "application/problem+json"
    assert reader.status_code == 403 and "preview:read" in reader.json()["detail"]
    assert roleless.status_code == 403 and article.headline not in roleless.content.decode()
    assert {anonymous["Cache-Control"], reader["Cache-Control"]} == {"private, no-store"}


def test_the_drafts_route_shows_only_public_associations(reporter):
    article = ArticleFactory(
        status=Status.PUBLISHED,
        published_at=timezone.now() + IN_AN_HOUR,
        lead_video=VideoFactory(status=Status.DRAFT),
    )

    document = valid_ninjs(
        staging_client(reporter, Scope.PREVIEW_READ).get(f"/api/v1/drafts/articles/{article.slug}/ninjs/")
    )

    assert association(document, "lead-video") is None


def test_the_schema_describes_the_ninjs_routes(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    for path, scope in [
        ("/api/v1/articles/{slug}/ninjs/", "content:read"),
        ("/api/v1/videos/{slug}/ninjs/", "content:read"),
        ("/api/v1/drafts/articles/{slug}/ninjs/", "preview:read"),
        ("/api/v1/drafts/videos/{slug}/ninjs/", "preview:read"),
    ]:
        operation = schema["paths"][path]["get"]
        content = operation["responses"]["200"]["content"]
        assert set(content) == {"application/json", NINJS}
        assert content[NINJS]["schema"] == {"$ref": "#/components/schemas/NinjsItem"}
        assert {"ApiKey": [scope]} in operation["security"]
    item = schema["components"]["schemas"]["NinjsItem"]["properties"]
    assert {"uri", "headlines", "bodies", "associations", "embargoedUntil", "copyrightHolder"} <= set(item)
    assert "301" in schema["paths"]["/api/v1/articles/{slug}/ninjs/"]["get"]["responses"]


def test_the_saved_schema_is_the_iptcs_and_catches_a_wrong_document():
    assert SCHEMA["$id"] == "http://www.iptc.org/std/ninjs/ninjs-schema_3.3.json#"
    Draft202012Validator.check_schema(SCHEMA)
    wrong = {"uri": "no scheme", "pubStatus": "live", "headline": "ninjs 1 spelling"}
    assert len(list(VALIDATOR.iter_errors(wrong))) == 3
