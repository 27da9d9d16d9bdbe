"""Every error, wherever it comes from, is an RFC 9457 problem document."""

import pytest
from rest_framework.test import APIClient

from articles.views import ArticleViewSet

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"] and body["code"]
    return body


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=%C2%B2", "page"),
        ("page_size=%C2%B2", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
    ],
)
@pytest.mark.parametrize("resource", ["articles", "videos", "topics", "sections", "authors", "newsletters"])
def test_invalid_pagination_is_a_400_naming_the_parameter(api_client, resource, query, parameter):
    response = api_client.get(f"/api/v1/{resource}/?{query}")

    body = assert_problem(response, 400)
    assert body["code"] == "invalid"
    assert body["errors"][0]["parameter"] == parameter
    assert body["errors"][0]["detail"]


def test_page_past_the_end_is_a_404(api_client):
    ArticleFactory(live=True)

    body = assert_problem(api_client.get("/api/v1/articles/?page=2"), 404)

    assert "there are 1" in body["detail"]


def test_unknown_slug_is_a_404(api_client):
    assert_problem(api_client.get("/api/v1/articles/no-such-article/"), 404)


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_url_is_a_404_even_in_debug(api_client, settings, debug):
    settings.DEBUG = debug

    body = assert_problem(api_client.get("/api/v1/no-such-thing/"), 404)

    assert body["code"] == "not_found"


def test_unknown_url_outside_the_api_is_a_problem_too(client):
    assert_problem(client.get("/no-such-page/"), 404)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_the_read_api_are_405(api_client, method):
    article = ArticleFactory(live=True)

    assert_problem(getattr(api_client, method)("/api/v1/articles/", {}, format="json"), 405)
    assert_problem(getattr(api_client, method)(f"/api/v1/articles/{article.slug}/", {}, format="json"), 405)


def test_unacceptable_media_type_is_a_406(api_client):
    assert_problem(api_client.get("/api/v1/articles/", HTTP_ACCEPT="application/xml"), 406)


def test_unexpected_error_is_a_500_problem_without_internals(monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(ArticleViewSet, "list", broken)
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/articles/")

    body = assert_problem(response, 500)
    assert "hunter2" not in response.content.decode()
    assert body["code"] == "server_error"
