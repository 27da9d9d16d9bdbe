from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.utils.urls import remove_query_param

from articles import search as search_module
from articles.models import Article, Video
from cms.publishing import Status
from tests.factories import ArticleFactory, ImageFactory, SectionFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def search(api_client, query):
    response = api_client.get(f"/api/v1/search/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def hits(api_client, query):
    return [(item["type"], item["slug"]) for item in search(api_client, query)["results"]]


def found(api_client, query):
    return {item["slug"] for item in search(api_client, query)["results"]}


def assert_invalid(response, parameter):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert parameter in [error["parameter"] for error in response.json()["errors"]]


def body(*paragraphs):
    return "".join(f"<p>{text}</p>" for text in paragraphs)


# --- Ranking -------------------------------------------------------------------------------
def test_headline_match_ranks_above_standfirst_above_body(api_client):
    # Created best-last, so that neither the id nor the publish time could explain the order.
    in_body = ArticleFactory(live=True, slug="in-body", body_html=body("Troops advanced on Kursk overnight."))
    in_standfirst = ArticleFactory(live=True, slug="in-standfirst", standfirst="What happened in Kursk.")
    in_headline = ArticleFactory(live=True, slug="in-headline", headline="Kursk: the front line")
    ArticleFactory(live=True, slug="elsewhere", headline="Nothing to see")

    data = search(api_client, "q=kursk")

    assert [item["slug"] for item in data["results"]] == [in_headline.slug, in_standfirst.slug, in_body.slug]
    ranks = [item["rank"] for item in data["results"]]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[1] > ranks[2] > 0
    assert data["count"] == 3


def test_videos_rank_by_title_description_transcript_among_articles(api_client):
    VideoFactory(live=True, slug="transcript", transcript="We filmed the carrier at dawn.")
    VideoFactory(live=True, slug="title", title="Carrier sails")
    ArticleFactory(live=True, slug="standfirst", standfirst="A carrier in the Atlantic.")

    assert hits(api_client, "q=carrier") == [
        ("video", "title"),
        ("article", "standfirst"),
        ("video", "transcript"),
    ]


def test_results_are_teasers_with_rank_and_snippet(api_client):
    image = ImageFactory()
    article = ArticleFactory(
        live=True,
        headline="Kursk offensive",
        standfirst="In short.",
        hero_image=image,
        body_html=body("On Kursk."),
    )

    item = search(api_client, "q=kursk")["results"][0]

    assert set(item) == {
        "type",
        "id",
        "slug",
        "title",
        "summary",
        "thumbnail",
        "published_at",
        "rank",
        "snippet",
    }
    assert (item["type"], item["id"], item["title"], item["summary"]) == (
        "article",
        article.pk,
        "Kursk offensive",
        "In short.",
    )
    assert item["thumbnail"]["id"] == image.pk
    assert "<mark>Kursk</mark>" in item["snippet"]


# --- Syntax --------------------------------------------------------------------------------
@pytest.fixture
def corpus():
    return {
        "phrase": ArticleFactory(live=True, slug="phrase", body_html=body("North Korean soldiers arrived.")),
        "apart": ArticleFactory(
            live=True, slug="apart", body_html=body("Soldiers from the north met Korean envoys.")
        ),
        "navy": ArticleFactory(live=True, slug="navy", headline="Royal Navy sailors"),
        "army": ArticleFactory(live=True, slug="army", headline="Army soldiers parade"),
        "video": VideoFactory(live=True, slug="jets", title="Fighter jets over the carrier"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("soldiers", {"phrase", "apart", "army"}),
        ("north korean", {"phrase", "apart"}),  # every word, anywhere
        ('"north korean"', {"phrase"}),  # the phrase
        ("NORTH Korean", {"phrase", "apart"}),  # any case
        ("navy OR army", {"navy", "army"}),
        ("sailors OR jets", {"navy", "jets"}),
        ("soldiers -korean", {"army"}),
        ('soldiers -"north korean"', {"apart", "army"}),
        ("soldiers navy", set()),
        ("nothing-like-this", set()),
    ],
)
def test_web_search_syntax(api_client, corpus, q, expected):
    assert found(api_client, urlencode({"q": q})) == expected


def test_words_match_whole_not_inside_other_words(api_client):
    ArticleFactory(live=True, slug="award", headline="An award for the software team")
    war = ArticleFactory(live=True, slug="war", headline="The war in Ukraine")

    assert found(api_client, "q=war") == {war.slug}
    assert found(api_client, "q=software -war") == {"award"}


# --- Visibility ----------------------------------------------------------------------------
def test_only_publicly_visible_items_are_found(api_client):
    now = timezone.now()
    live = ArticleFactory(live=True, slug="live", headline="Kursk")
    live_video = VideoFactory(live=True, slug="live-video", title="Kursk")
    ArticleFactory(status=Status.DRAFT, headline="Kursk draft")
    ArticleFactory(status=Status.ARCHIVED, headline="Kursk archived", published_at=now - timedelta(days=1))
    ArticleFactory(status=Status.PUBLISHED, headline="Kursk scheduled", published_at=now + timedelta(hours=1))
    ArticleFactory(
        status=Status.PUBLISHED,
        headline="Kursk expired",
        published_at=now - timedelta(days=2),
        expires_at=now - timedelta(days=1),
    )
    VideoFactory(status=Status.DRAFT, title="Kursk draft video")
    VideoFactory(
        status=Status.PUBLISHED, title="Kursk scheduled video", published_at=now + timedelta(hours=1)
    )

    assert found(api_client, "q=kursk") == {live.slug, live_video.slug}
    assert search(api_client, "q=kursk")["count"] == 2
    assert [item["slug"] for item in api_client.get("/api/v1/articles/?q=kursk").json()["results"]] == [
        live.slug
    ]
    assert [item["slug"] for item in api_client.get("/api/v1/videos/?q=kursk").json()["results"]] == [
        live_video.slug
    ]


def test_an_unpublished_item_disappears_from_search(api_client):
    article = ArticleFactory(live=True, headline="Kursk")
    assert found(api_client, "q=kursk") == {article.slug}

    article.status = Status.DRAFT
    article.save()

    assert found(api_client, "q=kursk") == set()


# --- Filters, type, ordering, pages ----------------------------------------------------------
def test_type_and_filters_on_search(api_client):
    topic, section = TopicFactory(slug="navy"), SectionFactory(slug="defence")
    old = timezone.now() - timedelta(days=30)
    ArticleFactory(live=True, slug="a-navy", headline="Carrier news", topics=[topic], section=section)
    ArticleFactory(live=True, slug="a-old", headline="Carrier history", published_at=old)
    VideoFactory(live=True, slug="v-navy", title="Carrier video", topics=[topic])

    assert found(api_client, "q=carrier&type=article") == {"a-navy", "a-old"}
    assert found(api_client, "q=carrier&type=video") == {"v-navy"}
    assert found(api_client, "q=carrier&topic=navy") == {"a-navy", "v-navy"}
    assert found(api_client, "q=carrier&section=defence") == {"a-navy"}
    assert found(api_client, f"q=carrier&published_before={(old + timedelta(days=1)).date()}") == {"a-old"}
    assert found(api_client, "q=carrier&topic=no-such-topic") == set()


def test_search_ordering_by_time_instead_of_relevance(api_client):
    now = timezone.now()
    ArticleFactory(live=True, slug="best-old", headline="Kursk Kursk", published_at=now - timedelta(days=2))
    VideoFactory(live=True, slug="weak-new", transcript="Kursk", published_at=now - timedelta(hours=1))

    assert [slug for _, slug in hits(api_client, "q=kursk")] == ["best-old", "weak-new"]
    assert [slug for _, slug in hits(api_client, "q=kursk&ordering=-relevance")] == ["best-old", "weak-new"]
    assert [slug for _, slug in hits(api_client, "q=kursk&ordering=-published_at")] == [
        "weak-new",
        "best-old",
    ]
    assert [slug for _, slug in hits(api_client, "q=kursk&ordering=published_at")] == ["best-old", "weak-new"]


def test_search_pages(api_client):
    moment = timezone.now() - timedelta(hours=1)
    for n in range(5):
        ArticleFactory(live=True, slug=f"a{n}", headline="Kursk", published_at=moment)
        VideoFactory(live=True, slug=f"v{n}", title="Kursk", published_at=moment)

    pages = [search(api_client, f"q=kursk&page_size=4&page={n}") for n in (1, 2, 3)]

    assert [page["count"] for page in pages] == [10, 10, 10]
    seen = [item["slug"] for page in pages for item in page["results"]]
    assert sorted(seen) == sorted([f"a{n}" for n in range(5)] + [f"v{n}" for n in range(5)])
    assert api_client.get("/api/v1/search/?q=kursk&page=9").status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=++", "q"),
        ("q=" + "x" * 201, "q"),
        ("q=-kursk", "q"),
        ('q="', "q"),
        ("q=kursk&type=audio", "type"),
        ("q=kursk&ordering=title", "ordering"),
        ("q=kursk&topic=bad slug", "topic"),
        ("q=kursk&topic_match=most", "topic_match"),
        ("q=kursk&published_after=now", "published_after"),
        ("q=kursk&page_size=1000", "page_size"),
    ],
)
def test_bad_search_parameters_are_400s_naming_them(api_client, query, parameter):
    assert_invalid(api_client.get(f"/api/v1/search/?{query}"), parameter)


