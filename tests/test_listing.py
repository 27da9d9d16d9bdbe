"""Stored renderings (articles.listing): a list or detail served from them, in every shape
(`?expand=`, `?fields=`), is the same as one built from the relations with nothing stored, and
every write that changes what an item shows changes it."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.backends.postgresql import base as postgresql_base
from django.utils import timezone
from rest_framework.utils.urls import remove_query_param

from articles import listing
from articles.serializers import ArticleListSerializer
from cms.publishing import Status

from .factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db

DEFAULT_FIELDS = (
    "id,slug,headline,standfirst,section,topics,authors,hero_image,has_video,published_at,updated_at"
)


@pytest.fixture(autouse=True)
def _no_response_cache(settings):
    settings.RESPONSE_CACHE = False  # these tests look at what the view builds


def listed(api_client, query=""):
    return {item["slug"]: item for item in api_client.get(f"/api/v1/articles/?{query}").json()["results"]}


def built(api_client, query=""):
    """The list as made from the relations: nothing stored."""
    cache.clear()
    return listed(api_client, query)


def test_stored_items_equal_items_built_from_the_relations(api_client):
    topics, authors = TopicFactory.create_batch(2), AuthorFactory.create_batch(2)
    ArticleFactory(
        live=True, topics=topics, authors=authors, hero_image=ImageFactory(focal_x=0.1, focal_y=0.9)
    )
    ArticleFactory(live=True, lead_video=VideoFactory(live=True))
    ArticleFactory(live=True, lead_video=VideoFactory(status=Status.DRAFT), standfirst='Quotes " and \\ too')

    first = listed(api_client)
    stored = listed(api_client)

    assert first == stored == listed(api_client, f"fields={DEFAULT_FIELDS}")
    assert sorted(item["has_video"] for item in stored.values()) == [False, False, True]
    for query in ("expand=section,topics,authors,lead_video,related", "fields=slug,has_video,topics"):
        assert listed(api_client, query) == listed(api_client, query) == built(api_client, query)


def test_image_urls_use_the_host_of_each_request(api_client, settings):
    settings.ALLOWED_HOSTS = ["api.example.com", "testserver"]
    ArticleFactory(live=True, hero_image=ImageFactory())

    here = next(iter(listed(api_client).values()))["hero_image"]
    there = api_client.get("/api/v1/articles/", HTTP_HOST="api.example.com").json()["results"][0][
        "hero_image"
    ]

    assert here["url"].startswith("http://testserver/media/")
    assert there["url"].startswith("http://api.example.com/media/")
    assert all(r["url"].startswith("http://api.example.com/media/") for r in there["renditions"])


def test_has_video_follows_the_lead_videos_schedule_with_no_write(api_client, monkeypatch):
    now = timezone.now()
    video = VideoFactory(status=Status.PUBLISHED, published_at=now + timedelta(minutes=10))
    article = ArticleFactory(live=True, lead_video=video)
    assert listed(api_client)[article.slug]["has_video"] is False

    monkeypatch.setattr("django.utils.timezone.now", lambda: now + timedelta(minutes=11))

    assert listed(api_client)[article.slug]["has_video"] is True


@pytest.mark.parametrize(
    "query",
    [
        "",
        "expand=section,topics,authors,lead_video",
        "fields=slug,headline,section,topics,authors,hero_image",
    ],
)
@pytest.mark.parametrize(
    "change",
    [
        "article headline",
        "topic renamed",
        "topic deactivated",
        "topic added",
        "topic removed from the topic's side",
        "topics cleared from the topic's side",
        "author renamed",
        "author added from the author's side",
        "section renamed",
        "image alt text",
        "image deleted",
    ],
)
def test_every_change_to_what_an_item_shows_reaches_the_list(api_client, change, query):
    topic, author, section, image = (
        TopicFactory(name="Old"),
        AuthorFactory(name="Old"),
        SectionFactory(),
        ImageFactory(),
    )
    article = ArticleFactory(live=True, topics=[topic], authors=[author], section=section, hero_image=image)
    before = listed(api_client, query)[article.slug]
    assert listed(api_client, query)[article.slug] == before  # stored

    if change == "article headline":
        article.headline = "New"
        article.save()
    elif change == "topic renamed":
        topic.name = "New"
        topic.save()
    elif change == "topic deactivated":
        topic.is_active = False
        topic.save()
    elif change == "topic added":
        article.topics.add(TopicFactory(name="New"))
    elif change == "topic removed from the topic's side":
        topic.articles.remove(article)
    elif change == "topics cleared from the topic's side":
        topic.articles.clear()
    elif change == "author renamed":
        author.name = "New"
        author.save()
    elif change == "author added from the author's side":
        AuthorFactory(name="New").articles.add(article)
    elif change == "section renamed":
        section.name = "New"
        section.save()
    elif change == "image alt text":
        image.alt_text = "New"
        image.save()
    elif change == "image deleted":
        image.delete()

    after = listed(api_client, query)[article.slug]
    assert after != before
    assert after == built(api_client, query)[article.slug]


def detail(api_client, article, query=""):
    return api_client.get(f"/api/v1/articles/{article.slug}/?{query}").json()


def built_detail(api_client, article, query=""):
    cache.clear()
    return detail(api_client, article, query)


def test_stored_detail_equals_the_detail_built_from_the_relations(api_client):
    video, image = VideoFactory(live=True, thumbnail=ImageFactory()), ImageFactory()
    article = ArticleFactory(
        live=True,
        topics=TopicFactory.create_batch(2),
        authors=[AuthorFactory()],
        hero_image=ImageFactory(),
        lead_video=video,
        body_html=f'<p>Text</p><figure data-embed="image" data-id="{image.pk}"></figure>',
    )
    fields = ",".join(
        api_client.get("/api/schema/?format=json").json()["components"]["schemas"]["ArticleDetail"][
            "properties"
        ]
    )

    assert (
        detail(api_client, article)
        == detail(api_client, article)
        == detail(api_client, article, f"fields={fields}")
        == built_detail(api_client, article)
    )
    chosen = detail(api_client, article, "fields=slug,lead_video,body_html&expand=authors")
    assert chosen == built_detail(api_client, article, "fields=slug,lead_video,body_html&expand=authors")
    assert set(chosen) == {"slug", "lead_video", "body_html"}
    assert chosen["lead_video"]["slug"] == video.slug


@pytest.mark.parametrize(
    "change", ["related video unpublished", "embedded image captioned", "lead video retitled"]
)
def test_every_change_to_what_a_detail_shows_reaches_it(api_client, change):
    related, lead, image = VideoFactory(live=True), VideoFactory(live=True, title="Old"), ImageFactory()
    article = ArticleFactory(
        live=True, lead_video=lead, body_html=f'<figure data-embed="image" data-id="{image.pk}"></figure>'
    )
    RelatedContent = article.related_items.model
    RelatedContent.objects.create(article=article, target_video=related)
    before = detail(api_client, article)

    if change == "related video unpublished":
        related.status = Status.DRAFT
        related.save()
    elif change == "embedded image captioned":
        image.caption = "New caption"
        image.save()
    elif change == "lead video retitled":
        lead.title = "New"
        lead.save()

    after = detail(api_client, article)
    assert after != before
    assert after == built_detail(api_client, article)


def test_a_stored_detail_is_made_again_when_a_scheduled_item_goes_live(api_client, monkeypatch):
    now = timezone.now()
    related = VideoFactory(status=Status.PUBLISHED, published_at=now + timedelta(minutes=10))
    article = ArticleFactory(live=True)
    article.related_items.model.objects.create(article=article, target_video=related)
    assert detail(api_client, article)["related"] == []

    monkeypatch.setattr("django.utils.timezone.now", lambda: now + timedelta(minutes=11))

    assert [item["slug"] for item in detail(api_client, article)["related"]] == [related.slug]


@pytest.mark.parametrize("response_cache", [False, True])
def test_what_older_code_rendered_is_not_served_after_a_release(
    api_client, settings, monkeypatch, response_cache
):
    """The deploy rule: renderings and cached responses are kept per release (settings.RELEASE), so
    a change to any code that shapes them (here the body's HTML) is served once the release moves."""
    settings.RESPONSE_CACHE = response_cache
    article = ArticleFactory(live=True, body=[{"type": "paragraph", "text": "Words"}])
    before = detail(api_client, article)
    listed_before = listed(api_client)[article.slug]
    monkeypatch.setattr("articles.serializers.blocks_to_html", lambda blocks: "<p>New code</p>")
    original = ArticleListSerializer.represent
    monkeypatch.setattr(
        ArticleListSerializer, "represent", lambda self, item: {"marker": "new", **original(self, item)}
    )

    assert detail(api_client, article) == before  # kept: the same release
    assert listed(api_client)[article.slug] == listed_before

    settings.RELEASE = "next-release"
    assert detail(api_client, article)["body_html"] == "<p>New code</p>"
    assert listed(api_client)[article.slug]["marker"] == "new"


def test_has_video_follows_lead_video_changes_at_once(api_client):
    video = VideoFactory(live=True)
    plain = ArticleFactory(live=True)
    assert listed(api_client)[plain.slug]["has_video"] is False

    plain.lead_video = video  # an article now leads with a video that was already live
    plain.save()
    assert listed(api_client)[plain.slug]["has_video"] is True

    video.status = Status.DRAFT
    video.save()
    assert listed(api_client)[plain.slug]["has_video"] is False


def test_the_compiled_front_page_equals_the_filtered_path(api_client, monkeypatch):
    """An unfiltered page runs the list query compiled once (cms.compiled) with the current time;
    any filter or ordering builds it with the ORM. Both show the same items, pages and links, and
    the compiled one follows the clock: a scheduled article appears once its time has come."""
    now = timezone.now()
    for age in range(7):
        ArticleFactory(live=True, published_at=now - timedelta(hours=age))
    ArticleFactory(status=Status.DRAFT)
    ArticleFactory(
        status=Status.PUBLISHED, published_at=now - timedelta(days=2), expires_at=now - timedelta(hours=1)
    )
    soon = ArticleFactory(status=Status.PUBLISHED, published_at=now + timedelta(minutes=5))

    def page(query):
        body = api_client.get(f"/api/v1/articles/?{query}").json()
        links = ("next", "previous", "next_cursor")
        return {**body, **{link: body[link] and remove_query_param(body[link], "ordering") for link in links}}

    for number in (1, 2, 3):
        compiled = page(f"page_size=3&page={number}")
        assert compiled == page(f"page_size=3&page={number}&ordering=-published_at")
    assert compiled["count"] == 7 and len(compiled["results"]) == 1

    later = now + timedelta(minutes=6)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert page("page_size=1")["results"][0]["slug"] == soon.slug


@pytest.mark.parametrize("scope", [None, "topic", "section"])
def test_deep_numbered_pages_start_from_kept_positions_and_equal_the_filtered_path(
    api_client, monkeypatch, django_assert_max_num_queries, scope
):
    """A numbered page past ANCHOR_EVERY items starts after the kept position of an item before
    it (articles.listing.LiveArticles.anchors), ties on the publish time included; the positions
    move as soon as the list changes, and the clock's changes too."""
    monkeypatch.setattr(listing, "ANCHOR_EVERY", 3)
    topic, section = TopicFactory(), SectionFactory()
    now = timezone.now()
    in_scope = {"topics": [topic], "section": section}
    for age in (0, 1, 1, 1, 2, 3, 3, 4, 5, 6, 7):  # ties: three, then two, at one instant
        ArticleFactory(live=True, published_at=now - timedelta(hours=age), **in_scope)
    ArticleFactory(live=True, published_at=now - timedelta(minutes=90))  # in no scope
    ArticleFactory(status=Status.DRAFT, **in_scope)
    soon = ArticleFactory(status=Status.PUBLISHED, published_at=now + timedelta(minutes=5), **in_scope)
    query = {None: "", "topic": f"topic={topic.slug}&", "section": f"section={section.slug}&"}[scope]

    def fetched(url):
        body = api_client.get(url).json()
        links = ("next", "previous", "next_cursor")
        return {**body, **{link: body[link] and remove_query_param(body[link], "ordering") for link in links}}

    def page(number):
        url = f"/api/v1/articles/?{query}page_size=2&page={number}"
        compiled = fetched(url)
        assert compiled == fetched(f"{url}&ordering=-published_at")
        return [item["slug"] for item in compiled["results"]]

    pages = [page(number) for number in range(1, 7)]
    assert len(set(sum(pages, []))) == len(sum(pages, []))  # each article once
    with django_assert_max_num_queries(1) as deep:  # the positions are kept: one query, however deep
        api_client.get(f"/api/v1/articles/?{query}page_size=2&page=5")
    # Items 9 and 10: two after the position of the 6th, not eight after the newest.
    assert "OFFSET 2" in deep.captured_queries[0]["sql"]

    ArticleFactory(live=True, published_at=now - timedelta(minutes=30), **in_scope)  # moves every page
    assert page(2)[0] == pages[1][0] or page(2)[0] == pages[0][1]
    page(5)
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=6))
    assert page(1)[0] == soon.slug
    page(5)


