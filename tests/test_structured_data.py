"""What a frontend puts in a page's <head>: title, description, canonical URL, Open Graph and X
card tags, and schema.org JSON-LD checked against what Google's article and video rich results
require and recommend; and the rights every item carries."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from cms.publishing import Status
from cms.representation import iso

from .factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
    png_file,
)

pytestmark = pytest.mark.django_db

# Google's article rich results: no property is required; these are recommended.
ARTICLE_RECOMMENDED = {"headline", "image", "datePublished", "dateModified", "author"}
# Google's video rich results: required, then recommended (contentUrl or embedUrl).
VIDEO_REQUIRED = {"name", "thumbnailUrl", "uploadDate"}
VIDEO_RECOMMENDED = {"description", "duration"}


@pytest.fixture
def publisher(settings):
    settings.SITE_NAME = "The Daily Example"
    settings.FRONTEND_BASE_URL = "https://www.example.com"
    settings.PUBLISHER_LOGO_URL = "https://www.example.com/logo.png"
    settings.CONTENT_LANGUAGE = "en-GB"
    settings.TWITTER_SITE = "@example"
    settings.DEFAULT_USAGE_TERMS = "Editorial use only."


def embed(video) -> str:
    return f'<figure data-embed="video" data-id="{video.pk}"></figure>'


def graph(head: dict, kind: str) -> dict:
    assert head["json_ld"]["@context"] == "https://schema.org"
    found = [node for node in head["json_ld"]["@graph"] if node["@type"] == kind]
    assert len(found) == 1, head["json_ld"]
    return found[0]


def tags(head: dict, name: str) -> list[str]:
    meta = head["open_graph"] if ":" in name and not name.startswith("twitter:") else head["twitter"]
    key = "name" if name.startswith("twitter:") else "property"
    return [tag["content"] for tag in meta if tag[key] == name]


def test_an_article_head_carries_seo_defaults_social_tags_and_a_news_article(api_client, publisher):
    author = AuthorFactory(name="Ana Reporter", slug="ana")
    hero = ImageFactory(file=png_file(size=(1800, 1000)), alt_text="Troops at the border")
    video = VideoFactory(
        live=True, slug="convoy", thumbnail=ImageFactory(), embed_url="https://player.example/1"
    )
    article = ArticleFactory(
        live=True,
        slug="troops",
        headline="Troops move to the border",
        standfirst="Casualties reported.",
        section=SectionFactory(name="World", slug="world"),
        topics=[TopicFactory(name="Defence")],
        authors=[author],
        hero_image=hero,
        lead_video=video,
    )

    head = api_client.get("/api/v1/articles/troops/").json()["head"]

    assert head["title"] == "Troops move to the border"
    assert head["description"] == "Casualties reported."
    assert head["canonical_url"] == "https://www.example.com/articles/troops"
    assert head["language"] == "en-GB"
    assert "max-image-preview:large" in head["robots"]
    picture = head["picture"]
    assert picture["width"] >= 1200 and picture["alt"] == "Troops at the border"
    assert tags(head, "og:type") == ["article"]
    assert tags(head, "og:image") == [picture["url"]]
    assert tags(head, "og:image:width") == [str(picture["width"])]
    assert tags(head, "og:url") == ["https://www.example.com/articles/troops"]
    assert tags(head, "og:site_name") == ["The Daily Example"]
    assert tags(head, "og:locale") == ["en_GB"]
    assert tags(head, "article:section") == ["World"]
    assert tags(head, "article:tag") == ["Defence"]
    assert tags(head, "article:author") == ["https://www.example.com/authors/ana"]
    assert tags(head, "twitter:card") == ["summary_large_image"]
    assert tags(head, "twitter:site") == ["@example"]
    assert tags(head, "twitter:image") == [picture["url"]]

    news = graph(head, "NewsArticle")
    assert ARTICLE_RECOMMENDED <= news.keys()
    assert news["headline"] == "Troops move to the border"
    assert news["author"] == [
        {"@type": "Person", "name": "Ana Reporter", "url": "https://www.example.com/authors/ana"}
    ]
    assert news["publisher"]["name"] == "The Daily Example"
    assert news["publisher"]["logo"]["url"] == "https://www.example.com/logo.png"
    assert news["image"] == [picture["url"]]  # the share picture, at least 1,200 pixels wide
    assert news["datePublished"] == api_client.get("/api/v1/articles/troops/").json()["first_published_at"]
    assert news["mainEntityOfPage"] == "https://www.example.com/articles/troops"
    assert news["copyrightHolder"]["name"] == "The Daily Example"
    assert news["copyrightYear"] == article.first_published_at.year
    assert [v["name"] for v in news["video"]] == [video.title]
    assert VIDEO_REQUIRED <= news["video"][0].keys()
    assert news["video"][0]["embedUrl"] == "https://player.example/1"

    crumbs = graph(head, "BreadcrumbList")["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "The Daily Example", "https://www.example.com/"),
        (2, "World", "https://www.example.com/sections/world"),
        (3, "Troops move to the border", "https://www.example.com/articles/troops"),
    ]


def test_seo_fields_and_a_canonical_elsewhere_win_over_the_defaults(api_client, publisher):
    ArticleFactory(
        live=True,
        slug="wire",
        seo_title="Short title",
        seo_description="For search.",
        canonical_url="https://wire.example/original",
    )

    head = api_client.get("/api/v1/articles/wire/").json()["head"]

    assert (head["title"], head["description"]) == ("Short title", "For search.")
    assert head["canonical_url"] == "https://wire.example/original"
    assert graph(head, "NewsArticle")["mainEntityOfPage"] == "https://wire.example/original"
    assert tags(head, "og:url") == ["https://www.example.com/articles/wire"]  # the page shared
    assert head["picture"] is None and tags(head, "twitter:card") == ["summary"]


def test_a_hidden_lead_video_or_embedded_video_is_not_in_the_json_ld(api_client, publisher):
    draft = VideoFactory(title="Secret footage", slug="secret")
    scheduled = VideoFactory(
        title="Tomorrow's footage",
        status=Status.PUBLISHED,
        published_at=timezone.now() + timedelta(days=1),
    )
    public = VideoFactory(live=True, title="Public clip", embed_url="https://player.example/2")
    ArticleFactory(
        live=True,
        slug="story",
        lead_video=draft,
        body_html="<p>Text.</p>" + embed(scheduled) + embed(public),
    )

    response = api_client.get("/api/v1/articles/story/")

    assert "Secret footage" not in response.text and "secret" not in str(response.json()["head"])
    assert "Tomorrow" not in response.text
    videos = graph(response.json()["head"], "NewsArticle")["video"]
    assert [video["name"] for video in videos] == ["Public clip"]


def test_a_video_head_is_a_video_object_with_what_google_requires(api_client, publisher):
    convoy = VideoFactory(
        live=True,
        slug="convoy",
        title="The convoy",
        description="Filmed at dawn.",
        thumbnail=ImageFactory(file=png_file(size=(1280, 720))),
        provider="self_hosted",
        source_url="https://cdn.example/convoy.mp4",
        embed_url="https://player.example/convoy",
        duration=timedelta(hours=1, minutes=2, seconds=5),
        expires_at=timezone.now() + timedelta(days=30),
        section=SectionFactory(name="Video", slug="video"),
    )

    data = api_client.get("/api/v1/videos/convoy/").json()
    head = data["head"]
    video = graph(head, "VideoObject")

    assert (VIDEO_REQUIRED | VIDEO_RECOMMENDED) <= video.keys()
    assert video["name"] == "The convoy" and video["description"] == "Filmed at dawn."
    assert video["duration"] == "PT1H2M5S"
    assert video["contentUrl"] == "https://cdn.example/convoy.mp4"
    assert video["embedUrl"] == "https://player.example/convoy"
    assert video["uploadDate"] == data["first_published_at"]
    assert video["expires"] == iso(convoy.expires_at)
    assert all(url.startswith("http") for url in video["thumbnailUrl"])
    assert tags(head, "og:type") == ["video.other"]
    assert tags(head, "og:video") == ["https://player.example/convoy"]
    assert tags(head, "video:duration") == ["3725"]
    assert head["canonical_url"] == "https://www.example.com/videos/convoy"
    assert [c["name"] for c in graph(head, "BreadcrumbList")["itemListElement"]] == [
        "The Daily Example",
        "Video",
        "The convoy",
    ]


def test_rights_default_to_the_publisher_and_an_item_can_carry_its_own(api_client, publisher):
    ArticleFactory(live=True, slug="own")
    ArticleFactory(
        live=True,
        slug="wire",
        copyright_holder="Wire Agency",
        credit_line="Wire Agency via The Daily Example",
        usage_terms="No resale.",
    )

    own = api_client.get("/api/v1/articles/own/").json()
    wire = api_client.get("/api/v1/articles/wire/").json()

    year = timezone.now().year
    assert own["rights"] == {
        "copyright_holder": "The Daily Example",
        "copyright_notice": f"© {year} The Daily Example",
        "copyright_year": year,
        "credit": "",
        "usage_terms": "Editorial use only.",
    }
    assert wire["rights"]["copyright_holder"] == "Wire Agency"
    assert wire["rights"]["usage_terms"] == "No resale."
    news = graph(wire["head"], "NewsArticle")
    assert news["copyrightHolder"]["name"] == "Wire Agency"
    assert news["creditText"] == "Wire Agency via The Daily Example"
    assert "No resale." in news["copyrightNotice"]


def test_text_that_looks_like_markup_stays_text_in_the_head(api_client, publisher):
    ArticleFactory(live=True, slug="x", headline='</script><script>alert(1)</script> "quoted"')

    head = api_client.get("/api/v1/articles/x/").json()["head"]

    # JSON carries it as the text it is; embedding it is the frontend's (escape `</`).
    assert graph(head, "NewsArticle")["headline"] == '</script><script>alert(1)</script> "quoted"'
    assert tags(head, "og:title") == ['</script><script>alert(1)</script> "quoted"']


def test_every_feed_carries_each_item_s_rights(api_client, publisher):
    ArticleFactory(live=True, slug="wire", copyright_holder="Wire Agency", credit_line="Wire Agency")
    year = timezone.now().year
    notice = f"© {year} Wire Agency. Credit: Wire Agency. Editorial use only."

    rss = ET.fromstring(api_client.get("/feeds/rss/").content)
    atom = ET.fromstring(api_client.get("/feeds/atom/").content)
    feed = api_client.get("/feeds/json/").json()

    assert rss.find("channel/item/{http://purl.org/dc/elements/1.1/}rights").text == notice
    assert rss.find("channel/copyright").text == "© The Daily Example"
    assert atom.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}rights").text == notice
    assert feed["items"][0]["_rights"]["copyright_holder"] == "Wire Agency"
    assert feed["items"][0]["_rights"]["usage_terms"] == "Editorial use only."
