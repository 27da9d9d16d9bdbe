"""Live pages: an article covered by a stream of posts. Turned on in the admin, posted to from the
live desk, served in the detail and by /posts/ (older pages by cursor, changes by `since`, 304s
while nothing changes), and a change readers see everywhere: change sync, feeds, JSON-LD."""

import pytest
from django.urls import reverse

from articles.models import Article, LivePost
from cms.publishing import Status

from .factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory, VideoFactory
from .test_admin import article_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(clock):
    return ArticleFactory(live=True, slug="troops", headline="Troops move", live_status="live")


def post(article, clock=None, **fields):
    if clock is not None:
        clock.advance(minutes=1)
    fields.setdefault("body_html", "<p>An update.</p>")
    return LivePost.objects.create(article=article, status=LivePost.Status.PUBLISHED, **fields)


def posts_of(client, url="/api/v1/articles/troops/posts/", **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def titles(items):
    return [item["title"] for item in items]


# --- Turning an article into a live page, and posting from the live desk ----------------------
def test_an_editor_turns_an_article_into_a_live_page_and_posts_from_the_desk(admin_client, api_client):
    section = SectionFactory()
    article = ArticleFactory(live=True, slug="drones-over-kyiv", section=section)
    when = article.published_at
    form = article_form(
        section=section,
        status=Status.PUBLISHED,
        published_at_0=when.strftime("%Y-%m-%d"),
        published_at_1=when.strftime("%H:%M:%S"),
        live_status="live",
        coverage_start_0=when.strftime("%Y-%m-%d"),
        coverage_start_1=when.strftime("%H:%M:%S"),
    )

    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    live = api_client.get("/api/v1/articles/drones-over-kyiv/").json()["live"]
    assert live["status"] == "live" and live["posts"] == [] and live["since"] == "0"
    change_page = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    desk = reverse("admin:articles_article_live", args=[article.pk])
    assert desk in change_page.content.decode()

    response = admin_client.post(
        desk, {"title": "Sirens", "body_html": "<p>Sirens in the city.</p>", "publish": "1"}
    )

    assert response.status_code == 302
    polled = posts_of(api_client, live["poll"])  # within one poll
    assert titles(polled["results"]) == ["Sirens"]
    assert polled["results"][0]["text"] == "Sirens in the city."
    assert LivePost.objects.get().created_by.username == "editor"
    detail = api_client.get("/api/v1/articles/drones-over-kyiv/").json()["live"]
    assert titles(detail["posts"]) == ["Sirens"] and detail["since"] == polled["since"] != "0"


def test_a_reporter_drafts_and_an_editor_publishes(reporter_client, admin_client, api_client, page):
    desk = reverse("admin:articles_article_live", args=[page.pk])
    assert "Publish now" not in reporter_client.get(desk).content.decode()

    reporter_client.post(desk, {"title": "From the border", "body_html": "<p>Draft.</p>", "publish": "1"})

    draft = LivePost.objects.get()
    assert draft.status == LivePost.Status.DRAFT  # a reporter's "publish" is a draft
    assert posts_of(api_client)["results"] == []
    assert reporter_client.post(desk, {"publish_post": draft.pk}).status_code == 403

    admin_client.post(desk, {"publish_post": draft.pk})

    assert titles(posts_of(api_client)["results"]) == ["From the border"]


def test_the_desk_lists_posts_newest_first_and_refuses_an_empty_post(admin_client, page, clock):
    post(page, clock, title="First")
    post(page, clock, title="Second")
    desk = reverse("admin:articles_article_live", args=[page.pk])

    html = admin_client.get(desk).content.decode()
    empty = admin_client.post(desk, {"title": "", "body_html": "<p></p>", "publish": "1"})

    assert html.index("Second") < html.index("First")
    assert empty.status_code == 200 and "Write something" in empty.content.decode()
    assert LivePost.objects.count() == 2


# --- Reading: order, pinning, key events, pages -------------------------------------------------
def test_posts_are_newest_first_with_pinned_and_key_events_for_the_page(api_client, page, clock):
    author = AuthorFactory(name="Ana")
    post(page, clock, title="Pinned summary", pinned=True)
    post(page, clock, title="Meeting set for Wednesday", key_event=True, author=author)
    post(page, clock, title="Latest")
    LivePost.objects.create(article=page, title="Not yet", body_html="<p>x</p>")  # a draft

    live = api_client.get("/api/v1/articles/troops/").json()["live"]

    assert titles(live["posts"]) == ["Latest", "Meeting set for Wednesday", "Pinned summary"]
    assert titles(live["pinned"]) == ["Pinned summary"]
    assert [event["title"] for event in live["key_events"]] == ["Meeting set for Wednesday"]
    assert live["posts"][1]["author"] == {
        "id": author.pk,
        "slug": author.slug,
        "name": "Ana",
        "role": "Reporter",
    }
    assert live["next"] is None


def test_older_posts_page_backwards_by_cursor_without_gaps_or_repeats(api_client, page, clock):
    for number in range(25):
        post(page, None if number % 3 else clock, title=f"Post {number}")  # some share a time

    first = posts_of(api_client, page_size=10)
    second = posts_of(api_client, first["next"])
    third = posts_of(api_client, second["next"])

    seen = titles(first["results"] + second["results"] + third["results"])
    assert sorted(seen) == sorted(f"Post {n}" for n in range(25)) and len(seen) == 25
    assert third["next"] is None
    stamps = [item["published_at"] for item in first["results"] + second["results"] + third["results"]]
    assert stamps == sorted(stamps, reverse=True)


# --- Polling with `since` ------------------------------------------------------------------------
def test_polling_since_returns_what_changed_edits_marked_and_removals_named(api_client, page, clock):
    kept = post(page, clock, title="Kept")
    edited = post(page, clock, title="To edit")
    gone = post(page, clock, title="To delete")
    hidden = post(page, clock, title="To unpublish")
    since = posts_of(api_client)["since"]
    assert posts_of(api_client, since=since)["results"] == []

    clock.advance(minutes=1)
    edited.body_html = "<p>Corrected figure.</p>"
    edited.save()
    gone.delete()
    hidden.status = LivePost.Status.DRAFT
    hidden.save()
    new = post(page, clock, title="New")
    LivePost.objects.create(article=page, title="Draft", body_html="<p>x</p>")

    changed = posts_of(api_client, since=since)

    assert titles(changed["results"]) == ["New", "To edit"]
    assert changed["results"][1]["edited"] is True and changed["results"][1]["edited_at"]
    assert changed["results"][0]["edited"] is False
    assert sorted(changed["removed"]) == sorted([gone.pk, hidden.pk])
    assert changed["since"] != since and changed["has_more"] is False
    assert posts_of(api_client, since=changed["since"])["results"] == []
    assert titles(posts_of(api_client)["results"]) == ["New", "To edit", "Kept"]
    assert kept.pk not in changed["removed"] and new.pk == changed["results"][0]["id"]
    assert LivePost.objects.filter(pk=gone.pk, deleted_at__isnull=False).exists()  # a tombstone


def test_a_poll_is_a_304_until_a_new_post_purges_it(api_client, page, clock):
    post(page, clock, title="First")
    poll = posts_of(api_client)["poll"]
    first = api_client.get(poll)

    assert api_client.get(poll, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert "article-" in first["Surrogate-Key"]

    post(page, clock, title="Second")

    after = api_client.get(poll, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert titles(after.json()["results"]) == ["Second"]


def test_answers_take_a_fixed_number_of_queries_and_posts_are_rendered_once(
    api_client, page, clock, settings, django_assert_max_num_queries
):
    settings.RESPONSE_CACHE = False
    image, video = ImageFactory(), VideoFactory(live=True)
    for number in range(30):
        post(
            page,
            clock,
            title=f"Post {number}",
            author=AuthorFactory(),
            body_html=f'<p>Look.</p><figure data-embed="image" data-id="{image.pk}"></figure>'
            f'<figure data-embed="video" data-id="{video.pk}"></figure>',
        )
    since = str(Article.objects.get(pk=page.pk).live_revision - 10)

    # The page, which posts; those not kept yet (rendered once) with their authors, images, videos.
    with django_assert_max_num_queries(5):
        first = posts_of(api_client)
    with django_assert_max_num_queries(5):
        posts_of(api_client, first["next"])
    with django_assert_max_num_queries(2):  # every post of it is kept
        assert len(posts_of(api_client, since=since)["results"]) == 10
    with django_assert_max_num_queries(2):
        assert posts_of(api_client) == first
    assert first["results"][0]["body"][1]["image"]["id"] == image.pk


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"since": "abc"}, "since"),
        ({"since": "-1"}, "since"),
        ({"since": "99999"}, "since"),  # ahead of the page
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "MjAyNi0wMS0wMXwx"}, "cursor"),  # a time without a zone
        ({"since": "0", "cursor": "x"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api_client, page, params, parameter):
    response = api_client.get("/api/v1/articles/troops/posts/", params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["parameter"] for error in response.json()["errors"]] == [parameter]


def test_only_public_live_pages_have_posts(api_client, clock):
    ArticleFactory(live=True, slug="plain")
    draft = ArticleFactory(slug="draft", live_status="live")
    post(draft, title="Secret")

    for slug in ("plain", "draft", "nothing"):
        response = api_client.get(f"/api/v1/articles/{slug}/posts/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert api_client.get("/api/v1/articles/plain/").json()["live"] is None


def test_a_post_is_sanitised_and_hidden_embeds_stay_out(api_client, page):
    draft_video = VideoFactory(title="Unreleased")
    post(
        page,
        title="Attack",
        body_html='<p onclick="x()">Hi<script>alert(1)</script></p>'
        f'<figure data-embed="video" data-id="{draft_video.pk}"></figure>',
    )

    response = api_client.get("/api/v1/articles/troops/posts/")

    [item] = response.json()["results"]
    assert "script" not in response.content.decode() and "onclick" not in item["body_html"]
    assert "Unreleased" not in response.content.decode()
    assert [block["type"] for block in item["body"]] == ["paragraph"]


# --- A change readers see everywhere --------------------------------------------------------------
def test_a_post_is_a_change_for_sync_feeds_and_json_ld(api_client, page, clock, settings):
    settings.FRONTEND_BASE_URL = "https://www.example.com"
    page.coverage_start = clock.now
    page.save()
    since = api_client.get("/api/v1/changes/").json()["next_since"]
    before = api_client.get("/api/v1/articles/troops/").json()["updated_at"]

    post(
        page, clock, title="Casualties reported", key_event=True, author=AuthorFactory(name="Ana", slug="ana")
    )

    detail = api_client.get("/api/v1/articles/troops/").json()
    assert detail["updated_at"] > before
    changes = api_client.get("/api/v1/changes/", {"since": since}).json()["results"]
    assert [(c["change"], c["slug"]) for c in changes] == [("upsert", "troops")]
    assert "Casualties reported" in api_client.get("/feeds/rss/").content.decode()
    [blog] = [node for node in detail["head"]["json_ld"]["@graph"] if node["@type"] == "LiveBlogPosting"]
    assert {"headline", "datePublished", "dateModified", "coverageStartTime", "liveBlogUpdate"} <= blog.keys()
    [update] = blog["liveBlogUpdate"]
    assert update["@type"] == "BlogPosting" and update["headline"] == "Casualties reported"
    assert (
        update["articleBody"] == "An update."
        and update["datePublished"] == detail["live"]["posts"][0]["published_at"]
    )
    assert update["url"].startswith("https://www.example.com/articles/troops#post-")
    assert update["author"][0]["url"] == "https://www.example.com/authors/ana"


def test_saving_a_draft_post_changes_nothing_readers_see(api_client, page):
    revision, updated = page.live_revision, Article.objects.get(pk=page.pk).updated_at

    LivePost.objects.create(article=page, title="Draft", body_html="<p>x</p>")

    article = Article.objects.get(pk=page.pk)
    assert (article.live_revision, article.updated_at) == (revision, updated)
