"""RSS, Atom and JSON Feed of the site, a section and a topic; sitemap.xml and the news sitemap."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles import sitemaps
from articles.models import Article
from cms.publishing import Status
from cms.release import configured_release
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

FRONTEND = "https://www.example.com"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
FORMATS = ["rss", "atom", "json"]


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.FRONTEND_BASE_URL = FRONTEND
    settings.SITE_NAME = "The Example Times"


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


def hidden_items(**kwargs):
    """One article and one video in every state the public must not see."""
    states = [
        {"status": Status.DRAFT},
        {"status": Status.PUBLISHED, "published_at": timezone.now() + timedelta(hours=1)},  # scheduled
        {"status": Status.PUBLISHED, "published_at": hours_ago(5), "expires_at": hours_ago(1)},  # expired
        {"status": Status.ARCHIVED, "published_at": hours_ago(5)},
    ]
    for state in states:
        ArticleFactory(**state, **kwargs)
        VideoFactory(**state, **kwargs)


def item_links(response, fmt):
    """The item links of a feed, in document order."""
    if fmt == "json":
        return [item["url"] for item in response.json()["items"]]
    root = ET.fromstring(response.content)
    if fmt == "rss":
        return [item.findtext("link") for item in root.iter("item")]
    return [entry.find(f"{ATOM}link").get("href") for entry in root.iter(f"{ATOM}entry")]


def sitemap_locations(response):
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return [url.findtext(f"{SITEMAP}loc") for url in root.iter(f"{SITEMAP}url")]


# --- Validity of each format ---------------------------------------------------------------
def test_rss_feed_is_an_rss_2_document_with_every_required_element(client):
    topic = TopicFactory(name="Ukraine")
    article = ArticleFactory(live=True, topics=[topic], authors=[AuthorFactory(name="Ann Reporter")])
    VideoFactory(live=True, published_at=hours_ago(2))

    response = client.get("/feeds/rss/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "The Example Times"
    assert channel.findtext("link") == f"{FRONTEND}/"
    assert channel.findtext("description")
    assert channel.find(f"{ATOM}link").get("href") == "http://testserver/feeds/rss/"
    items = channel.findall("item")
    assert len(items) == 2
    for item in items:
        for name in ("title", "link", "guid", "pubDate", "description"):
            assert item.findtext(name) is not None, name
        assert item.find("guid").get("isPermaLink") == "false"
        datetime.strptime(item.findtext("pubDate"), "%a, %d %b %Y %H:%M:%S %z")  # RFC 822
    first = items[0]
    assert first.findtext("title") == article.headline
    assert first.findtext("link") == f"{FRONTEND}/articles/{article.slug}"
    assert first.findtext("category") == "Ukraine"
    assert first.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Ann Reporter"
    assert first.findtext(f"{CONTENT}encoded") == "<p>First paragraph.</p>"


def test_atom_feed_is_an_atom_document_with_every_required_element(client):
    article = ArticleFactory(live=True)

    response = client.get("/feeds/atom/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{name}"), name
    assert root.find(f"{ATOM}author/{ATOM}name").text == "The Example Times"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": f"{FRONTEND}/", "self": "http://testserver/feeds/atom/"}
    (entry,) = root.findall(f"{ATOM}entry")
    for name in ("id", "title", "updated", "published"):
        assert entry.findtext(f"{ATOM}{name}"), name
    datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))  # RFC 3339
    assert entry.find(f"{ATOM}link").get("href") == f"{FRONTEND}/articles/{article.slug}"
    assert entry.find(f"{ATOM}content").get("type") == "html"
    assert entry.findtext(f"{ATOM}summary") == "One sentence."


def test_json_feed_follows_the_json_feed_1_1_spec(client):
    image = ImageFactory()
    article = ArticleFactory(live=True, hero_image=image, authors=[AuthorFactory(name="Ann Reporter")])
    video = VideoFactory(live=True, published_at=hours_ago(2), description="Sea trials & more.")

    response = client.get("/feeds/json/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/feed+json"
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "The Example Times"
    assert feed["home_page_url"] == f"{FRONTEND}/"
    assert feed["feed_url"] == "http://testserver/feeds/json/"
    assert feed["description"]
    assert isinstance(feed["items"], list) and len(feed["items"]) == 2
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item.get("content_html") or item.get("content_text")
        for name in ("date_published", "date_modified"):
            assert datetime.fromisoformat(item[name]).tzinfo is not None  # RFC 3339
    first, second = feed["items"]
    assert first["url"] == f"{FRONTEND}/articles/{article.slug}"
    assert first["title"] == article.headline
    assert first["summary"] == "One sentence."
    assert first["image"].startswith("http://testserver/media/images/")
    assert first["authors"] == [{"name": "Ann Reporter"}]
    assert second["url"] == f"{FRONTEND}/videos/{video.slug}"
    assert second["summary"] == "Sea trials & more."
    assert "<p>Sea trials &amp; more.</p>" in second["content_html"]


def test_json_feed_content_is_the_body_html_the_api_serves_without_hidden_embeds(client, api_client):
    public_video, draft_video = VideoFactory(live=True), VideoFactory(title="Secret draft")
    image = ImageFactory()
    article = ArticleFactory(
        live=True,
        body_html="<p>Intro with <strong>bold</strong>.</p>"
        f'<figure data-embed="video" data-id="{public_video.pk}"></figure>'
        f'<figure data-embed="video" data-id="{draft_video.pk}"></figure>'
        f'<figure data-embed="image" data-id="{image.pk}"></figure>',
    )

    feed = client.get("/feeds/json/").json()
    served = api_client.get(f"/api/v1/articles/{article.slug}/").json()

    content = next(item for item in feed["items"] if item["title"] == article.headline)["content_html"]
    assert content == served["body_html"]
    assert public_video.slug in content and "/media/images/" in content
    assert draft_video.slug not in content and "Secret draft" not in content


def test_item_ids_are_stable_when_the_slug_changes(client):
    article = ArticleFactory(live=True)
    before = client.get("/feeds/json/").json()["items"][0]

    article.slug = "a-new-slug"
    article.save()
    after = client.get("/feeds/json/").json()["items"][0]

    assert after["url"] == f"{FRONTEND}/articles/a-new-slug"
    assert after["id"] == before["id"] == f"tag:www.example.com,2025:article/{article.pk}"


def test_item_links_follow_the_frontend_path_settings(client, settings):
    settings.FRONTEND_BASE_URL = "https://news.example.org/edition/"
    settings.FRONTEND_ARTICLE_PATH = "/story/{id}/{slug}"
    settings.FRONTEND_VIDEO_PATH = "/watch/{slug}"
    article, video = ArticleFactory(live=True), VideoFactory(live=True, published_at=hours_ago(2))

    links = item_links(client.get("/feeds/rss/"), "rss")

    assert links == [
        f"https://news.example.org/edition/story/{article.pk}/{article.slug}",
        f"https://news.example.org/edition/watch/{video.slug}",
    ]


# --- What the feeds contain ----------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_feeds_show_only_publicly_visible_items(client, fmt):
    article, video = ArticleFactory(live=True), VideoFactory(live=True, published_at=hours_ago(2))
    hidden_items()

    links = item_links(client.get(f"/feeds/{fmt}/"), fmt)

    assert links == [f"{FRONTEND}/articles/{article.slug}", f"{FRONTEND}/videos/{video.slug}"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_items_are_newest_first_and_bounded(client, fmt):
    for hours in range(30):
        ArticleFactory(live=True, published_at=hours_ago(2 * hours + 1), slug=f"article-h{2 * hours + 1}")
        VideoFactory(live=True, published_at=hours_ago(2 * hours + 2), slug=f"video-h{2 * hours + 2}")

    links = item_links(client.get(f"/feeds/{fmt}/"), fmt)

    assert len(links) == 50
    kinds = {1: "articles/article", 0: "videos/video"}
    assert links == [f"{FRONTEND}/{kinds[hours % 2]}-h{hours}" for hours in range(1, 51)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_section_feed_holds_only_the_sections_items(client, fmt):
    news, sport = SectionFactory(slug="news", name="News"), SectionFactory(slug="sport")
    article = ArticleFactory(live=True, section=news)
    video = VideoFactory(live=True, section=news, published_at=hours_ago(2))
    ArticleFactory(live=True, section=sport)
    VideoFactory(live=True, section=sport)
    hidden_items(section=news)

    response = client.get(f"/feeds/sections/news/{fmt}/")

    assert response.status_code == 200
    assert item_links(response, fmt) == [
        f"{FRONTEND}/articles/{article.slug}",
        f"{FRONTEND}/videos/{video.slug}",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_topic_feed_holds_only_the_topics_items(client, fmt):
    ukraine, other = TopicFactory(slug="ukraine", name="Ukraine"), TopicFactory()
    article = ArticleFactory(live=True, topics=[ukraine, other])
    video = VideoFactory(live=True, topics=[ukraine], published_at=hours_ago(2))
    ArticleFactory(live=True, topics=[other])
    VideoFactory(live=True)
    hidden_items(topics=[ukraine])

    response = client.get(f"/feeds/topics/ukraine/{fmt}/")

    assert response.status_code == 200
    assert item_links(response, fmt) == [
        f"{FRONTEND}/articles/{article.slug}",
        f"{FRONTEND}/videos/{video.slug}",
    ]


def test_section_and_topic_feeds_describe_their_scope(client):
    SectionFactory(slug="news", name="News", description="What happened today.")
    TopicFactory(slug="ukraine", name="Ukraine")

    section = client.get("/feeds/sections/news/json/").json()
    topic = ET.fromstring(client.get("/feeds/topics/ukraine/rss/").content).find("channel")

    assert section["title"] == "News | The Example Times"
    assert section["description"] == "What happened today."
    assert section["home_page_url"] == f"{FRONTEND}/sections/news"
    assert topic.findtext("title") == "Ukraine | The Example Times"
    assert topic.findtext("link") == f"{FRONTEND}/topics/ukraine"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "url", ["/feeds/topics/{topic}/{fmt}/", "/feeds/topics/nope/{fmt}/", "/feeds/sections/nope/{fmt}/"]
)
def test_unknown_section_and_unknown_or_inactive_topic_feeds_are_404_problems(client, url, fmt):
    topic = TopicFactory(is_active=False)
    ArticleFactory(live=True, topics=[topic])

    response = client.get(url.format(topic=topic.slug, fmt=fmt))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_feeds_only_answer_reads(client):
    assert client.post("/feeds/rss/").status_code == 405
    assert client.post("/feeds/json/").status_code == 405
    assert client.head("/feeds/atom/").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_feeds_say_when_they_last_changed(client, fmt):
    ArticleFactory(live=True)

    response = client.get(f"/feeds/{fmt}/")

    assert response.has_header("Last-Modified")


def _embedding_content(count, **kwargs):
    for _ in range(count):
        embedded_video, image = VideoFactory(live=True), ImageFactory()
        ArticleFactory(
            live=True,
            hero_image=image,
            authors=[AuthorFactory()],
            body_html=f'<p>Text.</p><figure data-embed="video" data-id="{embedded_video.pk}"></figure>'
            f'<figure data-embed="image" data-id="{image.pk}"></figure>',
            **kwargs,
        )
        VideoFactory(live=True, thumbnail=ImageFactory(), **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_site_feed_runs_a_fixed_number_of_queries(client, fmt, settings, django_assert_max_num_queries):
    _embedding_content(30)
    # the newest articles and videos; their items, made once: articles, their authors, their topics,
    # embedded images, embedded videos, videos, their topics; the correction logs of both
    with django_assert_max_num_queries(11):
        response = client.get(f"/feeds/{fmt}/")
    assert len(item_links(response, fmt)) == 50
    settings.RESPONSE_CACHE = False
    with django_assert_max_num_queries(2):  # the items are kept
        assert client.get(f"/feeds/{fmt}/").content == response.content


@pytest.mark.parametrize("fmt", FORMATS)
def test_topic_feed_runs_a_fixed_number_of_queries(client, fmt, settings, django_assert_max_num_queries):
    topic = TopicFactory(slug="ukraine")
    _embedding_content(30, topics=[topic])
    with django_assert_max_num_queries(12):  # the topic, then as for the site feed
        response = client.get(f"/feeds/topics/ukraine/{fmt}/")
    assert len(item_links(response, fmt)) == 50
    settings.RESPONSE_CACHE = False
    with django_assert_max_num_queries(3):
        assert client.get(f"/feeds/topics/ukraine/{fmt}/").content == response.content


# --- Sitemaps ------------------------------------------------------------------------------
def test_sitemap_xml_is_an_index_of_the_sitemaps(client):
    ArticleFactory(live=True)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}sitemapindex"
    entries = root.findall(f"{SITEMAP}sitemap")
    assert [entry.findtext(f"{SITEMAP}loc") for entry in entries] == [
        *(f"http://testserver/sitemaps/{name}.xml" for name in ("articles", "videos", "sections", "topics")),
        "http://testserver/sitemap-video.xml",  # Google's video sitemap (tests/test_video_sitemap.py)
    ]
    assert entries[0].findtext(f"{SITEMAP}lastmod")


def test_sitemaps_list_only_public_pages_on_the_frontend_with_lastmod(client):
    news = SectionFactory(slug="news")
    ukraine = TopicFactory(slug="ukraine")
    TopicFactory(slug="retired", is_active=False)
    article = ArticleFactory(live=True, section=news, topics=[ukraine])
    video = VideoFactory(live=True, section=news)
    hidden_items(section=news)

    for name, expected in [
        ("articles", [f"{FRONTEND}/articles/{article.slug}"]),
        ("videos", [f"{FRONTEND}/videos/{video.slug}"]),
        ("sections", [f"{FRONTEND}/sections/news"]),
        ("topics", [f"{FRONTEND}/topics/ukraine"]),
    ]:
        response = client.get(f"/sitemaps/{name}.xml")
        assert response.status_code == 200
        assert sitemap_locations(response) == expected, name
        for url in ET.fromstring(response.content).iter(f"{SITEMAP}url"):
            assert url.findtext(f"{SITEMAP}lastmod") == timezone.now().date().isoformat()


def test_article_sitemap_lastmod_is_when_readers_last_saw_a_change(client):
    article = ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() - timedelta(days=10))
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now() - timedelta(days=3))

    response = client.get("/sitemaps/articles.xml")

    lastmod = ET.fromstring(response.content).find(f"{SITEMAP}url/{SITEMAP}lastmod").text
    assert lastmod == (timezone.now() - timedelta(days=3)).date().isoformat()


def test_large_sitemaps_are_split_into_pages_listed_in_the_index(client, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    articles = ArticleFactory.create_batch(5, live=True)

    index = ET.fromstring(client.get("/sitemap.xml").content)
    pages = [loc.text for loc in index.iter(f"{SITEMAP}loc") if "articles" in loc.text]
    listed = [sitemap_locations(client.get(page)) for page in pages]

    assert pages == [
        "http://testserver/sitemaps/articles.xml",
        "http://testserver/sitemaps/articles.xml?p=2",
        "http://testserver/sitemaps/articles.xml?p=3",
    ]
    assert sum(listed, []) == [f"{FRONTEND}/articles/{article.slug}" for article in articles]  # oldest first
    assert client.get("/sitemaps/articles.xml?p=4").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/sitemaps/articles.xml?p=abc",
        "/sitemaps/articles.xml?p=0",
        "/sitemap-news.xml?p=²",
        # Page 1 again under another spelling would be rendered again, uncached.
        "/sitemaps/articles.xml?p=01",
        "/sitemaps/articles.xml?p=%2B1",
        "/sitemaps/articles.xml?p=1.0",
        "/sitemaps/articles.xml?p=" + "9" * 5000,  # past Python's int conversion limit
    ],
)
def test_a_bad_sitemap_page_is_a_400_naming_the_parameter(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["parameter"] == "p"


def test_an_unknown_sitemap_is_a_404_problem(client):
    response = client.get("/sitemaps/authors.xml")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_sitemaps_run_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    topics = TopicFactory.create_batch(3)
    for _ in range(5):
        ArticleFactory(live=True, topics=topics)
        VideoFactory(live=True, topics=topics)

    with django_assert_max_num_queries(10):  # two per sitemap (the video sitemap's too): last change, size
        client.get("/sitemap.xml")
    for name in ("articles", "videos", "sections", "topics"):
        with django_assert_max_num_queries(2):  # the count, the page
            client.get(f"/sitemaps/{name}.xml")
    with django_assert_max_num_queries(2):
        client.get("/sitemap-news.xml")


# --- Google News sitemap -------------------------------------------------------------------
def test_news_sitemap_has_the_google_news_elements(client):
    article = ArticleFactory(live=True, headline="Troops & tanks <at> the border")

    response = client.get("/sitemap-news.xml")

    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    (url,) = root.findall(f"{SITEMAP}url")
    assert url.findtext(f"{SITEMAP}loc") == f"{FRONTEND}/articles/{article.slug}"
    news = url.find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Example Times"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Troops & tanks <at> the border"
    published = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date"))
    assert published == article.published_at


def test_news_sitemap_holds_public_articles_of_the_last_two_days_newest_first(client):
    older = ArticleFactory(live=True, published_at=hours_ago(40))
    newer = ArticleFactory(live=True, published_at=hours_ago(1))
    ArticleFactory(live=True, published_at=hours_ago(49))
    VideoFactory(live=True)
    hidden_items()

    assert sitemap_locations(client.get("/sitemap-news.xml")) == [
        f"{FRONTEND}/articles/{newer.slug}",
        f"{FRONTEND}/articles/{older.slug}",
    ]


def test_news_sitemap_is_bounded(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 3)
    articles = [ArticleFactory(live=True, published_at=hours_ago(hours)) for hours in range(1, 6)]

    assert sitemap_locations(client.get("/sitemap-news.xml")) == [
        f"{FRONTEND}/articles/{article.slug}" for article in articles[:3]
    ]


# --- Kept feed items -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "change", ["headline", "author renamed", "embedded video unpublished", "frontend moved", "video retitled"]
)
@pytest.mark.parametrize("response_cache", [False, True])
def test_every_change_to_what_a_feed_item_shows_reaches_the_feed(client, settings, change, response_cache):
    settings.RESPONSE_CACHE = response_cache
    author, embedded = AuthorFactory(name="Old Name"), VideoFactory(live=True, title="Embedded")
    article = ArticleFactory(
        live=True,
        authors=[author],
        body_html=f'<p>Text.</p><figure data-embed="video" data-id="{embedded.pk}"></figure>',
    )
    video = VideoFactory(live=True, title="Old title", published_at=hours_ago(2))
    before = {fmt: client.get(f"/feeds/{fmt}/").content for fmt in FORMATS}
    assert all(client.get(f"/feeds/{fmt}/").content == before[fmt] for fmt in FORMATS)  # kept

    if change == "headline":
        article.headline = "New headline"
        article.save()
    elif change == "author renamed":
        author.name = "New Name"
        author.save()
    elif change == "embedded video unpublished":
        embedded.status = Status.DRAFT
        embedded.save()
    elif change == "frontend moved":  # the settings shaping the output are part of the release
        settings.FRONTEND_BASE_URL = "https://news.example.org"
        settings.RELEASE = configured_release("same-code", [settings.FRONTEND_BASE_URL])
    elif change == "video retitled":
        video.title = "New title"
        video.save()

    after = {fmt: client.get(f"/feeds/{fmt}/").content for fmt in FORMATS}
    settings.RESPONSE_CACHE = False
    cache.clear()
    for fmt in FORMATS:
        assert after[fmt] != before[fmt]
        assert client.get(f"/feeds/{fmt}/").content == after[fmt]  # as made with nothing kept


def test_an_embedded_video_going_live_by_the_clock_reaches_the_feed(client, settings, monkeypatch):
    settings.RESPONSE_CACHE = False
    now = timezone.now()
    scheduled = VideoFactory(
        status=Status.PUBLISHED, published_at=now + timedelta(minutes=10), title="Scheduled clip"
    )
    ArticleFactory(
        live=True, body_html=f'<p>Text.</p><figure data-embed="video" data-id="{scheduled.pk}"></figure>'
    )
    assert "Scheduled clip" not in client.get("/feeds/json/").json()["items"][0]["content_html"]

    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=11))

    items = client.get("/feeds/json/").json()["items"]
    article_item = next(item for item in items if "/articles/" in item["url"])
    assert "Scheduled clip" in article_item["content_html"]


# --- Whatever was stored, every format stays valid -------------------------------------------------
ODD = "Troops\x0b moved\x1b[31m on\x08 Kursk\ufffe"  # (PostgreSQL cannot store a NUL at all)


def test_control_characters_stored_in_text_keep_feeds_and_sitemaps_valid(client):
    topic = TopicFactory(name=f"Kursk{ODD}", description=ODD, slug="kursk")
    author = AuthorFactory(name=f"Ann{ODD}")
    Article.objects.filter(pk=ArticleFactory(live=True, topics=[topic], authors=[author]).pk).update(
        headline=ODD, standfirst=ODD, body_html=f"<p>{ODD}</p>"
    )  # as a bulk load, without save()'s cleaning
    VideoFactory(live=True, title=ODD, description=ODD, topics=[topic])

    for url in ("/feeds/rss/", "/feeds/atom/", "/feeds/topics/kursk/rss/", "/feeds/topics/kursk/atom/"):
        response = client.get(url)
        assert response.status_code == 200, url
        ET.fromstring(response.content)  # well-formed XML
        assert b"Troops moved" in response.content
    assert client.get("/feeds/json/").json()["items"][0]["title"]
    news = client.get("/sitemap-news.xml")
    titles = [title.text for title in ET.fromstring(news.content).iter(f"{NEWS}title")]
    assert "Troops moved" in titles[0] and "\x0b" not in titles[0]


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/json/"])
def test_a_feed_that_lost_an_older_item_is_not_answered_304_by_date(client, url):
    # Its newest item's date is unchanged, but what it shows has changed since then.
    now = timezone.now()
    ArticleFactory(live=True, published_at=now - timedelta(hours=1))
    taken_down = ArticleFactory(live=True, published_at=now - timedelta(hours=2))
    first = client.get(url)
    taken_down.status = Status.DRAFT
    taken_down.save()

    again = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert again.status_code == 200 and taken_down.headline.encode() not in again.content
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=again["Last-Modified"]).status_code == 304
