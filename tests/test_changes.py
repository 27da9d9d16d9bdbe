"""Change sync: /api/v1/changes/ tells a partner everything that changed in the public content
since a token or a time, tombstones included, without ever showing a draft."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from cms.publishing import Status, publish, unpublish
from editorial import changes

from .factories import ArticleFactory, ImageFactory, VideoFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/changes/"


def sync(client, since=None, page_size=None):
    """Follow `next` until caught up: every change, and the token to poll with."""
    params = {key: value for key, value in {"since": since, "page_size": page_size}.items() if value}
    response = client.get(URL, params)
    changes = []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        changes += body["results"]
        if not body["has_more"]:
            return changes, body["next_since"]
        response = client.get(body["next"])


def summary(changes):
    return [(c["change"], c["type"], c["slug"]) for c in changes]


def assert_problem_naming(response, parameter):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["parameter"] for error in response.json()["errors"]] == [parameter]


def test_first_sync_lists_every_visible_item_and_nothing_else(api_client):
    article, video = ArticleFactory(live=True), VideoFactory(live=True)
    ArticleFactory(status=Status.DRAFT, slug="secret-draft")
    ArticleFactory(status=Status.ARCHIVED, published_at=timezone.now(), slug="archived-one")
    VideoFactory(status=Status.PUBLISHED, published_at=timezone.now() + timedelta(hours=1), slug="later")

    response = api_client.get(URL)
    changes, _ = sync(api_client)

    assert sorted(summary(changes)) == [("upsert", "article", article.slug), ("upsert", "video", video.slug)]
    assert response["Cache-Control"] == "no-cache"
    for hidden in (b"secret-draft", b"archived-one", b"later"):
        assert hidden not in response.content


def test_publishing_and_editing_are_upserts_with_the_teaser_and_url(api_client, clock):
    draft = ArticleFactory(status=Status.DRAFT, headline="Frigate leaves port", hero_image=ImageFactory())
    _, token = sync(api_client)

    clock.advance(minutes=1)
    publish(queryset=type(draft).objects.filter(pk=draft.pk))
    published, token = sync(api_client, token)

    clock.advance(minutes=1)
    draft.refresh_from_db()
    draft.headline = "Frigate returns to port"
    draft.save()
    edited, token = sync(api_client, token)

    [upsert] = published
    assert upsert["change"] == "upsert" and upsert["type"] == "article" and upsert["id"] == draft.pk
    assert upsert["url"] == f"http://testserver/api/v1/articles/{draft.slug}/"
    assert upsert["item"]["title"] == "Frigate leaves port"
    assert upsert["item"]["thumbnail"]["id"] == draft.hero_image_id
    assert [c["item"]["title"] for c in edited] == ["Frigate returns to port"]
    assert edited[0]["at"] == clock.now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert sync(api_client, token)[0] == []


def unpublish_it(item):
    unpublish(queryset=type(item).objects.filter(pk=item.pk))


def archive_it(item):
    item.status = Status.ARCHIVED
    item.save()


def delete_it(item):
    item.delete()


@pytest.mark.parametrize("remove", [unpublish_it, archive_it, delete_it])
@pytest.mark.parametrize("factory", [ArticleFactory, VideoFactory])
def test_items_leaving_the_public_are_tombstones(api_client, factory, remove):
    item = factory(live=True)
    item_id, slug = item.pk, item.slug
    _, token = sync(api_client)

    remove(item)
    changes, _ = sync(api_client, token)

    [tombstone] = changes
    assert tombstone["change"] == "delete" and tombstone["id"] == item_id and tombstone["slug"] == slug
    assert tombstone["url"] is None and tombstone["item"] is None


def test_expiry_is_a_tombstone_though_nothing_was_saved(api_client, clock):
    expiring = ArticleFactory(live=True, expires_at=clock.now + timedelta(hours=1))
    lasting = ArticleFactory(live=True)
    before, token = sync(api_client)

    clock.advance(hours=2)
    after, _ = sync(api_client, token)

    assert sorted(summary(before)) == sorted([("upsert", "article", a.slug) for a in (expiring, lasting)])
    assert summary(after) == [("delete", "article", expiring.slug)]
    assert after[0]["at"] == expiring.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("remove", [unpublish_it, archive_it, delete_it])
def test_expired_item_removed_before_the_next_poll_is_still_a_tombstone(api_client, clock, remove):
    article = ArticleFactory(live=True, expires_at=clock.now + timedelta(hours=1))
    article_id, slug = article.pk, article.slug
    _, token = sync(api_client)
    clock.advance(hours=2)

    article.refresh_from_db()
    remove(article)  # hidden by the clock already, then archived, unpublished or deleted
    clock.advance(minutes=1)
    changes, token = sync(api_client, token)

    assert [(c["change"], c["id"], c["slug"]) for c in changes] == [("delete", article_id, slug)]
    assert sync(api_client, token)[0] == []


def test_scheduled_item_appears_at_its_publish_time(api_client, clock):
    _, token = sync(api_client)
    scheduled = VideoFactory(
        status=Status.PUBLISHED, published_at=clock.now + timedelta(hours=1), slug="embargoed-video"
    )

    clock.advance(minutes=30)
    early = api_client.get(URL, {"since": token}).json()
    clock.advance(minutes=31)
    on_time, _ = sync(api_client, early["next_since"])

    assert early["results"] == [] and "embargoed-video" not in str(early)
    assert summary(on_time) == [("upsert", "video", scheduled.slug)]


def test_scheduled_item_appears_even_if_the_log_row_is_read_after_its_time(api_client, clock):
    _, token = sync(api_client)
    scheduled = ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(minutes=5))

    clock.advance(minutes=10)  # first poll after it went live: its save and its publish time both due
    changes, token = sync(api_client, token)

    assert summary(changes) == [("upsert", "article", scheduled.slug)]
    assert sync(api_client, token)[0] == []


def test_drafts_never_leak(api_client, clock):
    _, token = sync(api_client)
    draft = ArticleFactory(status=Status.DRAFT, slug="draft-slug", headline="Draft headline")
    draft.headline = "Draft headline, edited"
    draft.save()
    pulled = ArticleFactory(
        status=Status.PUBLISHED, published_at=clock.now + timedelta(hours=1), slug="pulled-slug"
    )
    unpublish_it(pulled)  # scheduled, then taken back before it went live
    gone = VideoFactory(status=Status.DRAFT, slug="deleted-draft")
    gone.delete()
    late = ArticleFactory(
        status=Status.DRAFT,
        published_at=clock.now + timedelta(minutes=10),
        expires_at=clock.now + timedelta(minutes=20),
        slug="published-too-late",
    )
    clock.advance(minutes=30)
    late.status = Status.PUBLISHED  # only after its expiry: never visible
    late.save()
    was_public = ArticleFactory(live=True, slug="was-public", headline="Public headline")
    sync(api_client, token)
    unpublish_it(was_public)
    was_public.refresh_from_db()
    was_public.slug, was_public.headline = "new-secret-slug", "Secret rewrite"
    was_public.save()

    clock.advance(hours=2)  # past the pulled item's old publish time
    response = api_client.get(URL, {"since": token})
    changes, _ = sync(api_client, token)

    assert summary(changes) == [("delete", "article", "was-public")]
    for secret in (
        b"draft-slug",
        b"Draft headline",
        b"pulled-slug",
        b"deleted-draft",
        b"new-secret",
        b"Secret",
    ):
        assert secret not in response.content


def test_republished_item_comes_back_as_an_upsert(api_client, clock):
    article = ArticleFactory(live=True)
    _, token = sync(api_client)
    unpublish_it(article)
    clock.advance(minutes=1)
    publish(queryset=type(article).objects.filter(pk=article.pk))

    changes, _ = sync(api_client, token)

    assert summary(changes) == [("upsert", "article", article.slug)]  # once per item, as it is now


def test_changes_come_oldest_first_each_item_once_per_page(api_client, clock):
    first, second = ArticleFactory(), VideoFactory()
    _, token = sync(api_client)
    for item in (first, second):
        clock.advance(minutes=1)
        publish(queryset=type(item).objects.filter(pk=item.pk))
    clock.advance(minutes=1)
    first.refresh_from_db()
    first.standfirst = "Updated."
    first.save()

    changes, _ = sync(api_client, token)

    assert summary(changes) == [("upsert", "video", second.slug), ("upsert", "article", first.slug)]


def test_a_change_logged_while_a_first_sync_starts_comes_on_its_next_page(api_client, clock, monkeypatch):
    # The first page reads the newest log row, then serves the items as they are, and goes on
    # from that row: a save logged in between is served next time, never lost.
    ArticleFactory(live=True, published_at=clock.now - timedelta(days=1))
    clock.advance(minutes=1)
    edited = ArticleFactory(live=True, published_at=clock.now - timedelta(hours=1), slug="edited")
    newest = changes.LATEST_SEQ.rows(limit=1)[0][0]
    clock.advance(minutes=1)
    edited.headline = "Edited while the first page was read"
    edited.save()  # logged after that row
    monkeypatch.setattr(changes.LATEST_SEQ, "rows", lambda **kwargs: [(newest,)])

    first = api_client.get(URL).json()
    monkeypatch.undo()
    clock.advance(minutes=1)
    later, _ = sync(api_client, since=first["next_since"])

    served = [(c["change"], c["slug"], c["item"]["title"]) for c in first["results"] + later]
    assert ("upsert", "edited", "Edited while the first page was read") in served


def test_slug_changes_are_followed(api_client):
    article = ArticleFactory(live=True, slug="old-slug")
    _, token = sync(api_client)
    article.slug = "new-slug"
    article.save()
    renamed, token = sync(api_client, token)
    unpublish_it(article)
    removed, _ = sync(api_client, token)

    assert summary(renamed) == [("upsert", "article", "new-slug")]
    assert renamed[0]["url"].endswith("/api/v1/articles/new-slug/")
    assert summary(removed) == [("delete", "article", "new-slug")]


def test_paging_through_many_changes(api_client, clock):
    drafts = ArticleFactory.create_batch(5) + VideoFactory.create_batch(2)
    _, token = sync(api_client)
    for item in drafts:
        clock.advance(seconds=1)
        publish(queryset=type(item).objects.filter(pk=item.pk))

    first = api_client.get(URL, {"since": token, "page_size": 3}).json()
    changes, _ = sync(api_client, token, page_size=3)

    assert len(first["results"]) == 3 and first["has_more"] is True
    assert "page_size=3" in first["next"]
    assert [c["id"] for c in changes] == [item.pk for item in drafts]


def test_first_sync_pages_through_every_visible_item(api_client, clock):
    items = [
        ArticleFactory(live=True, published_at=clock.now - timedelta(minutes=m)) for m in range(7, 0, -1)
    ]
    clock.advance(seconds=1)

    changes, token = sync(api_client, page_size=2)

    assert [c["slug"] for c in changes] == [a.slug for a in items]  # by publish time
    assert sync(api_client, token)[0] == []


def test_since_a_time(api_client, clock):
    old = ArticleFactory(live=True, published_at=clock.now - timedelta(days=2))
    clock.advance(hours=1)
    moment = clock.now
    clock.advance(hours=1)
    unpublish_it(old)
    fresh = VideoFactory(live=True, published_at=clock.now - timedelta(minutes=30))
    clock.advance(seconds=1)

    for since in (moment.isoformat(), moment.astimezone(UTC).isoformat().replace("+00:00", "Z")):
        changes, _ = sync(api_client, since)
        assert sorted(summary(changes)) == [("delete", "article", old.slug), ("upsert", "video", fresh.slug)]


def test_token_round_trip(api_client):
    ArticleFactory(live=True)
    _, token = sync(api_client)

    again = api_client.get(URL, {"since": token}).json()

    assert again["results"] == [] and again["has_more"] is False
    assert again["next"] == f"http://testserver{URL}?since={again['next_since'].replace(':', '%3A')}"


def test_a_poll_with_nothing_new_answers_the_same_so_it_can_be_revalidated(api_client, clock):
    ArticleFactory(live=True, published_at=clock.now - timedelta(hours=1))
    _, token = sync(api_client)
    clock.advance(minutes=1)
    quiet = api_client.get(URL, {"since": token})
    clock.advance(minutes=1)

    again = api_client.get(URL, {"since": token}, HTTP_IF_NONE_MATCH=quiet["ETag"])
    assert again.status_code == 304
    assert quiet.json()["next_since"] == token and quiet.json()["results"] == []

    published = ArticleFactory(live=True, published_at=clock.now - timedelta(seconds=30))
    changed = api_client.get(URL, {"since": token}, HTTP_IF_NONE_MATCH=quiet["ETag"])
    assert changed.status_code == 200
    assert summary(changed.json()["results"]) == [("upsert", "article", published.slug)]


@pytest.mark.parametrize(
    "bad",
    [
        "garbage",
        "2025-13-01T00:00:00Z",
        "2025-01-01T00:00:00 00:00",  # a `+` offset sent unescaped arrives as a space
        "2999-01-01T00:00:00Z",  # the future
    ],
)
def test_bad_since_is_a_400_naming_since(api_client, bad):
    assert_problem_naming(api_client.get(URL, {"since": bad}), "since")


def test_tampered_token_is_a_400_naming_since(api_client):
    _, token = sync(api_client)
    value, signature = token.rsplit(":", 1)
    forged = f"{value[:-1]}{'A' if value[-1] != 'A' else 'B'}:{signature}"

    for bad in (forged, f"{value}:{signature[::-1]}", token[:-1], f"{value}:"):
        assert_problem_naming(api_client.get(URL, {"since": bad}), "since")


@pytest.mark.parametrize("page_size", ["0", "501", "ten", "-1"])
def test_page_size_is_bounded(api_client, page_size):
    assert_problem_naming(api_client.get(URL, {"page_size": page_size}), "page_size")


def test_queries_per_page_are_fixed(api_client, clock, django_assert_max_num_queries):
    _, token = sync(api_client)
    start = clock.now
    for _ in range(15):
        ArticleFactory(live=True, hero_image=ImageFactory())
        VideoFactory(live=True, thumbnail=ImageFactory())
        ArticleFactory(live=True).delete()
    for _ in range(10):  # changes by the clock, too
        ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(minutes=1))
        VideoFactory(
            live=True,
            published_at=clock.now - timedelta(hours=1),
            expires_at=clock.now + timedelta(minutes=1),
        )
    clock.advance(minutes=2)

    # The log, the articles and the videos it names, then clock changes: published and expired, per
    # type; the teaser cards of the articles and videos, made once (articles.listing.teaser_cards).
    with django_assert_max_num_queries(9):
        response = api_client.get(URL, {"since": token, "page_size": 500})
    with django_assert_max_num_queries(6):  # first call: the latest row, the (empty) log, clock changes
        first = api_client.get(URL, {"page_size": 500})
    with django_assert_max_num_queries(8):  # since a time: the row before it, then as from a token
        by_time = api_client.get(URL, {"since": start.isoformat(), "page_size": 500})

    changes = response.json()["results"]
    assert len(changes) == 15 + 15 + 15 + 10 + 10
    assert {c["change"] for c in changes} == {"upsert", "delete"}
    assert len(first.json()["results"]) == 15 + 15 + 10 + 10
    assert len(by_time.json()["results"]) == len(changes)


def test_schema_documents_change_sync(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    operation = schema["paths"][URL]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert parameters["since"]["description"] and parameters["page_size"]["schema"]["maximum"] == 500
    assert page == {"$ref": "#/components/schemas/ChangePage"}
    assert "400" in operation["responses"]
    change = schema["components"]["schemas"]["Change"]["properties"]
    assert set(change) == {"change", "type", "id", "slug", "at", "url", "item"}


def test_an_upsert_carries_the_teaser_as_it_is_now(api_client):
    image = ImageFactory(alt_text="Old")
    article = ArticleFactory(live=True, hero_image=image)
    first = api_client.get(URL).json()["results"]
    assert [c["item"]["thumbnail"]["alt_text"] for c in first if c["id"] == article.pk] == ["Old"]

    image.alt_text = "New"  # no save of the article: nothing in the log, but the card shows the image
    image.save()

    again = api_client.get(URL).json()["results"]
    assert [c["item"]["thumbnail"]["alt_text"] for c in again if c["id"] == article.pk] == ["New"]