def test_positions_worked_out_while_an_article_goes_live_are_not_kept(api_client, monkeypatch):
    # A deep page's request works the positions out for its own instant; an article going live
    # between then and their keeping would shift every deep page by one, until the next write.
    monkeypatch.setattr(listing, "ANCHOR_EVERY", 3)
    start = timezone.now()
    for age in range(1, 9):
        ArticleFactory(live=True, published_at=start - timedelta(hours=age))
    soon = ArticleFactory(status=Status.PUBLISHED, published_at=start + timedelta(minutes=5))
    clock = [start]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])

    in_flight = listing.LiveArticles()  # a request begins just before the publish time ...
    clock[0] = start + timedelta(minutes=5, milliseconds=20)  # ... and it passes meanwhile
    in_flight.anchors()

    clock[0] = start + timedelta(minutes=30)
    live = [item["slug"] for item in api_client.get("/api/v1/articles/?page_size=100").json()["results"]]
    pages = [
        [item["slug"] for item in api_client.get(f"/api/v1/articles/?page_size=3&page={n}").json()["results"]]
        for n in (1, 2, 3)
    ]
    assert live[0] == soon.slug and sum(pages, []) == live


def test_the_compiled_front_page_in_cursor_mode_equals_the_filtered_path(api_client):
    """Cursor pages of the unfiltered list (compiled) and of the same list through the ORM walk
    the same items forward and back, ties on the publish time included."""
    now = timezone.now()
    for age in (0, 1, 1, 1, 2, 3, 3, 4):  # three and two articles published at the same instant
        ArticleFactory(live=True, published_at=now - timedelta(hours=age))
    ArticleFactory(status=Status.DRAFT)

    def walk(query):
        slugs, link, pages = [], f"/api/v1/articles/?{query}&page_size=3&cursor=", []
        while link:
            body = api_client.get(link).json()
            pages.append(body)
            slugs += [item["slug"] for item in body["results"]]
            link = body["next"]
        back, link = [], pages[-1]["previous"]
        while link:
            body = api_client.get(link).json()
            back = [item["slug"] for item in body["results"]] + back
            link = body["previous"]
        return slugs, back

    compiled, orm = walk("fields=slug"), walk("fields=slug&ordering=-published_at")
    assert compiled == orm
    forward, back = compiled
    assert len(forward) == 8 == len(set(forward))
    assert back == forward[:6]  # every page before the last one, read backwards


