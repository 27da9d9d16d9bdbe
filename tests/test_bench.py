"""The benchmark's data generator (bench/dataset.py) at a tiny scale, and the health check that the
benchmark measures everything against. The load benchmark itself (wrk) is not run here."""

import pytest

from articles.models import Article, RelatedContent, Video
from bench import dataset
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated():
    return dataset.generate(articles=30, videos=6, topics=8, seed=7)


def test_generator_writes_the_requested_numbers_of_rows(generated):
    assert generated == {
        "sections": len(dataset.SECTIONS),
        "topics": 8,
        "authors": 3,
        "images": 6 + 30 * 85 // 100,  # a thumbnail per video, a hero image for most articles
        "videos": 6,
        "articles": 30,
        "related items": RelatedContent.objects.count(),
        "live posts": 0,  # dataset.live_page() makes them
    }
    assert generated["related items"] > 0
    assert Article.objects.filter(topics__isnull=True).count() == 0  # 1 to 5 topics each
    assert Article.objects.filter(authors__isnull=True).count() == 0


def test_generated_rows_are_what_saving_them_would_store(generated):
    # bulk_create skips save(): the generator derives body blocks and text as save() does.
    for article in Article.objects.order_by("pk")[:5]:
        stored = (article.body_html, article.body, article.body_text, article.search_vector)
        article.save()
        article.refresh_from_db()
        assert (article.body_html, article.body, article.body_text, article.search_vector) == stored
        assert len(article.body) >= 10
    video = Video.objects.first()
    stored = video.search_vector
    video.save()
    video.refresh_from_db()
    assert video.search_vector == stored


def test_generated_data_mixes_live_and_hidden_items(generated):
    live = Article.objects.published().count()
    assert 20 <= live < 30  # mostly published, some drafts, scheduled, expired or archived
    assert Video.objects.published().exists()


def test_generated_articles_are_served_by_the_api(generated, api_client):
    listed = api_client.get("/api/v1/articles/?page_size=100")
    public_videos = Video.objects.published()
    article = (
        Article.objects.published()
        .filter(lead_video__in=public_videos, related_items__isnull=False)
        .distinct()
        .first()
    )

    detail = api_client.get(f"/api/v1/articles/{article.slug}/")

    assert listed.status_code == 200
    assert listed.json()["count"] == Article.objects.published().count()
    assert detail.status_code == 200
    body = detail.json()
    assert body["lead_video"]["slug"] == article.lead_video.slug
    assert body["topics"] and body["authors"] and body["body"]


def test_the_live_page_has_its_posts_served_and_wiped(generated, api_client):
    page = dataset.live_page(seed=7)

    assert dataset.live_page(seed=7).pk == page.pk  # made once
    posts = api_client.get(f"/api/v1/articles/{page.slug}/posts/").json()
    assert len(posts["results"]) == 20 and posts["since"] == str(dataset.LIVE_POSTS)
    poll = api_client.get(f"/api/v1/articles/{page.slug}/posts/", {"since": dataset.LIVE_POSTS - 1}).json()
    assert [post["id"] for post in poll["results"]] == [posts["results"][0]["id"]]
    dataset.wipe()
    assert dataset.existing()["live posts"] == 0


def test_hidden_generated_articles_stay_hidden(generated, api_client):
    hidden = Article.objects.exclude(pk__in=Article.objects.published())

    for article in hidden:
        assert api_client.get(f"/api/v1/articles/{article.slug}/").status_code == 404


def test_wipe_removes_only_generated_rows(generated):
    edited = ArticleFactory(live=True)

    dataset.wipe()

    assert set(dataset.existing().values()) == {0}
    assert list(Article.objects.all()) == [edited]


def test_health_check_answers_a_constant_body_without_queries(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]  # load balancers must reach the process
    assert response["X-Content-Type-Options"] == "nosniff"  # the whole middleware stack ran


def test_health_check_is_left_out_of_the_api_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    assert "/api/health/" not in schema["paths"]
