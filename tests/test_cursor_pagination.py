"""Cursor mode for the article and video feeds: stable while items are published, bounded,
and a 400 naming `cursor` for anything but a cursor the API gave out."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from cms.publishing import Status, unpublish

from .factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db

DATE_ORDERINGS = ["-published_at", "published_at", "-updated_at", "updated_at"]


def slugs(body):
    return [item["slug"] for item in body["results"]]


def cursor_of(url):
    return parse_qs(urlsplit(url).query)["cursor"][0]


def backdated(factory, minutes_ago, **kwargs):
    """A live item published and last updated `minutes_ago`."""
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return factory(live=True, published_at=moment, updated_at=moment, **kwargs)


def assert_problem_naming(response, parameter):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["parameter"] for error in response.json()["errors"]] == [parameter]


@pytest.mark.parametrize("ordering", DATE_ORDERINGS)
def test_paging_by_cursor_has_no_duplicates_or_skips_while_items_are_published(api_client, ordering):
    # Pairs share a timestamp, so the id has to break the ties.
    existing = [backdated(ArticleFactory, minutes) for minutes in (100, 100, 90, 80, 80, 70, 60, 50)]
    expected = sorted(
        existing,
        key=lambda a: (getattr(a, ordering.lstrip("-")), a.pk),
        reverse=ordering.startswith("-"),
    )

    body = api_client.get(f"/api/v1/articles/?ordering={ordering}&page_size=3").json()
    seen = slugs(body)
    published_meanwhile = []
    while body["next_cursor"]:
        published_meanwhile.append(ArticleFactory(live=True, published_at=timezone.now()))
        body = api_client.get(body["next_cursor"]).json()
        assert "count" not in body
        seen += slugs(body)

    assert len(seen) == len(set(seen)), "an item was served twice"
    assert [slug for slug in seen if slug in {a.slug for a in existing}] == [a.slug for a in expected]
    if not ordering.startswith("-"):  # oldest first: what was published meanwhile comes last, once
        assert seen[len(existing) :] == [a.slug for a in published_meanwhile]


def test_numbered_pages_would_shift_where_cursors_do_not(api_client):
    for minutes in (50, 40, 30, 20):
        backdated(ArticleFactory, minutes)
    first = api_client.get("/api/v1/articles/?page_size=2").json()

    ArticleFactory(live=True, published_at=timezone.now())  # newest: the numbered pages shift by one

    by_number = api_client.get(first["next"]).json()
    by_cursor = api_client.get(first["next_cursor"]).json()
    assert slugs(by_number)[0] == slugs(first)[-1]  # served twice
    assert not set(slugs(by_cursor)) & set(slugs(first))


def test_first_page_is_numbered_and_links_to_cursor_mode(api_client):
    for minutes in (30, 20, 10):
        backdated(ArticleFactory, minutes)

    first = api_client.get("/api/v1/articles/?page_size=2").json()
    last = api_client.get("/api/v1/articles/?page_size=2&page=2").json()

    assert first["count"] == 3
    assert first["next"].endswith("page=2&page_size=2") and first["previous"] is None
    assert "page=" not in first["next_cursor"] and "page_size=2" in first["next_cursor"]
    assert last["next"] is None and last["next_cursor"] is None


def test_a_page_links_to_the_next_the_same_way_every_time(api_client, monkeypatch):
    ArticleFactory.create_batch(3, live=True)
    first = api_client.get("/api/v1/articles/?page_size=1").json()["next_cursor"]
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600)

    later = api_client.get("/api/v1/articles/?page_size=1&utm_source=x").json()["next_cursor"]

    assert cursor_of(later) == cursor_of(first)  # so an unchanged list keeps its ETag


def test_empty_cursor_starts_cursor_mode(api_client):
    items = [backdated(ArticleFactory, minutes) for minutes in (30, 20, 10)]

    body = api_client.get("/api/v1/articles/?cursor=&page_size=2").json()

    assert set(body) == {"next", "previous", "next_cursor", "results"}
    assert slugs(body) == [items[2].slug, items[1].slug]
    assert body["previous"] is None and body["next"] == body["next_cursor"]
    rest = api_client.get(body["next"]).json()
    assert slugs(rest) == [items[0].slug] and rest["next"] is None


def test_previous_link_goes_back_a_page(api_client):
    items = [backdated(ArticleFactory, minutes) for minutes in (50, 40, 30, 20, 10)]
    first = api_client.get("/api/v1/articles/?cursor=&page_size=2").json()
    second = api_client.get(first["next"]).json()

    back = api_client.get(second["previous"]).json()

    assert slugs(second) == [items[2].slug, items[1].slug]
    assert slugs(back) == slugs(first)
    assert back["previous"] is None  # nothing before the first page
    assert slugs(api_client.get(back["next"]).json()) == slugs(second)


def test_cursor_survives_its_item_being_unpublished(api_client):
    items = [backdated(ArticleFactory, minutes) for minutes in (40, 30, 20, 10)]
    first = api_client.get("/api/v1/articles/?cursor=&page_size=2").json()

    unpublish(queryset=type(items[2]).objects.filter(pk=items[2].pk))  # the last item on the page

    assert slugs(api_client.get(first["next"]).json()) == [items[1].slug, items[0].slug]


def test_cursor_links_keep_filters_and_show_only_public_items(api_client):
    section = SectionFactory()
    public = [backdated(ArticleFactory, minutes, section=section) for minutes in (30, 20, 10)]
    ArticleFactory(section=section, status=Status.DRAFT)
    ArticleFactory(section=section, status=Status.PUBLISHED, published_at=timezone.now() + timedelta(hours=1))
    backdated(ArticleFactory, 15)  # another section

    body = api_client.get(f"/api/v1/articles/?section={section.slug}&cursor=&page_size=2").json()
    seen = slugs(body) + slugs(api_client.get(body["next"]).json())

    assert f"section={section.slug}" in body["next"]
    assert seen == [a.slug for a in reversed(public)]


def test_videos_page_by_cursor(api_client):
    videos = [backdated(VideoFactory, minutes) for minutes in (30, 20, 10)]

    body = api_client.get("/api/v1/videos/?cursor=&page_size=2").json()
    rest = api_client.get(body["next_cursor"]).json()

    assert slugs(body) + slugs(rest) == [v.slug for v in reversed(videos)]


@pytest.mark.parametrize("query", ["page_size=0", "page_size=101", "page_size=ten"])
def test_cursor_mode_page_size_is_bounded(api_client, query):
    assert_problem_naming(api_client.get(f"/api/v1/articles/?cursor=&{query}"), "page_size")


def test_cursor_mode_page_size_up_to_100(api_client):
    ArticleFactory.create_batch(3, live=True)

    body = api_client.get("/api/v1/articles/?cursor=&page_size=100").json()

    assert len(body["results"]) == 3 and body["next"] is None


@pytest.mark.parametrize("resource", ["articles", "videos"])
def test_tampered_cursor_is_a_400_naming_cursor(api_client, resource):
    factory = ArticleFactory if resource == "articles" else VideoFactory
    for minutes in (30, 20, 10):
        backdated(factory, minutes)
    cursor = cursor_of(api_client.get(f"/api/v1/{resource}/?page_size=1").json()["next_cursor"])
    value, signature = cursor.rsplit(":", 1)
    forged = f"{value[:-2]}{'AA' if value[-2:] != 'AA' else 'BB'}:{signature}"

    for bad in [forged, f"{value}:{signature[::-1]}", "abc", "%%%", cursor[:-1]]:
        assert_problem_naming(api_client.get(f"/api/v1/{resource}/", {"cursor": bad}), "cursor")


def test_cursor_with_a_page_number_is_a_400(api_client):
    ArticleFactory.create_batch(2, live=True)

    assert_problem_naming(api_client.get("/api/v1/articles/?cursor=&page=2"), "cursor")


def test_cursor_made_for_another_ordering_is_a_400(api_client):
    ArticleFactory.create_batch(3, live=True)
    next_cursor = api_client.get("/api/v1/articles/?page_size=1&ordering=-published_at").json()["next_cursor"]

    response = api_client.get(
        "/api/v1/articles/", {"cursor": cursor_of(next_cursor), "ordering": "updated_at"}
    )

    assert_problem_naming(response, "cursor")
    assert "ordering=-published_at" in response.json()["errors"][0]["detail"]


def test_relevance_ordering_pages_by_number_only(api_client):
    ArticleFactory.create_batch(3, live=True, headline="Navy frigate sails")

    numbered = api_client.get("/api/v1/articles/?q=frigate&ordering=-relevance&page_size=1")
    by_cursor = api_client.get("/api/v1/articles/?q=frigate&ordering=-relevance&cursor=")

    assert numbered.status_code == 200
    assert numbered.json()["next"] is not None and numbered.json()["next_cursor"] is None
    assert_problem_naming(by_cursor, "cursor")


def test_cursor_page_queries_do_not_grow_with_rows(api_client, django_assert_max_num_queries):
    topics, authors = TopicFactory.create_batch(3), AuthorFactory.create_batch(2)
    for _ in range(30):
        ArticleFactory(live=True, topics=topics, authors=authors, hero_image=ImageFactory())
    cursor = api_client.get("/api/v1/articles/?page_size=5").json()["next_cursor"]

    # page (no count); items listed for the first time: articles, topics, authors, storing them
    with django_assert_max_num_queries(5):
        response = api_client.get(cursor.replace("page_size=5", "page_size=25"))

    assert len(response.json()["results"]) == 25


def test_schema_documents_cursor_mode(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    for resource in ["articles", "videos"]:
        operation = schema["paths"][f"/api/v1/{resource}/"]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["cursor"]["description"]
        envelope = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        properties = schema["components"]["schemas"][envelope.rsplit("/", 1)[1]]["properties"]
        assert {"count", "next", "previous", "next_cursor", "results"} <= set(properties)
        assert all(definition.get("description") for definition in properties.values())


@pytest.mark.parametrize("url", ["/api/v1/articles/", "/api/v1/videos/", "/api/v1/search/?q=x"])
def test_numbered_pages_stop_at_ten_thousand_items_and_say_how_to_go_on(api_client, url):
    joiner = "&" if "?" in url else "?"
    response = api_client.get(f"{url}{joiner}page=501")
    deepest = api_client.get(f"{url}{joiner}page=500")
    larger = api_client.get(f"{url}{joiner}page=101&page_size=100")

    assert response.status_code == larger.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["parameter"] == "page" and "10,000" in error["detail"] and "cursor" in error["detail"]
    assert deepest.status_code == 404  # allowed, but there are not that many items here
