from datetime import timedelta

import pytest
from django.utils import timezone

from cms.publishing import Status

from .factories import ArticleFactory, ImageFactory, SectionFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db


def test_topics_list_hides_inactive_topics(api_client):
    parent = TopicFactory(name="Europe")
    TopicFactory(name="Ukraine", parent=parent)
    TopicFactory(name="Retired", is_active=False)

    results = api_client.get("/api/v1/topics/").json()["results"]

    assert [topic["name"] for topic in results] == ["Europe", "Ukraine"]
    assert results[1]["parent"] == {"id": parent.pk, "slug": parent.slug, "name": "Europe"}


def test_inactive_topic_detail_is_404(api_client):
    topic = TopicFactory(is_active=False)

    assert api_client.get(f"/api/v1/topics/{topic.slug}/").status_code == 404


def test_topic_page_lists_latest_public_articles_and_videos(api_client):
    topic = TopicFactory()
    now = timezone.now()
    old_article = ArticleFactory(live=True, topics=[topic], published_at=now - timedelta(days=3))
    video = VideoFactory(live=True, topics=[topic], published_at=now - timedelta(days=1))
    new_article = ArticleFactory(live=True, topics=[topic], published_at=now - timedelta(hours=1))
    ArticleFactory(status=Status.DRAFT, topics=[topic])
    ArticleFactory(status=Status.PUBLISHED, published_at=now + timedelta(hours=1), topics=[topic])
    VideoFactory(status=Status.ARCHIVED, published_at=now - timedelta(days=2), topics=[topic])
    ArticleFactory(live=True)  # not on the topic

    latest = api_client.get(f"/api/v1/topics/{topic.slug}/").json()["latest"]

    assert [(item["type"], item["slug"]) for item in latest] == [
        ("article", new_article.slug),
        ("video", video.slug),
        ("article", old_article.slug),
    ]


def test_topic_page_queries_are_fixed(api_client, settings, django_assert_max_num_queries):
    topic = TopicFactory(parent=TopicFactory())
    for _ in range(8):
        ArticleFactory(live=True, topics=[topic], hero_image=ImageFactory())
        VideoFactory(live=True, topics=[topic], thumbnail=ImageFactory())

    with django_assert_max_num_queries(5):  # topic with parent, articles, videos; their cards, made once
        latest = api_client.get(f"/api/v1/topics/{topic.slug}/").json()["latest"]
    settings.RESPONSE_CACHE = False
    with django_assert_max_num_queries(3):  # the cards are kept
        assert api_client.get(f"/api/v1/topics/{topic.slug}/").json()["latest"] == latest

    assert len(latest) == 12


def test_topic_list_queries_are_fixed(api_client, django_assert_max_num_queries):
    parent = TopicFactory()
    TopicFactory.create_batch(15, parent=parent)

    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/topics/")

    assert response.json()["count"] == 16


def test_sections_in_navigation_order(api_client):
    SectionFactory(name="Sport", slug="sport", position=2)
    SectionFactory(name="News", slug="news", position=1)

    results = api_client.get("/api/v1/sections/").json()["results"]

    assert [section["slug"] for section in results] == ["news", "sport"]
    assert set(results[0]) == {"id", "slug", "name", "description", "position"}


def test_section_page_lists_latest_public_content(api_client, settings, django_assert_max_num_queries):
    section = SectionFactory()
    article = ArticleFactory(live=True, section=section)
    video = VideoFactory(live=True, section=section, published_at=timezone.now() - timedelta(days=1))
    ArticleFactory(status=Status.DRAFT, section=section)

    with django_assert_max_num_queries(5):  # section, articles, videos; their cards, made once
        data = api_client.get(f"/api/v1/sections/{section.slug}/").json()
    settings.RESPONSE_CACHE = False
    with django_assert_max_num_queries(3):  # the cards are kept
        assert api_client.get(f"/api/v1/sections/{section.slug}/").json() == data

    assert [item["slug"] for item in data["latest"]] == [article.slug, video.slug]


def test_unknown_section_is_404(api_client):
    response = api_client.get("/api/v1/sections/nope/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
