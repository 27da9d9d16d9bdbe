from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from cms.publishing import Status
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db


def slugs(response):
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def assert_invalid(response, parameter):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert parameter in [error["parameter"] for error in body["errors"]], body
    return body


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- Topics --------------------------------------------------------------------------------
@pytest.fixture
def tagged():
    ukraine, russia, navy = (
        TopicFactory(slug="ukraine"),
        TopicFactory(slug="russia"),
        TopicFactory(slug="navy"),
    )
    now = timezone.now()
    return {
        "both": ArticleFactory(live=True, topics=[ukraine, russia], published_at=now - timedelta(hours=1)),
        "ukraine": ArticleFactory(live=True, topics=[ukraine], published_at=now - timedelta(hours=2)),
        "russia": ArticleFactory(live=True, topics=[russia, navy], published_at=now - timedelta(hours=3)),
        "none": ArticleFactory(live=True, published_at=now - timedelta(hours=4)),
    }


def test_one_topic(api_client, tagged):
    assert slugs(api_client.get("/api/v1/articles/?topic=ukraine")) == [
        tagged["both"].slug,
        tagged["ukraine"].slug,
    ]


@pytest.mark.parametrize(
    "query", ["topic=ukraine,russia", "topic=ukraine&topic=russia", "topic=ukraine,+russia,"]
)
def test_several_topics_match_any_by_default_without_repeating_rows(api_client, tagged, query):
    response = api_client.get(f"/api/v1/articles/?{query}")

    expected = [tagged["both"].slug, tagged["ukraine"].slug, tagged["russia"].slug]
    assert slugs(response) == expected
    assert response.json()["count"] == 3
    assert slugs(api_client.get(f"/api/v1/articles/?{query}&topic_match=any")) == expected


def test_topic_match_all_needs_every_topic(api_client, tagged):
    response = api_client.get("/api/v1/articles/?topic=ukraine&topic=russia&topic_match=all")

    assert slugs(response) == [tagged["both"].slug]
    assert response.json()["count"] == 1


def test_unknown_and_inactive_topics_match_nothing(api_client, tagged):
    TopicFactory(slug="hidden", is_active=False).articles.add(tagged["none"])

    assert slugs(api_client.get("/api/v1/articles/?topic=no-such-topic")) == []
    assert slugs(api_client.get("/api/v1/articles/?topic=hidden")) == []
    assert slugs(api_client.get("/api/v1/articles/?topic=ukraine,no-such-topic&topic_match=all")) == []


def test_empty_topic_is_no_filter(api_client, tagged):
    assert len(slugs(api_client.get("/api/v1/articles/?topic="))) == 4


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("topic=not a slug", "topic"),
        ("topic=ukraine,<script>", "topic"),
        ("topic=" + ",".join(f"t{n}" for n in range(21)), "topic"),
        ("topic=" + "x" * 201, "topic"),
        ("topic_match=some", "topic_match"),
        ("section=news!", "section"),
        ("author=a/b", "author"),
        ("has_video=maybe", "has_video"),
        ("has_video=1", "has_video"),
        ("published_after=yesterday", "published_after"),
        ("published_before=2025-13-01", "published_before"),
        ("updated_since=2025-06-01T25:00", "updated_since"),
        ("ordering=headline", "ordering"),
        ("ordering=-published_at,-pk", "ordering"),
        ("ordering=-relevance", "ordering"),
        ("q=" + "x" * 201, "q"),
        ("q=-war", "q"),
    ],
)
def test_malformed_values_are_400s_naming_the_parameter(api_client, query, parameter):
    assert_invalid(api_client.get(f"/api/v1/articles/?{query}"), parameter)


def test_twenty_topics_are_allowed(api_client, tagged):
    query = ",".join(["ukraine", *(f"t{n}" for n in range(19))])

    assert slugs(api_client.get(f"/api/v1/articles/?topic={query}")) == [
        tagged["both"].slug,
        tagged["ukraine"].slug,
    ]


def test_topic_filters_keep_the_query_count_fixed(api_client, django_assert_max_num_queries):
    topics, authors = TopicFactory.create_batch(3), AuthorFactory.create_batch(2)
    for _ in range(15):
        ArticleFactory(live=True, topics=topics, authors=authors)
    query = ",".join(topic.slug for topic in topics)

    for match in ("any", "all"):
        # count, page; items listed for the first time: articles, topics, authors, storing them;
        # the live lead videos
        with django_assert_max_num_queries(7):
            response = api_client.get(f"/api/v1/articles/?topic={query}&topic_match={match}")
        assert response.json()["count"] == 15