@pytest.mark.parametrize("text", ["\\u0000", "C:\\\\u0000 and \\\\\\u0000", 'a "\\u0000" b \\'])
def test_text_with_escapes_stays_valid_json_and_equal_to_the_built_shape(api_client, text):
    article = ArticleFactory(
        live=True, headline=f"Headline {text}", standfirst=text, hero_image=ImageFactory()
    )
    for _ in range(2):  # made, then served from the stored rendering
        item = listed(api_client)[article.slug]
        assert item["standfirst"] == text and item["headline"] == f"Headline {text}"
        assert item["hero_image"]["url"].startswith("http://testserver/media/")
        assert item == listed(api_client, f"fields={DEFAULT_FIELDS}")[article.slug]
        assert listed(api_client, "expand=authors")[article.slug]["standfirst"] == text
        shown = detail(api_client, article)
        assert shown["standfirst"] == text and shown["hero_image"]["url"].startswith("http://testserver/")


@pytest.mark.parametrize(
    "change", ["article headline", "hero image alt text", "video title", "article unpublished"]
)
@pytest.mark.parametrize("page", ["topics", "sections", "authors"])
@pytest.mark.parametrize("response_cache", [False, True])
def test_every_change_to_a_teaser_card_reaches_the_pages_that_list_it(
    api_client, settings, change, page, response_cache
):
    settings.RESPONSE_CACHE = response_cache  # the page's keys name what its cards show
    topic, section, author, image = TopicFactory(), SectionFactory(), AuthorFactory(), ImageFactory()
    article = ArticleFactory(live=True, topics=[topic], section=section, authors=[author], hero_image=image)
    video = VideoFactory(live=True, topics=[topic], section=section)
    url = f"/api/v1/{page}/{ {'topics': topic, 'sections': section, 'authors': author}[page].slug }/"
    before = api_client.get(url).json()["latest"]
    assert api_client.get(url).json()["latest"] == before  # stored

    if change == "article headline":
        article.headline = "New"
        article.save()
    elif change == "hero image alt text":
        image.alt_text = "New"
        image.save()
    elif change == "video title":
        video.title = "New"
        video.save()
    elif change == "article unpublished":
        article.status = Status.DRAFT
        article.save()

    after = api_client.get(url).json()["latest"]
    if page == "authors" and change == "video title":
        assert after == before  # an author page lists articles only
    else:
        assert after != before
    cache.clear()
    assert api_client.get(url).json()["latest"] == after  # as made from the relations


