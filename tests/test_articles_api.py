from datetime import timedelta

import pytest
from django.utils import timezone

from cms.publishing import Status

from .factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    RelatedContentFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

IN_AN_HOUR = timedelta(hours=1)


def hidden_articles():
    """One article for each way of not being publicly visible."""
    return [
        ArticleFactory(status=Status.DRAFT),
        ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() + IN_AN_HOUR),
        ArticleFactory(status=Status.ARCHIVED, published_at=timezone.now() - IN_AN_HOUR),
        ArticleFactory(live=True, expires_at=timezone.now() - timedelta(minutes=1)),
    ]


def slugs(response):
    return [item["slug"] for item in response.json()["results"]]


def test_list_shows_only_live_articles_newest_first(api_client):
    older = ArticleFactory(live=True, published_at=timezone.now() - timedelta(days=2))
    newer = ArticleFactory(live=True)
    hidden_articles()

    response = api_client.get("/api/v1/articles/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 2
    assert slugs(response) == [newer.slug, older.slug]


@pytest.mark.parametrize("index", range(4), ids=["draft", "scheduled", "archived", "expired"])
def test_hidden_article_detail_is_404(api_client, index):
    article = hidden_articles()[index]

    response = api_client.get(f"/api/v1/articles/{article.slug}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_scheduled_article_appears_once_its_time_comes(api_client):
    article = ArticleFactory(status=Status.PUBLISHED, published_at=timezone.now() + timedelta(seconds=1))
    assert api_client.get(f"/api/v1/articles/{article.slug}/").status_code == 404

    article.published_at = timezone.now() - timedelta(seconds=1)
    article.save()

    assert api_client.get(f"/api/v1/articles/{article.slug}/").status_code == 200


def test_list_items_are_teasers_without_body(api_client):
    topic = TopicFactory(name="Kursk")
    author = AuthorFactory(name="Jane Doe")
    video = VideoFactory(live=True)
    ArticleFactory(live=True, topics=[topic], authors=[author], hero_image=ImageFactory(), lead_video=video)

    item = api_client.get("/api/v1/articles/").json()["results"][0]

    assert "body" not in item and "related" not in item
    assert item["topics"] == [{"id": topic.pk, "slug": topic.slug, "name": "Kursk"}]
    assert item["authors"][0]["name"] == "Jane Doe"
    assert item["hero_image"]["width"] == 64 and item["hero_image"]["height"] == 48
    assert item["hero_image"]["url"].startswith("http://testserver/media/")
    assert item["has_video"] is True


def test_has_video_is_false_when_the_lead_video_is_a_draft(api_client):
    ArticleFactory(live=True, lead_video=VideoFactory(status=Status.DRAFT))

    assert api_client.get("/api/v1/articles/").json()["results"][0]["has_video"] is False


def test_detail_carries_the_whole_page(api_client):
    section = SectionFactory(name="News", slug="news")
    topics = [TopicFactory(), TopicFactory(), TopicFactory()]
    lead = VideoFactory(live=True, title="Watch: the lead", thumbnail=ImageFactory())
    article = ArticleFactory(
        live=True, section=section, topics=topics, lead_video=lead, standfirst="In short."
    )
    teasers = [
        VideoFactory(live=True, thumbnail=ImageFactory()),
        ArticleFactory(live=True),
        VideoFactory(live=True),
    ]
    for position, target in enumerate(teasers):
        field = "target_article" if target._meta.model_name == "article" else "target_video"
        RelatedContentFactory(article=article, position=position, **{field: target})

    data = api_client.get(f"/api/v1/articles/{article.slug}/").json()

    assert data["section"]["name"] == "News"
    assert data["standfirst"] == "In short."
    assert {topic["slug"] for topic in data["topics"]} == {topic.slug for topic in topics}
    assert data["lead_video"]["title"] == "Watch: the lead"
    assert data["lead_video"]["duration_seconds"] == 125
    assert data["lead_video"]["thumbnail"]["alt_text"]
    assert [(item["type"], item["slug"]) for item in data["related"]] == [
        ("video", teasers[0].slug),
        ("article", teasers[1].slug),
        ("video", teasers[2].slug),
    ]
    assert data["related"][0]["thumbnail"]["url"].startswith("http://testserver/media/")
    assert data["related"][0]["title"] == teasers[0].title
    assert [(block["type"], block["text"]) for block in data["body"]] == [("paragraph", "First paragraph.")]
    assert data["body_html"] == "<p>First paragraph.</p>"
    assert data["seo"] == {"title": article.headline, "description": "In short.", "canonical_url": None}


def test_related_teasers_leave_out_what_is_not_public(api_client):
    article = ArticleFactory(live=True)
    shown = VideoFactory(live=True)
    RelatedContentFactory(article=article, target_video=VideoFactory(status=Status.DRAFT))
    RelatedContentFactory(article=article, target_video=shown)
    RelatedContentFactory(article=article, target_article=hidden_articles()[1])

    data = api_client.get(f"/api/v1/articles/{article.slug}/").json()

    assert [item["slug"] for item in data["related"]] == [shown.slug]


def test_draft_lead_video_is_not_served(api_client):
    article = ArticleFactory(live=True, lead_video=VideoFactory(status=Status.DRAFT, title="Secret"))

    data = api_client.get(f"/api/v1/articles/{article.slug}/").json()

    assert data["lead_video"] is None
    assert "Secret" not in str(data)


def test_inactive_topics_are_not_served_on_articles(api_client):
    article = ArticleFactory(live=True, topics=[TopicFactory(slug="shown"), TopicFactory(is_active=False)])

    data = api_client.get(f"/api/v1/articles/{article.slug}/").json()

    assert [topic["slug"] for topic in data["topics"]] == ["shown"]


def embed(kind, item, caption=""):
    return f'<figure data-embed="{kind}" data-id="{item.pk}" data-caption="{caption}"></figure>'


def test_body_blocks_of_every_type_are_served_with_embeds_resolved(api_client):
    image = ImageFactory(caption="Library caption", credit="Agency")
    video = VideoFactory(live=True, title="Embedded clip", embed_url="https://player.example/embed/1")
    draft_video = VideoFactory(status=Status.DRAFT, title="Not yet")
    article = ArticleFactory(
        live=True,
        body_html=(
            "<h2>What <em>happened</em></h2>"
            '<p>Words with <strong>weight</strong> and <a href="https://example.com/x">a link</a>.</p>'
            "<blockquote><p>A quote.</p></blockquote>"
            "<ul><li><p>one</p></li><li><p>two</p></li></ul>"
            "<ol><li><p>first</p></li></ol>"
            + embed("image", image)
            + embed("video", video, "Watch this")
            + embed("video", draft_video)
            + '<figure data-embed="image" data-id="999999"></figure>'
        ),
    )

    data = api_client.get(f"/api/v1/articles/{article.slug}/").json()
    body = data["body"]

    assert [block["type"] for block in body] == [
        "heading",
        "paragraph",
        "quote",
        "list",
        "list",
        "image",
        "video",
    ]
    assert body[0]["level"] == 2
    assert body[0]["spans"] == [{"text": "What ", "marks": []}, {"text": "happened", "marks": ["italic"]}]
    assert body[1]["text"] == "Words with weight and a link."
    assert {"text": "weight", "marks": ["bold"]} in body[1]["spans"]
    assert {"text": "a link", "marks": [], "href": "https://example.com/x"} in body[1]["spans"]
    assert body[1]["html"] == (
        "Words with <strong>weight</strong> and "
        '<a href="https://example.com/x" rel="noopener noreferrer">a link</a>.'
    )
    assert body[2]["text"] == "A quote."
    assert body[3]["style"] == "bullet" and [item["text"] for item in body[3]["items"]] == ["one", "two"]
    assert body[4]["style"] == "ordered"
    assert body[5]["caption"] == "Library caption"
    assert body[5]["image"]["credit"] == "Agency"
    assert body[5]["image"]["url"].startswith("http://testserver/media/")
    assert body[6]["caption"] == "Watch this"
    assert body[6]["video"]["title"] == "Embedded clip"
    assert "Not yet" not in str(data)
    assert '<iframe src="https://player.example/embed/1"' in data["body_html"]
    assert "<h2>What <em>happened</em></h2>" in data["body_html"]
    assert "<ol><li>first</li></ol>" in data["body_html"]


def test_filters_by_section_topic_and_author(api_client):
    topic, author, section = TopicFactory(), AuthorFactory(), SectionFactory()
    tagged = ArticleFactory(live=True, topics=[topic])
    written = ArticleFactory(live=True, authors=[author])
    placed = ArticleFactory(live=True, section=section)

    assert slugs(api_client.get(f"/api/v1/articles/?topic={topic.slug}")) == [tagged.slug]
    assert slugs(api_client.get(f"/api/v1/articles/?author={author.slug}")) == [written.slug]
    assert slugs(api_client.get(f"/api/v1/articles/?section={section.slug}")) == [placed.slug]


def test_pagination_is_bounded(api_client):
    ArticleFactory.create_batch(5, live=True)

    first = api_client.get("/api/v1/articles/?page_size=2").json()
    last = api_client.get("/api/v1/articles/?page_size=2&page=3").json()

    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["next"].endswith("page=2&page_size=2") and first["previous"] is None
    assert len(last["results"]) == 1 and last["next"] is None


def test_list_queries_do_not_grow_with_rows(api_client, django_assert_max_num_queries):
    topics, authors = TopicFactory.create_batch(3), AuthorFactory.create_batch(2)
    for _ in range(25):
        ArticleFactory(live=True, topics=topics, authors=authors, hero_image=ImageFactory())

    # First time: count, page; the items are rendered and stored: articles, topics, authors, update;
    # the live lead videos (for has_video)
    with django_assert_max_num_queries(7):
        response = api_client.get("/api/v1/articles/?page_size=25")
    with django_assert_max_num_queries(1):  # the page: counts and items are kept
        again = api_client.get("/api/v1/articles/?page_size=25&page=1")

    assert len(response.json()["results"]) == 25
    assert again.json()["results"] == response.json()["results"]


def test_detail_queries_do_not_grow_with_relations(api_client, django_assert_max_num_queries):
    article = ArticleFactory(
        live=True,
        topics=TopicFactory.create_batch(6),
        authors=AuthorFactory.create_batch(3),
        lead_video=VideoFactory(live=True, thumbnail=ImageFactory()),
        hero_image=ImageFactory(),
        body_html="".join(embed("image", ImageFactory()) for _ in range(4))
        + "".join(embed("video", VideoFactory(live=True)) for _ in range(4)),
    )
    for position in range(6):
        RelatedContentFactory(article=article, position=position, target_video=VideoFactory(live=True))
        RelatedContentFactory(
            article=article, target_article=ArticleFactory(live=True, hero_image=ImageFactory())
        )

    # The first time: the stored row, then the article, topics, authors, related, body images, body
    # videos, the next scheduled transition and storing the rendering; then the stored row alone.
    with django_assert_max_num_queries(9):
        response = api_client.get(f"/api/v1/articles/{article.slug}/?utm_source=first")
    with django_assert_max_num_queries(1):
        again = api_client.get(f"/api/v1/articles/{article.slug}/?utm_source=again")

    assert len(response.json()["related"]) == 12
    assert len(response.json()["body"]) == 8
    assert again.json() == response.json()


def test_videos_list_and_detail(api_client):
    topic = TopicFactory()
    video = VideoFactory(
        live=True, topics=[topic], transcript="Every word.", embed_url="https://player.example/1"
    )
    VideoFactory(status=Status.DRAFT)

    listed = api_client.get("/api/v1/videos/").json()
    detail = api_client.get(f"/api/v1/videos/{video.slug}/").json()

    assert [item["slug"] for item in listed["results"]] == [video.slug]
    assert "transcript" not in listed["results"][0]
    assert detail["transcript"] == "Every word."
    assert detail["embed_url"] == "https://player.example/1"
    assert detail["topics"][0]["slug"] == topic.slug
    assert detail["section"]["slug"] == video.section.slug


def test_hidden_video_detail_is_404(api_client):
    video = VideoFactory(status=Status.PUBLISHED, published_at=timezone.now() + IN_AN_HOUR)

    assert api_client.get(f"/api/v1/videos/{video.slug}/").status_code == 404


def test_video_list_queries_do_not_grow_with_rows(api_client, django_assert_max_num_queries):
    topics = TopicFactory.create_batch(3)
    for _ in range(20):
        VideoFactory(live=True, topics=topics, thumbnail=ImageFactory())

    with django_assert_max_num_queries(3):  # count, page, topics
        response = api_client.get("/api/v1/videos/")

    assert len(response.json()["results"]) == 20


def test_video_detail_queries_are_fixed(api_client, django_assert_max_num_queries):
    video = VideoFactory(live=True, topics=TopicFactory.create_batch(5), thumbnail=ImageFactory())

    with django_assert_max_num_queries(3):  # video with section and thumbnail, topics, corrections
        response = api_client.get(f"/api/v1/videos/{video.slug}/")

    assert response.status_code == 200


def test_authors_list_and_detail_with_their_latest_public_articles(
    api_client, settings, django_assert_max_num_queries
):
    author = AuthorFactory(name="Jane Doe", bio="Covers defence.")
    live = ArticleFactory(live=True, authors=[author], hero_image=ImageFactory())
    ArticleFactory(status=Status.DRAFT, authors=[author])

    listed = api_client.get("/api/v1/authors/").json()
    with django_assert_max_num_queries(3):  # author, articles; their cards, made once
        detail = api_client.get(f"/api/v1/authors/{author.slug}/").json()
    settings.RESPONSE_CACHE = False
    with django_assert_max_num_queries(2):  # the cards are kept
        assert api_client.get(f"/api/v1/authors/{author.slug}/").json() == detail

    assert listed["results"][0]["name"] == "Jane Doe"
    assert detail["bio"] == "Covers defence."
    assert [item["slug"] for item in detail["latest"]] == [live.slug]
    assert detail["latest"][0]["type"] == "article"


def test_kept_counts_follow_publishing_and_filters(api_client, settings, django_assert_max_num_queries):
    settings.RESPONSE_CACHE = False  # the count is kept even when whole responses are not
    topic = TopicFactory()
    ArticleFactory(live=True, topics=[topic])
    assert api_client.get("/api/v1/articles/").json()["count"] == 1
    with django_assert_max_num_queries(3):  # page, topics, authors: the count is kept
        api_client.get("/api/v1/articles/?page_size=5")

    ArticleFactory(live=True)
    draft = ArticleFactory(status=Status.DRAFT, topics=[topic])

    assert api_client.get("/api/v1/articles/").json()["count"] == 2
    assert api_client.get(f"/api/v1/articles/?topic={topic.slug}").json()["count"] == 1
    draft.status = Status.PUBLISHED
    draft.save()
    assert api_client.get(f"/api/v1/articles/?topic={topic.slug}").json()["count"] == 2
    assert len(api_client.get("/api/v1/articles/").json()["results"]) == 3
