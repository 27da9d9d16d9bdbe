"""The write API for articles (editorial/views.py, editorial/writes.py): keys with scopes acting
as their owner's role, If-Match on changes, Idempotency-Key on creates, and every write going
through the admin's paths (revisions, change log, cache purges)."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from articles.models import Article
from editorial.models import Revision
from partners.models import APIKey
from partners.scopes import Scope

from .factories import AuthorFactory, ImageFactory, SectionFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
WRITER = (Scope.CONTENT_READ, Scope.CONTENT_WRITE)
PUBLISHER = (*WRITER, Scope.CONTENT_PUBLISH)


def client_for(owner, scopes=WRITER) -> APIClient:
    _, key = APIKey.objects.create_key(name="wire", owner=owner, scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def newsroom():
    return {
        "section": SectionFactory(slug="news"),
        "topic": TopicFactory(slug="kursk"),
        "author": AuthorFactory(slug="jane-doe"),
    }


def story(**fields) -> dict:
    return {
        "slug": "troops-cross-border",
        "headline": "Troops cross the border",
        "standfirst": "A first wave moved at dawn.",
        "body_html": "<p>Columns were seen <strong>at dawn</strong>.</p><script>alert(1)</script>",
        "section": "news",
        "topics": ["kursk"],
        "authors": ["jane-doe"],
        **fields,
    }


def test_a_reporters_key_creates_a_draft_as_the_admin_would(reporter, newsroom):
    writer = client_for(reporter)

    response = writer.post(ARTICLES, story(), format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert (
        created["state"] == "draft" and created["topics"] == ["kursk"] and created["authors"] == ["jane-doe"]
    )
    assert "<script>" not in created["body_html"]  # the admin's allowlist
    assert created["body"][0]["html"] == "Columns were seen <strong>at dawn</strong>."
    assert response["ETag"].startswith('"') and response["Location"].endswith(
        "/articles/troops-cross-border/edit/"
    )
    assert APIClient().get(ARTICLES).json()["count"] == 0  # a draft: not public
    revision = Revision.objects.get()
    assert revision.user == reporter and "key 'wire'" in revision.comment


def test_a_body_sent_as_blocks_comes_back_as_sent(reporter, newsroom):
    video = VideoFactory(live=True)
    image = ImageFactory()
    writer = client_for(reporter)
    blocks = [
        {"type": "heading", "level": 2, "html": "What happened"},
        {"type": "paragraph", "html": 'Seen <em>near</em> <a href="https://example.com/">Sudzha</a>.'},
        {"type": "list", "style": "ordered", "items": [{"html": "One"}, {"html": "Two"}]},
        {"type": "quote", "html": "We will hold."},
        {"type": "video", "video": {"id": video.pk, "title": "as GET serves it"}, "caption": "The crossing"},
        {"type": "image", "image": image.pk},
    ]

    both = writer.post(ARTICLES, {**story(), "body": blocks}, format="json")
    assert both.status_code == 400  # body_html and body: one or the other
    payload = story()
    del payload["body_html"]
    created = writer.post(ARTICLES, {**payload, "body": blocks}, format="json")

    assert created.status_code == 201, created.content
    body = created.json()["body"]
    assert [block["type"] for block in body] == [block["type"] for block in blocks]
    assert body[4] == {"type": "video", "video": video.pk, "caption": "The crossing"}
    # What comes back, sent back, changes nothing.
    again = writer.patch(
        f"{ARTICLES}troops-cross-border/", {"body": body}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    assert again.status_code == 200 and again.json()["body"] == body and again["ETag"] == created["ETag"]


@pytest.mark.parametrize(
    "fields, pointers",
    [
        (
            {"id": 7, "status": "published", "first_published_at": "2020-01-01T00:00:00Z"},
            {"#/id", "#/status", "#/first_published_at"},
        ),
        ({"search_vector": "x", "owner": 1}, {"#/search_vector", "#/owner"}),
        ({"topics": ["no-such-topic"], "section": "nowhere"}, {"#/topics", "#/section"}),
        ({"body_html": '<figure data-embed="video" data-id="999"></figure>'}, {"#/body_html"}),
    ],
    ids=["server fields", "unknown fields", "unknown relations", "unknown embed"],
)
def test_bad_fields_are_a_400_pointing_at_each_and_nothing_is_written(reporter, newsroom, fields, pointers):
    response = client_for(reporter).post(ARTICLES, story(**fields), format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {error["pointer"] for error in response.json()["errors"]} == pointers
    assert not Article.objects.exists() and not Revision.objects.exists()


def test_a_hidden_video_cannot_be_embedded_and_is_named(reporter, newsroom):
    draft_video = VideoFactory()
    body = [{"type": "video", "video": draft_video.pk}]
    payload = {key: value for key, value in story().items() if key != "body_html"}

    response = client_for(reporter).post(ARTICLES, {**payload, "body": body}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"detail": f"No publicly visible video {draft_video.pk}.", "pointer": "#/body"}
    ]


def test_changes_need_the_current_etag(reporter, newsroom):
    writer = client_for(reporter)
    etag = writer.post(ARTICLES, story(), format="json")["ETag"]
    url = f"{ARTICLES}troops-cross-border/"

    missing = writer.patch(url, {"headline": "Troops cross"}, format="json")
    changed = writer.patch(url, {"headline": "Troops cross"}, format="json", HTTP_IF_MATCH=etag)
    stale = writer.patch(url, {"headline": "Lost update"}, format="json", HTTP_IF_MATCH=etag)

    assert missing.status_code == 428 and missing["Content-Type"] == "application/problem+json"
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert stale.status_code == 412
    assert Article.objects.get().headline == "Troops cross"


def test_put_replaces_the_whole_article(reporter, newsroom):
    writer = client_for(reporter)
    etag = writer.post(ARTICLES, story(), format="json")["ETag"]
    replacement = {"slug": "troops-cross-border", "headline": "Replaced", "section": "news"}

    response = writer.put(f"{ARTICLES}troops-cross-border/", replacement, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert response.json() | {} == response.json()
    replaced = response.json()
    assert (replaced["standfirst"], replaced["topics"], replaced["authors"], replaced["body"]) == (
        "",
        [],
        [],
        [],
    )


def test_publishing_needs_the_scope_and_the_role(reporter, desk_editor, newsroom):
    draft = client_for(reporter).post(ARTICLES, story(), format="json")
    url = f"{ARTICLES}troops-cross-border/publish/"
    publisher = client_for(desk_editor, PUBLISHER)

    by_reporter = client_for(reporter, PUBLISHER).post(url, {}, format="json", HTTP_IF_MATCH=draft["ETag"])
    without_scope = client_for(desk_editor, WRITER).post(url, {}, format="json", HTTP_IF_MATCH=draft["ETag"])
    without_etag = publisher.post(url, {}, format="json")
    published = publisher.post(url, {}, format="json", HTTP_IF_MATCH=draft["ETag"])

    assert by_reporter.status_code == 403 and without_scope.status_code == 403
    assert without_etag.status_code == 428
    assert published.status_code == 200 and published.json()["state"] == "live"
    assert APIClient().get(ARTICLES).json()["results"][0]["slug"] == "troops-cross-border"
    changes = APIClient().get("/api/v1/changes/").json()["results"]
    assert [(change["slug"], change["change"]) for change in changes] == [("troops-cross-border", "upsert")]
    # Once published, a reporter's key can no longer change it, as in the admin.
    etag = published["ETag"]
    edit = client_for(reporter).patch(
        ARTICLES + "troops-cross-border/", {"headline": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    assert edit.status_code == 403


def test_a_scheduled_article_goes_live_at_its_time(desk_editor, newsroom, clock):  # noqa: F811
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")
    at = (clock.now + timedelta(minutes=1)).isoformat()

    scheduled = editor.post(
        f"{ARTICLES}troops-cross-border/publish/",
        {"published_at": at},
        format="json",
        HTTP_IF_MATCH=draft["ETag"],
    )

    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    assert APIClient().get(ARTICLES).json()["count"] == 0
    clock.advance(minutes=2)
    assert APIClient().get(ARTICLES).json()["count"] == 1


def test_unpublish_and_delete_leave_tombstones(desk_editor, newsroom):
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")
    url = f"{ARTICLES}troops-cross-border/"
    published_etag = editor.post(f"{url}publish/", {}, format="json", HTTP_IF_MATCH=draft["ETag"])["ETag"]
    position = APIClient().get("/api/v1/changes/").json()["next_since"]  # a partner in sync

    unpublished = editor.post(f"{url}unpublish/", {}, format="json", HTTP_IF_MATCH=published_etag)
    assert unpublished.status_code == 200 and APIClient().get(url).status_code == 404
    assert editor.delete(url, HTTP_IF_MATCH=published_etag).status_code == 412  # stale
    deleted = editor.delete(url, HTTP_IF_MATCH=unpublished["ETag"])

    assert deleted.status_code == 204 and not Article.objects.exists()
    changes = APIClient().get("/api/v1/changes/", {"since": position}).json()["results"]
    assert [(change["slug"], change["change"]) for change in changes] == [("troops-cross-border", "delete")]


def test_a_retried_create_gets_the_first_answer_and_another_body_is_refused(reporter, newsroom):
    writer = client_for(reporter)
    headers = {"HTTP_IDEMPOTENCY_KEY": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}

    first = writer.post(ARTICLES, story(), format="json", **headers)
    retry = writer.post(ARTICLES, story(), format="json", **headers)
    other = writer.post(ARTICLES, story(headline="Another"), format="json", **headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry["ETag"] == first["ETag"]
    assert retry["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Article.objects.count() == 1


def test_writes_need_credentials_and_a_write_scope(reporter, newsroom):
    assert APIClient().post(ARTICLES, story(), format="json").status_code == 401
    reader = client_for(reporter, (Scope.CONTENT_READ,))
    refused = reader.post(ARTICLES, story(), format="json")
    assert refused.status_code == 403 and "content:write" in refused.json()["detail"]
    wrong_type = client_for(reporter).post(
        ARTICLES, "headline=x", content_type="application/x-www-form-urlencoded"
    )
    assert wrong_type.status_code == 415
    assert not Article.objects.exists()


def test_the_drafts_endpoint_gives_the_etag_to_change_an_article_with(reporter, newsroom):
    writer = client_for(reporter, (*WRITER, Scope.PREVIEW_READ))
    created = writer.post(ARTICLES, story(), format="json")

    draft = writer.get("/api/v1/drafts/articles/troops-cross-border/")
    changed = writer.patch(
        f"{ARTICLES}troops-cross-border/", {"headline": "New"}, format="json", HTTP_IF_MATCH=draft["ETag"]
    )

    assert draft["ETag"] == created["ETag"] and changed.status_code == 200
    assert writer.get("/api/v1/drafts/articles/troops-cross-border/")["ETag"] == changed["ETag"]


def test_escaped_text_stays_text_through_every_surface(desk_editor, newsroom):
    editor = client_for(desk_editor, PUBLISHER)
    html = "<p>1 &lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;b&amp;gt;</p>"
    created = editor.post(ARTICLES, story(body_html=html), format="json")
    editor.post(f"{ARTICLES}troops-cross-border/publish/", {}, format="json", HTTP_IF_MATCH=created["ETag"])

    public = APIClient().get(f"{ARTICLES}troops-cross-border/").json()

    assert "<script>" not in created.json()["body"][0]["html"]
    assert "<script>" not in public["body"][0]["html"] and "<script>" not in public.get("body_html", "")
    assert public["body"][0]["text"] == "1 <script>alert(1)</script> &lt;b&gt;"


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        "x",
        None,
        {"section": "ne\x00ws"},
        {"topics": ["a\x00"]},
        {"body": [{"type": "paragraph", "html": "<em>" * 3000 + "x"}]},
        {"body_html": "<p>" + "<b>" * 3000 + "x</p>"},
        {"body": [{"type": "image", "image": 10**19}]},
    ],
    ids=["list", "string", "null", "nul in a slug", "nul in a list", "deep blocks", "deep html", "huge id"],
)
def test_odd_bodies_are_4xx_never_500(reporter, newsroom, payload):
    writer = client_for(reporter)
    etag = writer.post(ARTICLES, story(), format="json")["ETag"]
    url = f"{ARTICLES}troops-cross-border/"

    for method in ("put", "patch"):
        response = getattr(writer, method)(url, payload, format="json", HTTP_IF_MATCH=etag)
        assert 400 <= response.status_code < 500 or response.status_code == 200, (
            method,
            response.content[:200],
        )
        assert response["Content-Type"] in ("application/problem+json", "application/json")
        if response.status_code == 200:
            etag = response["ETag"]


def test_going_live_on_schedule_leaves_the_etag_as_it_was(desk_editor, newsroom, clock):  # noqa: F811
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")
    at = (clock.now + timedelta(minutes=1)).isoformat()
    url = f"{ARTICLES}troops-cross-border/publish/"
    etag = editor.post(url, {"published_at": at}, format="json", HTTP_IF_MATCH=draft["ETag"])["ETag"]
    clock.advance(minutes=2)  # live now, though nothing was written

    changed = editor.patch(
        f"{ARTICLES}troops-cross-border/", {"headline": "x"}, format="json", HTTP_IF_MATCH=etag
    )

    assert changed.status_code == 200 and changed.json()["state"] == "live"


def test_an_embed_the_article_already_holds_may_stay_when_its_video_is_hidden(reporter, newsroom):
    video = VideoFactory(live=True)
    writer = client_for(reporter)
    payload = {key: value for key, value in story().items() if key != "body_html"}
    created = writer.post(
        ARTICLES, {**payload, "body": [{"type": "video", "video": video.pk}]}, format="json"
    )
    video.status = "draft"
    video.save()

    body = created.json()["body"] + [{"type": "paragraph", "html": "More."}]
    changed = writer.patch(
        f"{ARTICLES}troops-cross-border/", {"body": body}, format="json", HTTP_IF_MATCH=created["ETag"]
    )

    assert changed.status_code == 200 and changed.json()["body"][0] == {"type": "video", "video": video.pk}


@pytest.mark.parametrize("links", [1, 8])
def test_each_write_costs_the_same_few_queries_however_many_links(
    desk_editor, newsroom, links, django_assert_max_num_queries
):
    editor = client_for(desk_editor, (*PUBLISHER, Scope.PREVIEW_READ))
    topics = [TopicFactory(slug=f"topic-{n}").slug for n in range(links)]
    authors = [AuthorFactory(slug=f"author-{n}").slug for n in range(links)]
    fields = {"topics": topics, "authors": authors, "hero_image": ImageFactory().pk}
    editor.get(ARTICLES)  # the process's first request: its one-off lookups

    # Each write checks the article's rules of several fields in one query in a savepoint (coverage times).
    with django_assert_max_num_queries(40):
        created = editor.post(ARTICLES, story(**fields), format="json")
    url = f"{ARTICLES}troops-cross-border/"
    with django_assert_max_num_queries(38):
        changed = editor.patch(
            url, {"headline": "New", "topics": topics[::-1]}, format="json", HTTP_IF_MATCH=created["ETag"]
        )
    with django_assert_max_num_queries(34):
        published = editor.post(f"{url}publish/", {}, format="json", HTTP_IF_MATCH=changed["ETag"])
    with django_assert_max_num_queries(7):
        editor.get(f"{url}edit/")
    with django_assert_max_num_queries(12):
        draft = editor.get("/api/v1/drafts/articles/troops-cross-border/")
    with django_assert_max_num_queries(27):  # a correction log keeps it (PROTECT); live posts go with it
        deleted = editor.delete(url, HTTP_IF_MATCH=published["ETag"])

    assert (created.status_code, changed.status_code, published.status_code) == (201, 200, 200)
    assert draft.status_code == 200 and deleted.status_code == 204


def test_a_slug_changed_through_the_api_leaves_a_redirect_as_in_the_admin(desk_editor, newsroom):
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")
    published = editor.post(
        f"{ARTICLES}troops-cross-border/publish/", {}, format="json", HTTP_IF_MATCH=draft["ETag"]
    )

    renamed = editor.patch(
        f"{ARTICLES}troops-cross-border/",
        {"slug": "troops-cross"},
        format="json",
        HTTP_IF_MATCH=published["ETag"],
    )

    assert renamed.status_code == 200
    old = APIClient().get(f"{ARTICLES}troops-cross-border/")
    assert old.status_code == 301 and old["Location"].endswith(f"{ARTICLES}troops-cross/")
    changes = APIClient().get("/api/v1/changes/").json()["results"]
    assert [change["slug"] for change in changes] == ["troops-cross"]


@pytest.mark.parametrize(
    "body", [{"publish_at": "2030-01-01T00:00:00Z"}, {"expire_at": None}, {"status": "archived"}]
)
def test_a_misspelt_publish_field_is_a_400_and_nothing_goes_live(desk_editor, newsroom, body):
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")

    response = editor.post(
        f"{ARTICLES}troops-cross-border/publish/", body, format="json", HTTP_IF_MATCH=draft["ETag"]
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == f"#/{next(iter(body))}"
    assert APIClient().get(f"{ARTICLES}troops-cross-border/").status_code == 404


def test_scheduling_an_expired_article_again_clears_its_old_expiry(desk_editor, newsroom, clock):  # noqa: F811
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")
    url = f"{ARTICLES}troops-cross-border/"
    soon = (clock.now + timedelta(minutes=1)).isoformat()
    live = editor.post(f"{url}publish/", {"expires_at": soon}, format="json", HTTP_IF_MATCH=draft["ETag"])
    clock.advance(minutes=2)  # expired

    later = (clock.now + timedelta(hours=1)).isoformat()
    scheduled = editor.post(
        f"{url}publish/", {"published_at": later}, format="json", HTTP_IF_MATCH=live["ETag"]
    )

    assert scheduled.status_code == 200
    assert scheduled.json()["state"] == "scheduled" and scheduled.json()["expires_at"] is None
    clock.advance(hours=2)
    assert APIClient().get(url).status_code == 200


def test_a_bad_idempotency_key_is_a_400_naming_the_header(reporter, newsroom):
    response = client_for(reporter).post(ARTICLES, story(), format="json", HTTP_IDEMPOTENCY_KEY="é" * 3)

    assert response.status_code == 400 and response.json()["detail"].startswith("Idempotency-Key:")
    assert not Article.objects.exists()


@pytest.mark.parametrize("field", ["body_html", "body"])
def test_a_body_of_too_many_blocks_is_refused_before_it_is_parsed(reporter, newsroom, field):
    blocks = 2_001
    body = (
        {"body_html": "<p>x</p>" * blocks}
        if field == "body_html"
        else {"body": [{"type": "paragraph", "html": "x"}] * blocks}
    )

    sent = story(**body)
    if field == "body":
        del sent["body_html"]
    response = client_for(reporter).post(ARTICLES, sent, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == f"#/{field}"


def test_what_the_edit_route_answers_can_be_sent_back_as_it_is(desk_editor, newsroom):
    editor = client_for(desk_editor, PUBLISHER)
    draft = editor.post(ARTICLES, story(), format="json")
    url = f"{ARTICLES}troops-cross-border/"
    published = editor.post(f"{url}publish/", {}, format="json", HTTP_IF_MATCH=draft["ETag"])
    answered = editor.get(f"{url}edit/").json()

    same = editor.put(url, answered, format="json", HTTP_IF_MATCH=published["ETag"])
    retitled = editor.put(url, {**answered, "headline": "New"}, format="json", HTTP_IF_MATCH=same["ETag"])
    moved = editor.put(url, {**answered, "status": "draft"}, format="json", HTTP_IF_MATCH=retitled["ETag"])

    assert same.status_code == 200 and same["ETag"] == published["ETag"]  # nothing changed
    assert retitled.status_code == 200 and retitled.json()["headline"] == "New"
    assert moved.status_code == 400 and moved.json()["errors"][0]["pointer"] == "#/status"