def test_two_hundred_characters_are_allowed(api_client):
    ArticleFactory(live=True, headline="Kursk AB")

    assert search(api_client, "q=" + "kursk " * 33 + "ab")["count"] == 1  # 200 characters


# --- Lists with ?q= ------------------------------------------------------------------------
def test_article_and_video_lists_search_in_their_own_shape(api_client):
    best = ArticleFactory(live=True, slug="best", headline="Kursk")
    ArticleFactory(live=True, slug="other", headline="Elsewhere")
    second = ArticleFactory(live=True, slug="second", body_html=body("Also Kursk."))

    response = api_client.get("/api/v1/articles/?q=kursk")

    assert [item["slug"] for item in response.json()["results"]] == [best.slug, second.slug]
    assert "headline" in response.json()["results"][0]
    newest = api_client.get("/api/v1/articles/?q=kursk&ordering=-published_at").json()["results"]
    assert [item["slug"] for item in newest] == [second.slug, best.slug]


def test_search_combines_with_list_filters(api_client):
    topic = TopicFactory(slug="ukraine")
    tagged = ArticleFactory(live=True, headline="Kursk", topics=[topic])
    ArticleFactory(live=True, headline="Kursk again")

    response = api_client.get("/api/v1/articles/?q=kursk&topic=ukraine")

    assert [item["slug"] for item in response.json()["results"]] == [tagged.slug]