# --- Section, author, has_video ------------------------------------------------------------
def test_section_and_author(api_client):
    news, author = SectionFactory(slug="news"), AuthorFactory(slug="jane")
    in_news = ArticleFactory(live=True, section=news, authors=[author, AuthorFactory()])
    ArticleFactory(live=True)

    assert slugs(api_client.get("/api/v1/articles/?section=news")) == [in_news.slug]
    assert slugs(api_client.get("/api/v1/articles/?author=jane")) == [in_news.slug]
    assert slugs(api_client.get("/api/v1/articles/?author=nobody")) == []


def test_has_video_means_a_published_lead_video(api_client):
    with_video = ArticleFactory(live=True, lead_video=VideoFactory(live=True))
    with_draft_video = ArticleFactory(live=True, lead_video=VideoFactory(status=Status.DRAFT))
    without = ArticleFactory(live=True)

    assert slugs(api_client.get("/api/v1/articles/?has_video=true")) == [with_video.slug]
    assert set(slugs(api_client.get("/api/v1/articles/?has_video=false"))) == {
        with_draft_video.slug,
        without.slug,
    }
    assert len(slugs(api_client.get("/api/v1/articles/?has_video="))) == 3


# --- Times ---------------------------------------------------------------------------------
@pytest.fixture
def dated():
    return {
        day: ArticleFactory(live=True, published_at=at(f"2025-06-0{day}T12:00:00"), slug=f"june-{day}")
        for day in (1, 2, 3)
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("published_after=2025-06-02", ["june-3", "june-2"]),  # a date alone: midnight UTC
        ("published_after=2025-06-02T12:00:00Z", ["june-3", "june-2"]),  # at or after
        ("published_after=2025-06-02T12:00:01", ["june-3"]),  # naive: UTC
        ("published_after=2025-06-02T13:00:00%2B02:00", ["june-3", "june-2"]),  # 11:00 UTC
        ("published_after=2025-06-02T13:00:00+02:00", ["june-3", "june-2"]),  # unencoded +
        ("published_before=2025-06-02", ["june-1"]),
        ("published_before=2025-06-02T12:00:00Z", ["june-1"]),  # strictly before
        ("published_after=2025-06-01T12:00:00Z&published_before=2025-06-03", ["june-2", "june-1"]),
    ],
)
def test_published_after_and_before(api_client, dated, query, expected):
    assert slugs(api_client.get(f"/api/v1/articles/?{query}")) == expected


