"""HTTP caching (cms/caching.py): validators and 304s, Cache-Control, the server-side cache of
public responses, and its invalidation when content, or anything shown with it, changes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from articles.preview import make_preview_token
from cms.publishing import Status, publish, unpublish

from .factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    NewsletterFactory,
    RelatedContentFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

PUBLIC = "public, max-age=60, stale-while-revalidate=300"


@pytest.fixture
def content():
    """One live object of each public resource, the article with a topic, author and image."""
    topic, author = TopicFactory(), AuthorFactory()
    video = VideoFactory(live=True, topics=[topic])
    article = ArticleFactory(live=True, topics=[topic], authors=[author], hero_image=ImageFactory())
    return {
        "articles": article.slug,
        "videos": video.slug,
        "authors": author.slug,
        "sections": article.section.slug,
        "topics": topic.slug,
        "newsletters": NewsletterFactory().slug,
    }


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


# --- Validators and conditional GETs ------------------------------------------------------------
RESOURCES = ["articles", "videos", "authors", "sections", "topics", "newsletters"]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("page", ["list", "detail"])
def test_every_public_get_has_validators_and_public_cache_control(api_client, content, resource, page):
    url = f"/api/v1/{resource}/" + (f"{content[resource]}/" if page == "detail" else "")

    response = api_client.get(url)

    assert response.status_code == 200
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34  # strong: an MD5 in quotes
    assert response["Last-Modified"].endswith(" GMT")
    assert response["Cache-Control"] == PUBLIC
    assert response["Vary"] == "Accept, Origin"
    assert response["Surrogate-Key"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_if_none_match_gives_304_with_the_same_headers_and_no_body(api_client, content, resource):
    url = f"/api/v1/{resource}/{content[resource]}/"
    first = api_client.get(url)

    again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    for header in ("ETag", "Last-Modified", "Cache-Control", "Vary", "Surrogate-Key"):
        assert again[header] == first[header]


def test_if_none_match_compares_weakly_and_accepts_a_list(api_client, content):
    etag = api_client.get("/api/v1/articles/")["ETag"]

    weak = api_client.get("/api/v1/articles/", HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    other = api_client.get("/api/v1/articles/", HTTP_IF_NONE_MATCH='"other"')

    assert weak.status_code == 304
    assert other.status_code == 200 and other.json()["results"]


def test_if_modified_since_gives_304_unless_older_than_the_response(api_client, content):
    first = api_client.get("/api/v1/articles/")
    earlier = http_date(timezone.now().timestamp() - 3600)

    unchanged = api_client.get("/api/v1/articles/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    changed = api_client.get("/api/v1/articles/", HTTP_IF_MODIFIED_SINCE=earlier)

    assert unchanged.status_code == 304 and unchanged.content == b""
    assert changed.status_code == 200


def test_if_none_match_wins_over_if_modified_since(api_client, content):
    first = api_client.get("/api/v1/articles/")

    response = api_client.get(
        "/api/v1/articles/", HTTP_IF_NONE_MATCH='"other"', HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )

    assert response.status_code == 200


def test_an_edit_changes_the_etag_and_the_old_one_gets_the_new_body(api_client):
    article = ArticleFactory(live=True, headline="Before")
    url = f"/api/v1/articles/{article.slug}/"
    before = api_client.get(url)

    article.headline = "After"
    article.save()
    after = api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after.json()["headline"] == "After"
    assert after["ETag"] != before["ETag"]


def test_last_modified_stays_while_the_body_stays_and_moves_when_it_changes(api_client, clock):
    article = ArticleFactory(live=True)
    first = api_client.get("/api/v1/articles/")

    ArticleFactory(status=Status.DRAFT)  # invalidates the list, but it looks the same
    same = api_client.get("/api/v1/articles/")
    article.headline = "Changed"
    article.save()
    changed = api_client.get("/api/v1/articles/")

    assert (same["X-Cache"], same["ETag"]) == ("MISS", first["ETag"])
    assert same["Last-Modified"] == first["Last-Modified"]
    assert changed["Last-Modified"] != first["Last-Modified"]
    stale = api_client.get("/api/v1/articles/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert stale.status_code == 200


# --- Cache-Control ------------------------------------------------------------------------------
def test_cache_lifetimes_come_from_settings(api_client, content, settings):
    settings.CACHE_MAX_AGE = 5
    settings.CACHE_STALE_WHILE_REVALIDATE = 30

    response = api_client.get("/api/v1/articles/")

    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"


def test_logged_in_staff_get_private_no_store_and_never_the_cache(
    admin_client, api_client, content, django_assert_max_num_queries
):
    anonymous = api_client.get("/api/v1/articles/")

    staff = admin_client.get("/api/v1/articles/")

    assert anonymous["X-Cache"] == "MISS"
    assert staff.status_code == 200
    assert staff["Cache-Control"] == "private, no-store"
    assert "X-Cache" not in staff  # an ETag of its own, for conditional requests (not the cache's)
    # Nor is what staff were served kept for anyone.
    admin_client.get("/api/v1/videos/")
    assert api_client.get("/api/v1/videos/")["X-Cache"] == "MISS"


def test_a_request_with_an_authorization_header_is_private(api_client, content):
    api_client.get("/api/v1/articles/")

    response = api_client.get("/api/v1/articles/", HTTP_AUTHORIZATION="Bearer something")

    assert response["Cache-Control"] == "private, no-store"
    assert "X-Cache" not in response


def test_preview_stays_private_and_is_never_cached(api_client):
    draft = ArticleFactory(status=Status.DRAFT)
    url = f"/api/v1/preview/{make_preview_token(draft)}/"

    first, second = api_client.get(url), api_client.get(url)

    assert first.status_code == second.status_code == 200
    assert second["Cache-Control"] == "private, no-store"
    assert "X-Cache" not in second and "ETag" not in second


def test_errors_are_cached_briefly_and_never_stored(api_client, django_assert_max_num_queries):
    missing = api_client.get("/api/v1/articles/no-such-article/")
    invalid = api_client.get("/api/v1/articles/?page_size=500")
    again = api_client.get("/api/v1/articles/no-such-article/")

    assert missing.status_code == 404 and invalid.status_code == 400
    assert missing["Cache-Control"] == invalid["Cache-Control"] == "public, max-age=10"
    assert "ETag" not in missing and "X-Cache" not in again


def test_an_old_slug_redirect_is_cached_for_a_bounded_time(api_client):
    article = ArticleFactory(live=True, slug="first-slug")
    article.slug = "second-slug"
    article.save()

    response = api_client.get("/api/v1/articles/first-slug/")

    assert response.status_code == 301
    assert response["Cache-Control"] == "public, max-age=60"


def test_max_age_never_reaches_past_the_next_scheduled_change(api_client, clock):
    ArticleFactory(live=True)
    ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(seconds=90))

    first = api_client.get("/api/v1/articles/")
    clock.advance(seconds=70)
    hit = api_client.get("/api/v1/articles/")

    assert first["Cache-Control"] == "public, max-age=60, stale-while-revalidate=30"
    assert hit["X-Cache"] == "HIT"
    assert hit["Cache-Control"] == "public, max-age=20"


def test_responses_that_do_not_show_articles_or_videos_ignore_the_schedule(api_client, clock):
    NewsletterFactory()
    ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(seconds=5))

    response = api_client.get("/api/v1/newsletters/")

    assert response["Cache-Control"] == PUBLIC


# --- The server-side cache ----------------------------------------------------------------------
@pytest.mark.parametrize("resource", RESOURCES)
def test_a_repeated_request_is_served_from_the_cache_without_queries(
    api_client, content, resource, django_assert_num_queries
):
    url = f"/api/v1/{resource}/{content[resource]}/"
    first = api_client.get(url)

    with django_assert_num_queries(0):
        second = api_client.get(url)

    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert second.content == first.content
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary", "Surrogate-Key"):
        assert second[header] == first[header]


def test_a_revalidation_is_answered_from_the_cache_without_queries(
    api_client, content, django_assert_num_queries
):
    etag = api_client.get("/api/v1/articles/")["ETag"]

    with django_assert_num_queries(0):
        response = api_client.get("/api/v1/articles/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["X-Cache"] == "HIT"


def test_the_order_of_query_parameters_does_not_matter(api_client, content):
    api_client.get("/api/v1/articles/?page=1&page_size=5")

    response = api_client.get("/api/v1/articles/?page_size=5&page=1")

    assert response["X-Cache"] == "HIT"


def test_other_query_values_and_hosts_are_other_entries(api_client, content, settings):
    settings.ALLOWED_HOSTS = ["testserver", "api.example.com"]
    api_client.get("/api/v1/articles/?page_size=5")

    other_size = api_client.get("/api/v1/articles/?page_size=6")
    other_host = api_client.get("/api/v1/articles/?page_size=5", HTTP_HOST="api.example.com")

    assert other_size["X-Cache"] == other_host["X-Cache"] == "MISS"
    assert other_host.json()["results"][0]["hero_image"]["url"].startswith("http://api.example.com/")


def test_hits_carry_cors_headers_for_the_origin_asking(api_client, content, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://www.example.com", "https://app.example.com"]
    api_client.get("/api/v1/articles/", HTTP_ORIGIN="https://www.example.com")

    hit = api_client.get("/api/v1/articles/", HTTP_ORIGIN="https://app.example.com")

    assert hit["X-Cache"] == "HIT"
    assert hit["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert hit["Vary"] == "Accept, Origin"


def test_with_the_server_cache_off_validators_and_304s_remain(api_client, content, settings):
    settings.RESPONSE_CACHE = False
    first = api_client.get("/api/v1/articles/")

    second = api_client.get("/api/v1/articles/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["X-Cache"] == "MISS" and first["Cache-Control"] == PUBLIC
    assert second.status_code == 304 and second["X-Cache"] == "MISS"


def test_a_response_rendered_before_a_commit_is_dropped_when_it_commits(
    api_client, django_capture_on_commit_callbacks
):
    article = ArticleFactory(live=True)
    url = f"/api/v1/articles/{article.slug}/"
    with django_capture_on_commit_callbacks(execute=True):
        article.headline = "Changed"
        article.save()
        api_client.get(url)  # stored while the change is not yet committed
        assert api_client.get(url)["X-Cache"] == "HIT"

    assert api_client.get(url)["X-Cache"] == "MISS"


# --- Surrogate keys -----------------------------------------------------------------------------
def test_surrogate_keys_name_every_object_in_an_article_page(api_client):
    topic, author, image = TopicFactory(), AuthorFactory(), ImageFactory()
    lead, related = VideoFactory(live=True), VideoFactory(live=True)
    article = ArticleFactory(live=True, topics=[topic], authors=[author], hero_image=image, lead_video=lead)
    RelatedContentFactory(article=article, target_video=related)

    response = api_client.get(f"/api/v1/articles/{article.slug}/")

    keys = set(response["Surrogate-Key"].split())
    assert keys >= {
        f"article-{article.pk}",
        f"section-{article.section_id}",
        f"topic-{topic.pk}",
        f"author-{author.pk}",
        f"image-{image.pk}",
        f"video-{lead.pk}",
        f"video-{related.pk}",
    }
    assert "articles" not in keys  # a new article does not change this page
    assert response["Cache-Tag"] == ",".join(sorted(keys))


def test_lists_and_pages_of_newest_content_name_their_type(api_client):
    topic = TopicFactory()
    article = ArticleFactory(live=True, topics=[topic])

    listed = set(api_client.get("/api/v1/articles/")["Surrogate-Key"].split())
    topic_page = set(api_client.get(f"/api/v1/topics/{topic.slug}/")["Surrogate-Key"].split())

    assert {"articles", f"article-{article.pk}", f"topic-{topic.pk}"} <= listed
    assert {"articles", "videos", f"topic-{topic.pk}", f"article-{article.pk}"} <= topic_page


# --- Invalidation -------------------------------------------------------------------------------
def test_publishing_shows_the_item_at_once(api_client):
    draft = ArticleFactory(status=Status.DRAFT)
    assert slugs(api_client.get("/api/v1/articles/")) == []

    publish(queryset=type(draft).objects.filter(pk=draft.pk))

    assert slugs(api_client.get("/api/v1/articles/")) == [draft.slug]
    assert api_client.get(f"/api/v1/articles/{draft.slug}/").status_code == 200


def test_editing_changes_the_detail_and_the_list(api_client):
    article = ArticleFactory(live=True, headline="Before")
    api_client.get(f"/api/v1/articles/{article.slug}/")
    api_client.get("/api/v1/articles/")

    article.headline = "After"
    article.save()

    assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["headline"] == "After"
    assert api_client.get("/api/v1/articles/").json()["results"][0]["headline"] == "After"


def test_unpublishing_hides_the_item_at_once(api_client):
    article = ArticleFactory(live=True)
    api_client.get(f"/api/v1/articles/{article.slug}/")
    api_client.get("/api/v1/articles/")

    unpublish(queryset=type(article).objects.filter(pk=article.pk))

    assert api_client.get(f"/api/v1/articles/{article.slug}/").status_code == 404
    assert slugs(api_client.get("/api/v1/articles/")) == []


def test_deleting_removes_the_item_at_once(api_client):
    video = VideoFactory(live=True)
    api_client.get(f"/api/v1/videos/{video.slug}/")
    api_client.get("/api/v1/videos/")

    video.delete()

    assert api_client.get(f"/api/v1/videos/{video.slug}/").status_code == 404
    assert slugs(api_client.get("/api/v1/videos/")) == []


def test_a_renamed_topic_changes_the_article_page_and_list(api_client):
    topic = TopicFactory(name="Old name")
    article = ArticleFactory(live=True, topics=[topic])
    api_client.get(f"/api/v1/articles/{article.slug}/")
    api_client.get("/api/v1/articles/")

    topic.name = "New name"
    topic.save()

    assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["topics"][0]["name"] == "New name"
    assert api_client.get("/api/v1/articles/").json()["results"][0]["topics"][0]["name"] == "New name"


def test_a_topic_hidden_and_shown_again_changes_the_article_page(api_client):
    topic = TopicFactory()
    article = ArticleFactory(live=True, topics=[topic])
    url = f"/api/v1/articles/{article.slug}/"
    api_client.get(url)

    topic.is_active = False
    topic.save()
    hidden = api_client.get(url).json()["topics"]
    topic.is_active = True
    topic.save()

    assert hidden == []
    assert [t["slug"] for t in api_client.get(url).json()["topics"]] == [topic.slug]


def test_tagging_an_article_changes_the_filtered_list(api_client):
    topic = TopicFactory()
    article = ArticleFactory(live=True)
    assert slugs(api_client.get(f"/api/v1/articles/?topic={topic.slug}")) == []

    topic.articles.add(article)  # from the topic's side

    assert slugs(api_client.get(f"/api/v1/articles/?topic={topic.slug}")) == [article.slug]


def test_unpublishing_a_related_video_changes_the_article_page(api_client):
    video = VideoFactory(live=True)
    article = ArticleFactory(live=True)
    RelatedContentFactory(article=article, target_video=video)
    url = f"/api/v1/articles/{article.slug}/"
    assert [item["id"] for item in api_client.get(url).json()["related"]] == [video.pk]

    unpublish(queryset=type(video).objects.filter(pk=video.pk))
    hidden = api_client.get(url).json()["related"]
    publish(queryset=type(video).objects.filter(pk=video.pk))

    assert hidden == []
    assert [item["id"] for item in api_client.get(url).json()["related"]] == [video.pk]


def test_publishing_a_lead_video_changes_the_article_page_and_list(api_client):
    video = VideoFactory(status=Status.DRAFT)
    article = ArticleFactory(live=True, lead_video=video)
    url = f"/api/v1/articles/{article.slug}/"
    assert api_client.get(url).json()["lead_video"] is None
    assert api_client.get("/api/v1/articles/").json()["results"][0]["has_video"] is False

    publish(queryset=type(video).objects.filter(pk=video.pk))

    assert api_client.get(url).json()["lead_video"]["id"] == video.pk
    assert api_client.get("/api/v1/articles/").json()["results"][0]["has_video"] is True


def test_publishing_a_video_embedded_in_the_body_changes_the_article_page(api_client):
    video = VideoFactory(status=Status.DRAFT)
    article = ArticleFactory(
        live=True, body_html=f'<figure data-embed="video" data-id="{video.pk}"></figure>'
    )
    url = f"/api/v1/articles/{article.slug}/"
    assert [block["type"] for block in api_client.get(url).json()["body"]] == []

    publish(queryset=type(video).objects.filter(pk=video.pk))

    assert [block["type"] for block in api_client.get(url).json()["body"]] == ["video"]


def test_changing_an_images_alt_text_changes_every_response_showing_it(api_client):
    image = ImageFactory(alt_text="Before")
    article = ArticleFactory(live=True, hero_image=image)
    api_client.get("/api/v1/articles/")
    api_client.get(f"/api/v1/articles/{article.slug}/")

    image.alt_text = "After"
    image.save()

    assert api_client.get("/api/v1/articles/").json()["results"][0]["hero_image"]["alt_text"] == "After"
    assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["hero_image"]["alt_text"] == "After"


def test_a_renamed_author_changes_the_byline(api_client):
    author = AuthorFactory(name="Before")
    article = ArticleFactory(live=True, authors=[author])
    url = f"/api/v1/articles/{article.slug}/"
    api_client.get(url)

    author.name = "After"
    author.save()

    assert api_client.get(url).json()["authors"][0]["name"] == "After"


def test_a_new_article_appears_on_its_section_page(api_client):
    section = SectionFactory()
    api_client.get(f"/api/v1/sections/{section.slug}/")

    article = ArticleFactory(live=True, section=section)

    assert [
        item["slug"] for item in api_client.get(f"/api/v1/sections/{section.slug}/").json()["latest"]
    ] == [article.slug]


def test_search_results_change_when_matching_content_is_published(api_client):
    first = ArticleFactory(live=True, headline="Ceasefire talks begin")
    api_client.get("/api/v1/search/?q=ceasefire")
    assert api_client.get("/api/v1/search/?q=ceasefire")["X-Cache"] == "HIT"

    second = ArticleFactory(live=True, headline="Ceasefire holds")

    assert set(slugs(api_client.get("/api/v1/search/?q=ceasefire"))) == {first.slug, second.slug}


def test_an_unrelated_change_keeps_an_article_page_cached(api_client):
    article = ArticleFactory(live=True)
    url = f"/api/v1/articles/{article.slug}/"
    api_client.get(url)

    ArticleFactory(live=True)  # another article: lists change, this page does not

    assert api_client.get(url)["X-Cache"] == "HIT"


# --- Scheduled publishing and expiry ------------------------------------------------------------
def test_a_scheduled_article_appears_at_its_time_though_the_list_was_cached(api_client, clock):
    live = ArticleFactory(live=True)
    scheduled = ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(minutes=10))
    assert slugs(api_client.get("/api/v1/articles/")) == [live.slug]
    assert api_client.get("/api/v1/articles/")["X-Cache"] == "HIT"

    clock.advance(minutes=10)

    assert slugs(api_client.get("/api/v1/articles/")) == [scheduled.slug, live.slug]


def test_a_scheduled_article_appears_at_its_time_in_a_list_cached_empty(api_client, clock):
    scheduled = ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(minutes=10))
    assert slugs(api_client.get("/api/v1/articles/")) == []
    assert api_client.get("/api/v1/articles/")["X-Cache"] == "HIT"

    clock.advance(minutes=10)

    assert slugs(api_client.get("/api/v1/articles/")) == [scheduled.slug]


def test_an_expiring_article_disappears_at_its_time_though_its_page_was_cached(api_client, clock):
    article = ArticleFactory(live=True, expires_at=clock.now + timedelta(minutes=5))
    url = f"/api/v1/articles/{article.slug}/"
    api_client.get(url)
    clock.advance(minutes=4)
    assert api_client.get(url)["X-Cache"] == "HIT"

    clock.advance(minutes=1)

    assert api_client.get(url).status_code == 404


def test_the_schema_documents_conditional_requests_and_cache_headers(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    article = paths["/api/v1/articles/{slug}/"]["get"]
    preview = paths["/api/v1/preview/{token}/"]["get"]

    assert {"If-None-Match", "If-Modified-Since"} <= {p["name"] for p in article["parameters"]}
    assert "304" in article["responses"]
    assert {"ETag", "Last-Modified", "Cache-Control", "Surrogate-Key"} <= set(
        article["responses"]["200"]["headers"]
    )
    assert "304" not in preview["responses"]


@pytest.mark.parametrize(
    "url", ["/feeds/rss/", "/feeds/atom/", "/feeds/json/", "/sitemap.xml", "/sitemap-news.xml"]
)
def test_feeds_and_sitemaps_get_validators_and_revalidate(api_client, url):
    ArticleFactory(live=True)

    response = api_client.get(url)
    again = api_client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")
    assert response["Last-Modified"]
    assert again.status_code == 304


FEEDS_AND_SITEMAPS = [
    "/feeds/rss/",
    "/feeds/atom/",
    "/feeds/json/",
    "/feeds/topics/kursk/rss/",
    "/sitemap.xml",
    "/sitemaps/articles.xml",
    "/sitemaps/topics.xml",
    "/sitemap-news.xml",
]


@pytest.mark.parametrize("url", FEEDS_AND_SITEMAPS)
def test_feeds_and_sitemaps_are_kept_in_the_cache_and_purged_by_a_publish(
    api_client, url, django_assert_max_num_queries
):
    topic = TopicFactory(slug="kursk")
    ArticleFactory(live=True, topics=[topic])
    first = api_client.get(url)
    with django_assert_max_num_queries(0):
        again = api_client.get(url)
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    assert again.content == first.content and "articles" in again["Surrogate-Key"].split()

    new = ArticleFactory(live=True, topics=[topic], slug="new-from-the-front")
    after = api_client.get(url)

    assert after["X-Cache"] == "MISS"
    if "sitemap.xml" not in url and "topics.xml" not in url:  # those list sitemaps, topics
        assert new.slug.encode() in after.content


@pytest.mark.parametrize(
    "url", ["/feeds/rss/", "/feeds/json/", "/sitemaps/articles.xml", "/sitemap-news.xml"]
)
def test_feeds_and_sitemaps_keep_their_own_last_modified_and_revalidate_by_it(api_client, clock, url):
    article = ArticleFactory(live=True, published_at=clock.now - timedelta(hours=5))
    type(article).objects.filter(pk=article.pk).update(updated_at=clock.now - timedelta(hours=3))
    clock.advance(minutes=30)
    own = http_date((clock.now - timedelta(minutes=30) - timedelta(hours=3)).timestamp())

    first, hit = api_client.get(url), api_client.get(url)
    revalidated = api_client.get(url, HTTP_IF_MODIFIED_SINCE=own)
    older = api_client.get(
        url, HTTP_IF_MODIFIED_SINCE=http_date((clock.now - timedelta(hours=4)).timestamp())
    )

    assert first["Last-Modified"] == hit["Last-Modified"] == own
    assert revalidated.status_code == 304 and older.status_code == 200


def test_feed_items_name_what_they_show_and_nothing_hidden(api_client):
    topic, image, author = TopicFactory(), ImageFactory(), AuthorFactory()
    draft_video = VideoFactory(status=Status.DRAFT)
    article = ArticleFactory(
        live=True,
        topics=[topic],
        authors=[author],
        hero_image=image,
        body_html=f'<p>Text.</p><figure data-embed="video" data-id="{draft_video.pk}"></figure>',
    )
    keys = api_client.get("/feeds/rss/")["Surrogate-Key"].split()

    assert {f"article-{article.pk}", f"topic-{topic.pk}", f"author-{author.pk}", f"image-{image.pk}"} <= set(
        keys
    )
    assert f"video-{draft_video.pk}" not in keys


# --- A bounded key space -----------------------------------------------------------------------
def test_parameters_no_view_reads_make_no_new_cache_entry(api_client):
    ArticleFactory(live=True)
    assert api_client.get("/api/v1/articles/?page_size=5")["X-Cache"] == "MISS"

    for junk in ("utm_source=x", "_=1700000000", "nonsense=%25", "zzz"):
        response = api_client.get(f"/api/v1/articles/?page_size=5&{junk}")
        assert response["X-Cache"] == "HIT", junk
    assert api_client.get("/api/v1/articles/?page_size=6")["X-Cache"] == "MISS"  # a real one counts


def test_accept_is_keyed_by_the_variant_served(api_client):
    ArticleFactory(live=True)
    assert api_client.get("/api/v1/articles/")["X-Cache"] == "MISS"
    for accept in ("application/json", "*/*", "application/json, text/plain, */*", "application/*;q=0.9"):
        assert api_client.get("/api/v1/articles/", HTTP_ACCEPT=accept)["X-Cache"] == "HIT", accept


def test_every_documented_query_parameter_is_part_of_the_cache_key(api_client):
    """A parameter a view reads but the cache key left out would serve one answer for another."""
    from cms.caching import known_parameters

    schema = api_client.get("/api/schema/?format=json").json()
    documented = {
        parameter["name"]
        for item in schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    assert documented
    assert documented <= known_parameters(), documented - known_parameters()


# --- No side channels ----------------------------------------------------------------------------
def test_surrogate_keys_name_no_hidden_item(api_client):
    draft_video = VideoFactory(status=Status.DRAFT)
    scheduled = ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() + timedelta(hours=1))
    article = ArticleFactory(live=True, lead_video=draft_video)
    article.related_items.model.objects.create(article=article, target_article=scheduled)

    for path in (
        "/api/v1/articles/",
        f"/api/v1/articles/{article.slug}/",
        "/api/v1/search/?q=" + article.slug,
    ):
        keys = api_client.get(path).get("Surrogate-Key", "").split()
        assert f"video-{draft_video.pk}" not in keys, path
        assert f"article-{scheduled.pk}" not in keys, path

    publish(queryset=type(draft_video).objects.filter(pk=draft_video.pk))  # still reaches them
    assert api_client.get("/api/v1/articles/").json()["results"][0]["has_video"] is True
    assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["lead_video"]["id"] == draft_video.pk


def test_no_header_tells_a_reader_that_someone_else_asked_the_same(api_client, clock, settings):
    settings.CACHE_DEBUG_HEADERS = False
    ArticleFactory(live=True, headline="Ferry crossing resumes at dawn")
    api_client.get("/api/v1/articles/")  # the site is in use
    clock.advance(hours=1)
    asked_before = api_client.get("/api/v1/search/?q=ferry")  # one reader's search
    clock.advance(hours=1)

    repeated = api_client.get("/api/v1/search/?q=ferry")  # another reader, the same search
    never_asked = api_client.get("/api/v1/search/?q=dawn")  # a search nobody made before

    assert asked_before.status_code == repeated.status_code == never_asked.status_code == 200
    assert repeated["Last-Modified"] == never_asked["Last-Modified"] == asked_before["Last-Modified"]
    assert not {"X-Cache", "Age"} & {*repeated.headers, *never_asked.headers}
    public = {"ETag", "Last-Modified", "Cache-Control", "Vary", "Surrogate-Key", "Cache-Tag", "Content-Type"}
    assert {h for h in repeated.headers if h not in public} == {
        h for h in never_asked.headers if h not in public
    }


def test_a_process_trusts_the_token_it_read_for_a_bounded_time(api_client, settings, monkeypatch):
    """CACHE_TOKEN_TRUST_SECONDS: a purge by this process is seen at once; one by another process
    (here: this process made to hold the token from before it) within the window."""
    from cms import caching

    settings.CACHE_TOKEN_TRUST_SECONDS = 60
    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])
    article = ArticleFactory(live=True, headline="First")
    url = f"/api/v1/articles/{article.slug}/"
    assert api_client.get(url).json()["headline"] == "First"
    assert api_client.get(url)["X-Cache"] == "HIT"

    article.headline = "Second"
    article.save()  # purged here: seen at once
    assert api_client.get(url).json()["headline"] == "Second"
    before_next = caching._trust.token
    assert api_client.get(url)["X-Cache"] == "HIT"

    article.headline = "Third"
    article.save()
    caching._trust.token = before_next  # as a process that did not make the purge holds it
    stale = api_client.get(url)
    clock[0] += 61
    fresh = api_client.get(url)

    assert stale.json()["headline"] == "Second" and stale["X-Cache"] == "HIT"
    assert fresh.json()["headline"] == "Third"