# --- Snippets ------------------------------------------------------------------------------
def test_snippet_highlights_matches_and_escapes_the_text(api_client):
    ArticleFactory(live=True, headline="Notes", body_html=body("Tom &amp; Jerry &lt;3 the Kursk region."))

    snippet = search(api_client, "q=kursk")["results"][0]["snippet"]

    assert "<mark>Kursk</mark>" in snippet
    assert "Tom &amp; Jerry &lt;3" in snippet
    assert "<3" not in snippet


def test_snippet_is_a_window_around_the_first_match(api_client):
    before, after = (" ".join(f"{side}{n}" for n in range(200)) for side in ("before", "after"))
    ArticleFactory(live=True, headline="Long", body_html=body(f"{before} Kursk {after}"))

    snippet = search(api_client, "q=kursk")["results"][0]["snippet"]

    assert "before199 <mark>Kursk</mark> after0 after1" in snippet
    if connection.vendor != "postgresql":  # ts_headline does not mark its cuts
        assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) < 400
    assert "before0 " not in snippet and "after199" not in snippet


# --- Query counts --------------------------------------------------------------------------
def test_search_queries_do_not_grow_with_results(api_client, django_assert_max_num_queries):
    for n in range(12):
        ArticleFactory(live=True, headline=f"Kursk {n}", hero_image=ImageFactory(), topics=[TopicFactory()])
        VideoFactory(live=True, title=f"Kursk {n}", thumbnail=ImageFactory())

    # count, page of ids, articles, videos (with their images), their snippets; on PostgreSQL
    # first, per type, whether the RUM index is there and the planner's estimate of the matches
    # (each asked once per process), or without it the publish time the newest are ranked from
    with django_assert_max_num_queries(10 if connection.vendor == "postgresql" else 6):
        data = search(api_client, "q=kursk&topic_match=all&page_size=20")

    assert data["count"] == 24 and len(data["results"]) == 20


def newest_kursk_articles(monkeypatch, count: int) -> list:
    """`count` live articles matching "kursk", newest first, of which only 3 are ranked."""
    monkeypatch.setattr("articles.search.RANKED_MATCHES", 3)
    now = timezone.now()
    return [
        ArticleFactory(live=True, headline=f"Kursk {n}", published_at=now - timedelta(hours=n))
        for n in range(count)
    ]