@pytest.mark.parametrize("scope", ["topic", "section"])
def test_a_list_of_one_topic_or_section_is_compiled_and_equals_the_filtered_path(api_client, scope):
    topic, section, other = TopicFactory(), SectionFactory(), TopicFactory()
    now = timezone.now()
    for age in range(5):
        ArticleFactory(live=True, topics=[topic], section=section, published_at=now - timedelta(hours=age))
        ArticleFactory(live=True, topics=[other], published_at=now - timedelta(hours=age, minutes=30))
    ArticleFactory(status=Status.DRAFT, topics=[topic], section=section)
    slug = {"topic": topic.slug, "section": section.slug}[scope]

    def page(query):
        body = api_client.get(f"/api/v1/articles/?{query}").json()
        links = ("next", "previous", "next_cursor")
        return {**body, **{link: body[link] and remove_query_param(body[link], "ordering") for link in links}}

    for query in (f"{scope}={slug}&page_size=2", f"{scope}={slug}&page_size=2&page=3"):
        compiled = page(query)
        assert compiled == page(f"{query}&ordering=-published_at")
    assert compiled["count"] == 5 and len(compiled["results"]) == 1
    cursor = page(f"{scope}={slug}&page_size=2&cursor=")["next"]
    assert page(cursor.split("?", 1)[1]) == page(cursor.split("?", 1)[1] + "&ordering=-published_at")
    assert page(f"{scope}=nothing-here")["count"] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements (PostgreSQL)")