def test_updated_since_finds_changed_items(api_client, dated):
    Article.objects.update(updated_at=at("2025-06-05T00:00:00"))
    edited = Article.objects.get(pk=dated[1].pk)
    edited.headline = "A correction"
    edited.save()
    since = (timezone.now() - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")

    assert slugs(api_client.get(f"/api/v1/articles/?updated_since={since}")) == [edited.slug]


# --- Ordering ------------------------------------------------------------------------------
def test_ordering_whitelist_with_the_id_breaking_ties(api_client):
    moment = timezone.now() - timedelta(hours=1)
    first, second = (
        ArticleFactory(live=True, published_at=moment),
        ArticleFactory(live=True, published_at=moment),
    )
    older = ArticleFactory(live=True, published_at=moment - timedelta(hours=1))
    first.headline = "Edited"
    first.save()  # updated_at: now

    assert slugs(api_client.get("/api/v1/articles/")) == [second.slug, first.slug, older.slug]
    assert slugs(api_client.get("/api/v1/articles/?ordering=-published_at")) == [
        second.slug,
        first.slug,
        older.slug,
    ]
    assert slugs(api_client.get("/api/v1/articles/?ordering=published_at")) == [
        older.slug,
        first.slug,
        second.slug,
    ]
    assert slugs(api_client.get("/api/v1/articles/?ordering=-updated_at"))[0] == first.slug
    assert slugs(api_client.get("/api/v1/articles/?ordering=updated_at"))[-1] == first.slug


def test_ordering_keeps_pages_stable_when_times_tie(api_client):
    moment = timezone.now() - timedelta(hours=1)
    articles = ArticleFactory.create_batch(5, live=True, published_at=moment)

    pages = [
        slugs(api_client.get(f"/api/v1/articles/?ordering=published_at&page_size=2&page={n}"))
        for n in (1, 2, 3)
    ]

    assert sum(pages, []) == [article.slug for article in articles]


def test_ordering_error_lists_the_choices(api_client):
    body = assert_invalid(api_client.get("/api/v1/articles/?ordering=title"), "ordering")

    assert "-published_at" in body["errors"][0]["detail"]


# --- Videos --------------------------------------------------------------------------------
def test_video_filters_and_ordering(api_client):
    topic, section = TopicFactory(slug="navy"), SectionFactory(slug="defence")
    old = VideoFactory(live=True, topics=[topic], section=section, published_at=at("2025-01-01T00:00:00"))
    new = VideoFactory(live=True, topics=[topic], published_at=at("2025-02-01T00:00:00"))
    VideoFactory(live=True)

    assert slugs(api_client.get("/api/v1/videos/?topic=navy")) == [new.slug, old.slug]
    assert slugs(api_client.get("/api/v1/videos/?topic=navy&ordering=published_at")) == [old.slug, new.slug]
    assert slugs(api_client.get("/api/v1/videos/?section=defence")) == [old.slug]
    assert slugs(api_client.get("/api/v1/videos/?published_before=2025-01-15")) == [old.slug]
    assert_invalid(api_client.get("/api/v1/videos/?published_after=soon"), "published_after")
    assert_invalid(api_client.get("/api/v1/videos/?has_video=true&ordering=x"), "ordering")


def test_drafts_never_pass_a_filter(api_client):
    topic = TopicFactory(slug="kursk")
    ArticleFactory(status=Status.DRAFT, topics=[topic])
    ArticleFactory(status=Status.PUBLISHED, topics=[topic], published_at=timezone.now() + timedelta(hours=1))
    VideoFactory(status=Status.DRAFT, topics=[topic])

    assert slugs(api_client.get("/api/v1/articles/?topic=kursk")) == []
    assert slugs(api_client.get("/api/v1/articles/?topic=kursk&ordering=-updated_at")) == []
    assert slugs(api_client.get("/api/v1/videos/?topic=kursk")) == []


# --- Schema --------------------------------------------------------------------------------
@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()


def parameters(schema, path):
    return {parameter["name"]: parameter for parameter in schema["paths"][path]["get"]["parameters"]}


def test_schema_documents_every_filter(schema):
    articles, videos = parameters(schema, "/api/v1/articles/"), parameters(schema, "/api/v1/videos/")

    common = {
        "q",
        "topic",
        "topic_match",
        "section",
        "published_after",
        "published_before",
        "updated_since",
        "ordering",
    }
    assert common | {"author", "has_video"} <= set(articles)
    assert common <= set(videos)
    assert all(articles[name]["description"] for name in common | {"author", "has_video"})
    assert articles["topic"]["schema"]["type"] == "array"
    assert articles["topic"]["schema"]["maxItems"] == 20
    assert articles["topic_match"]["schema"]["enum"] == ["all", "any"]
    assert articles["has_video"]["schema"]["type"] == "boolean"
    assert articles["ordering"]["schema"]["enum"] == [
        "-published_at",
        "published_at",
        "-updated_at",
        "updated_at",
        "-relevance",
    ]
    assert articles["q"]["schema"]["maxLength"] == 200
    assert "400" in schema["paths"]["/api/v1/articles/"]["get"]["responses"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/articles/?topic=%25",
        "/api/v1/articles/?topic=kursk%25,a",
        "/api/v1/videos/?topic=%25s",
        "/api/v1/articles/?has_video=%25",
        "/api/v1/articles/?published_after=%25d",
        "/api/v1/search/?q=troops&topic=%25",
    ],
)
def test_a_percent_sign_in_a_filter_value_is_a_400_naming_the_parameter(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "%" in str(response.json())


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:59"])
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/articles/", "published_after"),
        ("/api/v1/articles/", "published_before"),
        ("/api/v1/articles/", "updated_since"),
        ("/api/v1/videos/", "published_after"),
        ("/api/v1/search/?q=kursk&", "published_before"),
    ],
)
def test_a_time_past_the_ends_of_the_calendar_in_utc_is_a_400_naming_it(api_client, path, parameter, value):
    # Valid as written, but out of range once turned into UTC.
    separator = "" if path.endswith("&") else "?"
    response = api_client.get(f"{path}{separator}{parameter}={value}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["parameter"] for error in response.json()["errors"]] == [parameter]


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:59"])
def test_a_change_sync_time_past_the_ends_of_the_calendar_is_a_400(api_client, value):
    response = api_client.get(f"/api/v1/changes/?since={value}")

    assert response.status_code == 400
    assert [error["parameter"] for error in response.json()["errors"]] == ["since"]