def test_only_the_newest_matches_are_ranked_on_postgresql(api_client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite matches every row: the bound is PostgreSQL's ranking")
    articles = newest_kursk_articles(monkeypatch, 5)

    data = search(api_client, "q=kursk&type=article")

    assert data["count"] == 3
    assert {item["slug"] for item in data["results"]} == {article.slug for article in articles[:3]}


@pytest.mark.parametrize("url", ["/api/v1/search/", "/api/v1/articles/"])
def test_the_other_filters_narrow_what_is_ranked_so_older_matches_are_reached(api_client, monkeypatch, url):
    articles = newest_kursk_articles(monkeypatch, 6)  # of which 3 are ranked on PostgreSQL
    before = (articles[3].published_at + timedelta(minutes=1)).isoformat()

    data = api_client.get(url, {"q": "kursk", "published_before": before}).json()

    assert {item["slug"] for item in data["results"]} == {article.slug for article in articles[3:]}


def test_list_search_queries_are_fixed(api_client, django_assert_max_num_queries):
    for _ in range(12):
        ArticleFactory(live=True, headline="Kursk", topics=TopicFactory.create_batch(2))

    # count, page (with rank); first listing: articles, topics, authors, storing the items;
    # the live lead videos
    with django_assert_max_num_queries(7):
        response = api_client.get("/api/v1/articles/?q=kursk&topic_match=all")

    assert response.json()["count"] == 12


# --- Keeping the index in step ---------------------------------------------------------------
def test_edits_are_searchable_at_once(api_client):
    article = ArticleFactory(live=True, headline="Before")
    video = VideoFactory(live=True, title="Clip")

    article.body_html = body("Now about Zaporizhzhia.")
    article.save()
    video.transcript = "We talk about Zaporizhzhia."
    video.save(update_fields=["transcript"])

    assert found(api_client, "q=zaporizhzhia") == {article.slug, video.slug}


def test_body_text_is_the_plain_text_of_the_blocks():
    article = ArticleFactory(
        body_html="<h2>Heading</h2><p>One <strong>bold</strong> word.</p>"
        "<ul><li>First</li><li>Second</li></ul>"
    )

    assert Article.objects.get(pk=article.pk).body_text == "Heading\nOne bold word.\nFirst\nSecond"


# --- Schema --------------------------------------------------------------------------------
def test_schema_documents_search(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/search/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    assert operation["description"]
    assert parameters["q"]["required"] is True
    assert parameters["type"]["schema"]["enum"] == ["article", "video"]
    assert "-relevance" in parameters["ordering"]["schema"]["enum"]
    assert {"topic", "topic_match", "section", "published_after", "published_before", "updated_since"} <= set(
        parameters
    )
    assert {"page", "page_size"} <= set(parameters)
    assert "author" not in parameters and "has_video" not in parameters
    assert all(parameter["description"] for parameter in parameters.values())
    assert {"400", "404"} <= set(operation["responses"])
    result = schema["components"]["schemas"]["SearchResult"]["properties"]
    assert {"rank", "snippet", "title", "summary", "thumbnail"} <= set(result)


# --- PostgreSQL ----------------------------------------------------------------------------
@postgresql_only
def test_postgresql_stems_english_words(api_client):
    article = ArticleFactory(live=True, headline="A troop withdrawal")

    assert found(api_client, "q=troops") == {article.slug}
    assert found(api_client, "q=withdrawing") == {article.slug}


@postgresql_only
def test_postgresql_websearch_syntax(api_client, corpus):
    # websearch_to_tsquery itself: a phrase, OR, and minus, as PostgreSQL reads them.
    assert found(api_client, 'q="north korean" OR sailors') == {"phrase", "navy"}
    assert found(api_client, "q=soldier -parade") == {"phrase", "apart"}


@postgresql_only
def test_postgresql_snippet_is_ts_headline_with_marks(api_client):
    before, after = (" ".join(f"{side}{n}" for n in range(100)) for side in ("before", "after"))
    ArticleFactory(
        live=True, headline="Long", body_html=body(f"{before} Soldiers crossed into Kursk. {after}")
    )

    snippet = search(api_client, "q=soldier kursk")["results"][0]["snippet"]

    assert "<mark>Soldiers</mark> crossed into <mark>Kursk</mark>" in snippet  # stemmed: soldier
    assert "before0 " not in snippet and "after99" not in snippet


@postgresql_only
def test_postgresql_vectors_are_stored_and_indexed():
    article = ArticleFactory(live=True, headline="Kursk", standfirst="Troops", body_html=body("Drones"))
    VideoFactory(live=True, title="Carrier")

    vector = Article.objects.values_list("search_vector", flat=True).get(pk=article.pk)
    assert {"'kursk':1A", "'troop':2B", "'drone':3C"} <= set(vector.split())
    assert Video.objects.filter(search_vector__isnull=True).count() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_indexes "
            "WHERE tablename IN ('articles_article', 'articles_video') "
            "AND indexdef LIKE '%USING gin (search_vector)%'"
        )
        assert {row[0] for row in cursor.fetchall()} == {"articles_article", "articles_video"}


@postgresql_only
def test_postgresql_search_uses_a_search_index():
    for n in range(50):
        ArticleFactory(live=True, headline=f"Story {n}")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM articles_article "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'story')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The GIN index, or the RUM index that also holds publish times where `rum` is installed.
    assert "articles_article_search_gin" in plan or "articles_article_search_rum" in plan


def rum_indexed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'articles_article_search_rum'")
        return cursor.fetchone() is not None


@postgresql_only
def test_with_rum_the_newest_matches_come_from_the_index_in_order(api_client, monkeypatch):
    if not rum_indexed():
        pytest.skip("the rum extension is not installed here (Debian: postgresql-15-rum)")
    articles = newest_kursk_articles(monkeypatch, 6)
    ArticleFactory(live=False, headline="Kursk draft", published_at=timezone.now())
    ranked = search_module.search(Article.objects.published(), "kursk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for setting in ("enable_bitmapscan", "enable_sort"):  # as the planner picks on a large table
            cursor.execute(f"SET LOCAL {setting} = off")
        sql, params = ranked.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan using articles_article_search_rum" in plan and "Order By: (published_at <=|" in plan
    assert {article.pk for article in ranked} == {article.pk for article in articles[:3]}
    data = search(api_client, "q=kursk&type=article&ordering=-published_at")
    assert [item["slug"] for item in data["results"]] == [article.slug for article in articles[:3]]


@postgresql_only
def test_the_newest_matches_of_a_common_word_are_walked_to_and_the_same(api_client, monkeypatch, settings):
    """A word in most items finds its newest matches faster by walking the newest items than from
    the RUM index, which reads every entry of the word; a rare word the other way round. The
    planner's statistics decide (articles.search.walks), and either way the answers are the same."""
    if not rum_indexed():
        pytest.skip("the rum extension is not installed here (Debian: postgresql-15-rum)")
    monkeypatch.setattr("articles.search.RANKED_MATCHES", 3)
    settings.RESPONSE_CACHE = False  # each answer made anew
    now = timezone.now()
    for n in range(40):
        near = " near Kursk" if n % 10 == 0 else ""
        ArticleFactory(live=True, headline=f"Troops {n}{near}", published_at=now - timedelta(hours=n))
        VideoFactory(live=True, title=f"Troops {n}{near}", published_at=now - timedelta(hours=n, minutes=1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
        cursor.execute("ANALYZE articles_video")

    assert search_module.walks(Article.objects.all(), "troops", 3)
    assert not search_module.walks(Article.objects.all(), "kursk", 3)
    for q in ("troops", "kursk", "troops -kursk"):
        urls = [f"/api/v1/search/?q={q}&page_size=2&page={n}" for n in (1, 2, 3, 4)]
        urls += [f"{url}&ordering=-relevance" for url in urls]  # the ORM's query, not the compiled one
        answers = {}
        for walk in (False, True):
            monkeypatch.setattr(search_module, "walks", lambda *args, walk=walk: walk)
            answers[walk] = [api_client.get(url).json() for url in urls]
        assert answers[False] == answers[True]
        assert answers[True][0]["results"]


@postgresql_only
def test_what_a_process_keeps_of_the_planners_estimates_is_bounded(api_client, monkeypatch):
    if not rum_indexed():
        pytest.skip("the rum extension is not installed here (Debian: postgresql-15-rum)")
    monkeypatch.setattr(search_module, "ESTIMATES_KEPT", 2)
    ArticleFactory(live=True, headline="Troops near Kursk")

    for q in ("troops", "kursk", "the", "troops kursk"):  # "the": no words left to match
        assert api_client.get("/api/v1/search/", {"q": q}).status_code == 200

    # One estimate per type: the latest search's, of articles and of videos.
    assert [key[1:] for key in search_module._estimated] == [
        ("articles_article", "troops kursk"),
        ("articles_video", "troops kursk"),
    ]


@pytest.mark.parametrize("url", ["/api/v1/search/", "/api/v1/articles/", "/api/v1/videos/"])
def test_a_search_is_bounded_to_ten_different_words(api_client, url):
    ArticleFactory(live=True, headline="Kursk")
    ten = " OR ".join(["kursk", *(f"w{n}" for n in range(8))]) + " -drones"
    assert api_client.get(url, {"q": ten}).status_code == 200

    response = api_client.get(url, {"q": ten + " more"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"detail": "At most 10 different words, not 11.", "parameter": "q"}]
    phrase = api_client.get(url, {"q": '"' + " ".join(f"w{n}" for n in range(11)) + '"'})
    assert phrase.status_code == 400


def test_searches_are_throttled_per_client_with_a_429_problem(api_client, settings):
    settings.SEARCH_RATE_PER_CLIENT = "3/minute"
    settings.RESPONSE_CACHE = False  # every search reaches the view, as new queries do
    ArticleFactory(live=True, headline="Kursk")
    for n in range(3):
        assert api_client.get("/api/v1/search/", {"q": f"kursk w{n}"}).status_code == 200

    throttled = api_client.get("/api/v1/articles/", {"q": "kursk"}, REMOTE_ADDR="127.0.0.1")
    assert throttled.status_code == 429 and throttled["Content-Type"] == "application/problem+json"
    assert 0 < int(throttled["Retry-After"]) <= 60 and throttled["Cache-Control"] == "no-store"
    assert api_client.get("/api/v1/articles/").status_code == 200  # not a search: not counted
    assert api_client.get("/api/v1/search/", {"q": "kursk"}, REMOTE_ADDR="192.0.2.9").status_code == 200


@postgresql_only
@pytest.mark.parametrize("q", ["kursk", "troops OR kursk", "kursk -drones"])
def test_a_plain_search_compiled_equals_the_built_one(api_client, monkeypatch, q):
    """`q` alone (and a page) runs the search compiled once (articles.views.RankedMatches) where
    the RUM index serves it; any other parameter builds it with the ORM. Both rank the same matches
    in the same order, pages, ties and the newest-matches bound included, and follow the clock."""
    if not rum_indexed():
        pytest.skip("the rum extension is not installed here (Debian: postgresql-15-rum)")
    monkeypatch.setattr("articles.search.RANKED_MATCHES", 4)
    now = timezone.now()
    for n in range(7):
        ArticleFactory(live=True, headline=f"Kursk {n}", published_at=now - timedelta(hours=n))
        VideoFactory(
            live=True, title=f"Troops near Kursk {n}", published_at=now - timedelta(hours=n, minutes=1)
        )
    ArticleFactory(
        live=True, headline="Kursk region", standfirst="Drones", published_at=now - timedelta(hours=2)
    )
    ArticleFactory(live=False, headline="Kursk draft", published_at=now)
    soon = ArticleFactory(live=True, headline="Kursk soon", published_at=now + timedelta(minutes=5))

    def pages(extra=""):
        answers = [api_client.get(f"/api/v1/search/?q={q}&page_size=3&page={n}{extra}") for n in (1, 2, 3, 4)]
        bodies = [answer.json() for answer in answers]
        for body in bodies:
            for link in ("next", "previous"):
                if body.get(link):
                    body[link] = remove_query_param(body[link], "ordering")
        return [(answer.status_code, body) for answer, body in zip(answers, bodies, strict=True)]

    assert pages() == pages("&ordering=-relevance")
    assert pages()[0][1]["results"]  # something was found
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=6))
    compiled = [item["slug"] for _, page in pages() for item in page.get("results", [])]
    assert soon.slug in compiled or "kursk" not in q
    assert pages() == pages("&ordering=-relevance")


@pytest.mark.parametrize("q", [None, "", "a" * 300, " ".join("abcdefghijkl"), "x\x00y"])
def test_a_plain_search_refuses_q_as_a_filtered_one_does(api_client, q):
    plain = {} if q is None else {"q": q}

    alone = api_client.get("/api/v1/search/", plain)
    filtered = api_client.get("/api/v1/search/", {**plain, "type": ""})

    assert alone.status_code == filtered.status_code == 400
    assert alone["Content-Type"] == "application/problem+json"
    assert alone.json()["errors"] == filtered.json()["errors"]
    assert [error["parameter"] for error in alone.json()["errors"]] == ["q"]