def test_queries_of_one_topic_section_or_author_are_each_prepared_and_planned_for_it(api_client):
    # A generic plan, made once for any topic, walks the newest-first index of every article
    # until it has found a page of the topic's: right for a large topic, ruinous for a small one.
    # So each topic's queries are statements of their own, its id in their text (cms.compiled).
    topic, section, author = TopicFactory(), SectionFactory(), AuthorFactory()
    ArticleFactory(live=True, topics=[topic], section=section, authors=[author])
    VideoFactory(live=True, topics=[topic], section=section)
    urls = [
        f"/api/v1/topics/{topic.slug}/",
        f"/api/v1/sections/{section.slug}/",
        f"/api/v1/authors/{author.slug}/",
        f"/api/v1/articles/?topic={topic.slug}",
        f"/api/v1/articles/?section={section.slug}",
        f"/feeds/topics/{topic.slug}/rss/",
        "/api/v1/articles/",
    ]

    for _ in range(3):  # a statement run twice is prepared (settings: prepare_threshold)
        assert {api_client.get(url).status_code for url in urls} == {200}

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("articles_article" in statement for statement in prepared)  # the site-wide list
    scoped = re.compile(r'"(topic|section|author)_id" = \$')
    assert not [statement for statement in prepared if scoped.search(statement)]
    for name, item in {"topic": topic, "section": section, "author": author}.items():
        own = [statement for statement in prepared if re.search(rf'"{name}_id" = {item.pk}\b', statement)]
        assert own, name
        # The status asked for is in their text too: a generic plan that must guess it misjudges
        # how many rows are live.
        assert not [statement for statement in own if '"status" = $' in statement], name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements (PostgreSQL)")
