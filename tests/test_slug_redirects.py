import pytest
from django.urls import reverse

from articles.models import Article, SlugRedirect, Video
from cms.publishing import Status, unpublish

from .factories import ArticleFactory, TopicFactory, VideoFactory
from .test_history import save_in_admin  # edits an item as an editor does

pytestmark = pytest.mark.django_db


def rename(obj, slug):
    obj.slug = slug
    obj.save()


def test_old_article_slug_redirects_permanently_to_the_new_one_keeping_the_query(api_client):
    article = ArticleFactory(live=True, slug="troops-in-kursk")
    rename(article, "north-korean-troops-in-kursk")

    response = api_client.get("/api/v1/articles/troops-in-kursk/?utm_source=newsletter&x=1")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/articles/north-korean-troops-in-kursk/?utm_source=newsletter&x=1"
    assert api_client.get(response["Location"]).status_code == 200


def test_old_video_slug_redirects_to_the_new_one(api_client):
    video = VideoFactory(live=True, slug="f35")
    rename(video, "f-35b-lightnings-aboard-hms-prince-of-wales")

    response = api_client.get("/api/v1/videos/f35/")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/videos/f-35b-lightnings-aboard-hms-prince-of-wales/"


def test_a_slug_changed_in_the_admin_redirects(admin_client, api_client):
    article = ArticleFactory(live=True, slug="before")

    save_in_admin(admin_client, article, slug="after")

    assert api_client.get("/api/v1/articles/before/")["Location"] == "/api/v1/articles/after/"


def test_chains_of_renames_end_at_the_current_slug(api_client):
    article = ArticleFactory(live=True, slug="a")
    rename(article, "b")
    rename(article, "c")

    assert api_client.get("/api/v1/articles/a/")["Location"] == "/api/v1/articles/c/"
    assert api_client.get("/api/v1/articles/b/")["Location"] == "/api/v1/articles/c/"
    assert api_client.get("/api/v1/articles/c/").status_code == 200


def test_renaming_back_to_an_old_slug_serves_it_again(api_client):
    article = ArticleFactory(live=True, slug="a")
    rename(article, "b")
    rename(article, "a")

    assert api_client.get("/api/v1/articles/a/").status_code == 200
    assert api_client.get("/api/v1/articles/b/")["Location"] == "/api/v1/articles/a/"


def test_redirect_to_an_item_that_is_not_public_is_a_404(api_client):
    article = ArticleFactory(live=True, slug="old")
    rename(article, "new")
    unpublish(queryset=Article.objects.filter(pk=article.pk))

    response = api_client.get("/api/v1/articles/old/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "Location" not in response
    assert "new" not in response.text


def test_draft_renamed_is_never_redirected_to(api_client):
    video = VideoFactory(status=Status.DRAFT, slug="secret-old")
    rename(video, "secret-new")

    assert api_client.get("/api/v1/videos/secret-old/").status_code == 404


def test_a_new_item_taking_an_old_slug_is_served_instead_of_the_redirect(api_client):
    first = ArticleFactory(live=True, slug="ceasefire")
    rename(first, "ceasefire-collapses")

    second = ArticleFactory(live=True, slug="ceasefire", headline="A new ceasefire")

    response = api_client.get("/api/v1/articles/ceasefire/")
    assert response.status_code == 200
    assert response.json()["id"] == second.pk
    assert not SlugRedirect.objects.filter(old_slug="ceasefire").exists()


def test_slugs_redirect_per_model(api_client):
    article = ArticleFactory(live=True, slug="shared")
    rename(article, "article-now")
    VideoFactory(live=True, slug="shared")

    assert api_client.get("/api/v1/articles/shared/")["Location"] == "/api/v1/articles/article-now/"
    assert api_client.get("/api/v1/videos/shared/").status_code == 200


def test_unknown_slug_is_still_a_404(api_client):
    assert api_client.get("/api/v1/articles/never-existed/").status_code == 404


def test_deleting_an_item_forgets_its_old_slugs(api_client):
    video = VideoFactory(live=True, slug="old")
    rename(video, "new")

    video.delete()

    assert not SlugRedirect.objects.exists()
    assert api_client.get("/api/v1/videos/old/").status_code == 404


def test_saving_without_a_slug_change_records_no_redirect():
    article = ArticleFactory(slug="same")
    article.headline = "Edited"
    article.save()
    Video.objects.filter(pk=VideoFactory().pk).update(title="x")

    assert not SlugRedirect.objects.exists()


def test_detail_queries_are_unchanged_on_the_normal_path(api_client, django_assert_num_queries):
    video = VideoFactory(live=True, topics=TopicFactory.create_batch(3))
    rename(video, "renamed")

    with django_assert_num_queries(3):  # video, topics, corrections: no redirect lookup
        response = api_client.get("/api/v1/videos/renamed/")

    assert response.status_code == 200


def test_the_redirect_is_documented_in_the_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    for resource in ["articles", "videos"]:
        moved = schema["paths"][f"/api/v1/{resource}/{{slug}}/"]["get"]["responses"]["301"]
        assert moved["description"]
        assert moved["headers"]["Location"]["description"]
    assert "301" not in schema["paths"]["/api/v1/articles/"]["get"]["responses"]


def test_admin_lists_slug_redirects(admin_client):
    article = ArticleFactory(slug="old-one")
    rename(article, "new-one")

    response = admin_client.get(reverse("admin:articles_slugredirect_changelist") + "?q=old-one")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "new-one" in response.text