def test_the_busiest_reads_are_prepared_with_their_limits_in_their_text(api_client, settings):
    # After five runs PostgreSQL keeps one plan for a prepared statement, unless that generic plan
    # looks worse than the plans made for the values: then it plans every run anew. A generic plan
    # guesses that an unknown LIMIT takes a tenth of the rows, so at 50,000 articles the detail's
    # row, the feeds' items and the clock changes were planned on every run (bench/).
    settings.RESPONSE_CACHE = False  # every request reaches its queries
    article = ArticleFactory(live=True, topics=[TopicFactory()])
    VideoFactory(live=True)
    urls = [f"/api/v1/articles/{article.slug}/", "/api/v1/articles/", "/feeds/rss/", "/api/v1/changes/"]

    for _ in range(3):  # a statement run twice is prepared (settings: prepare_threshold)
        assert {api_client.get(url).status_code for url in urls} == {200}

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('"articles_article"."slug" = $1' in statement for statement in prepared)  # the detail's row
    assert [statement for statement in prepared if re.search(r"\b(LIMIT|OFFSET) \$", statement)] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements (PostgreSQL)")
def test_without_prepared_statements_every_read_answers_the_same(api_client, monkeypatch):
    # DATABASE_PREPARED_STATEMENTS=0, behind a pooler: psycopg's client-side cursors, which
    # read rows as text only, run the compiled queries.
    topic, section, author = TopicFactory(), SectionFactory(), AuthorFactory()
    article = ArticleFactory(live=True, topics=[topic], section=section, authors=[author])
    VideoFactory(live=True, topics=[topic])
    urls = [
        "/api/v1/articles/",
        f"/api/v1/articles/?topic={topic.slug}",
        f"/api/v1/articles/{article.slug}/",
        f"/api/v1/topics/{topic.slug}/",
        f"/api/v1/authors/{author.slug}/",
        "/feeds/rss/",
        "/api/v1/changes/",
    ]
    served = {url: api_client.get(url) for url in urls}
    cache.clear()

    # The cursors Django makes without server-side binding, on the test's own connection.
    monkeypatch.setattr(connection.connection, "cursor_factory", postgresql_base.Cursor)
    for url, before in served.items():
        after = api_client.get(url)
        assert after.status_code == 200, url
        if url.startswith("/api/v1/changes/"):  # its next position is the time now
            assert after.json()["results"] == before.json()["results"]
        else:
            assert after.content == before.content, url


def test_a_topic_renamed_or_deactivated_changes_its_list_at_once(api_client):
    topic = TopicFactory(slug="kursk")
    ArticleFactory(live=True, topics=[topic])

    def count(slug):
        response = api_client.get(f"/api/v1/articles/?topic={slug}")
        return response.status_code, response.json().get("count")

    assert count("kursk") == (200, 1)  # its id is now kept, as a count is
    topic.slug = "kursk-oblast"
    topic.save()
    assert count("kursk") == count("nothing-here") and count("kursk-oblast") == (200, 1)
    topic.is_active = False
    topic.save()
    assert count("kursk-oblast") == count("nothing-here")


@pytest.mark.parametrize("page", ["topics", "sections", "authors"])
def test_a_page_of_newest_content_follows_changes_to_its_own_fields(api_client, page):
    parent = TopicFactory(name="Europe")
    owner = {
        "topics": lambda: TopicFactory(slug="ukraine", parent=parent),
        "sections": lambda: SectionFactory(slug="ukraine"),
        "authors": lambda: AuthorFactory(slug="ukraine"),
    }[page]()
    relation = {
        "topics": {"topics": [owner]},
        "sections": {"section": owner},
        "authors": {"authors": [owner]},
    }
    ArticleFactory(live=True, **relation[page])
    first = api_client.get(f"/api/v1/{page}/ukraine/").json()
    assert len(first["latest"]) == 1
    assert api_client.get(f"/api/v1/{page}/ukraine/").json() == first  # kept, and the same

    if page == "topics":
        parent.name = "Eastern Europe"
        parent.save()
        assert api_client.get("/api/v1/topics/ukraine/").json()["parent"]["name"] == "Eastern Europe"
    owner.name = "Ukraine war"
    owner.save()
    assert api_client.get(f"/api/v1/{page}/ukraine/").json()["name"] == "Ukraine war"
    owner.slug = "ukraine-war"
    owner.save()
    assert api_client.get(f"/api/v1/{page}/ukraine/").status_code == 404
    moved = api_client.get(f"/api/v1/{page}/ukraine-war/").json()
    assert moved["name"] == "Ukraine war" and moved["latest"] == first["latest"]
    assert api_client.get(f"/api/v1/{page}/ukraine-war/?fields=name").json() == {"name": "Ukraine war"}


def test_no_id_is_kept_for_an_unknown_slug(api_client, settings):
    settings.RESPONSE_CACHE = False
    TopicFactory(slug="kursk")
    SectionFactory(slug="news")
    for url in ("/api/v1/articles/?topic=kursk", "/api/v1/articles/?section=news", "/api/v1/topics/kursk/"):
        api_client.get(url)
    assert any("kursk" in key for key in cache._cache)  # the local-memory cache the tests run on

    for n in range(5):
        assert api_client.get(f"/api/v1/articles/?topic=unknown-{n}").json()["count"] == 0
        assert api_client.get(f"/api/v1/articles/?section=unknown-{n}").json()["count"] == 0
        assert api_client.get(f"/api/v1/topics/unknown-{n}/").status_code == 404
        assert api_client.get(f"/api/v1/sections/unknown-{n}/").status_code == 404
        assert api_client.get(f"/api/v1/authors/unknown-{n}/").status_code == 404

    assert not [key for key in cache._cache if "unknown" in key]
