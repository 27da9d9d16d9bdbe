"""Every error, wherever it comes from, is an RFC 9457 problem document."""

import pytest
from django.test import Client
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.test import APIClient

from articles.views import ArticleViewSet

from .factories import ArticleFactory, AuthorFactory, SectionFactory, TopicFactory, VideoFactory

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
        # One spelling per number: another would be a cache entry of its own.
        ("page=01", "page"),
        ("page=%2B1", "page"),
        ("page_size=020", "page_size"),
        ("page=" + "9" * 5000, "page"),  # past Python's int conversion limit
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
@pytest.mark.parametrize("url", ["/api/v1/changes/", "/api/v1/search/"])
def test_writes_where_the_api_takes_none_are_405(api_client, method, url):
    assert_problem(getattr(api_client, method)(url, {}, format="json"), 405)


@pytest.mark.parametrize("method, url", [("put", "/api/v1/articles/"), ("post", "/api/v1/articles/x/")])
def test_a_method_a_write_route_does_not_take_is_405(api_client, method, url):
    assert_problem(getattr(api_client, method)(url, {}, format="json"), 405)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("kind", ["articles", "videos", "authors", "topics", "sections"])
def test_anonymous_writes_are_401(api_client, method, kind):
    slug = {
        "articles": lambda: ArticleFactory(live=True).slug,
        "videos": lambda: VideoFactory(live=True).slug,
        "authors": lambda: AuthorFactory().slug,
        "topics": lambda: TopicFactory().slug,
        "sections": lambda: SectionFactory().slug,
    }[kind]()
    url = f"/api/v1/{kind}/" if method == "post" else f"/api/v1/{kind}/{slug}/"
    assert_problem(getattr(api_client, method)(url, {}, format="json"), 401)


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


# --- Hostile input: never a 500, never HTML under /api/ ---------------------------------------
DETAILS = ["articles", "videos", "topics", "sections", "authors", "newsletters"]


@pytest.mark.parametrize("character", ["%00", "%01", "%0A", "%1B", "%7F"])
@pytest.mark.parametrize("resource", DETAILS)
def test_a_control_character_in_a_url_path_is_a_404(api_client, resource, character):
    body = assert_problem(api_client.get(f"/api/v1/{resource}/a{character}b/"), 404)
    assert "control character" in body["detail"]


@pytest.mark.parametrize("query", ["topic=%00", "q=kursk%00", "section=news%1B", "cursor=%00abc"])
def test_a_control_character_in_a_query_parameter_is_a_400_naming_it(api_client, query):
    body = assert_problem(api_client.get(f"/api/v1/articles/?{query}"), 400)
    assert body["errors"] == [
        {"detail": "Must not hold control characters.", "parameter": query.split("=")[0]}
    ]
    assert_problem(api_client.get(f"/feeds/rss/?{query}"), 400)


def test_a_json_body_nested_too_deeply_is_a_400(api_client):
    deep = "[" * 5000 + "]" * 5000
    response = api_client.post(
        "/api/v1/newsletters/anything/subscriptions/", data=deep, content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert "nested too deeply" in body["detail"]


@pytest.fixture
def strict_client():
    return APIClient(enforce_csrf_checks=True)  # as a browser or a partner without a token is


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/no-such-thing/", 404),
        ("/api/v1/newsletters/anything/subscriptions", 404),  # without its slash
        ("/api/v1/", 405),
        ("/api/health/", 405),
        ("/api/schema/", 405),
        ("/api/docs/", 405),
        ("/api/redoc/", 405),
    ],
)
def test_writes_to_read_only_api_urls_are_problems_not_csrf_pages(strict_client, method, url, status):
    response = getattr(strict_client, method)(url, data="{}", content_type="application/json")
    assert_problem(response, status)
    if status == 405:
        assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("url", ["/api/v1/", "/api/health/", "/api/schema/", "/api/docs/", "/api/redoc/"])
def test_options_on_the_plain_api_urls_says_what_they_allow(strict_client, url):
    response = strict_client.options(url)
    assert response.status_code in (200, 204)
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("version", ["1.0\r\nX-Injected: yes", 'x"; filename="evil', "a" * 33])
def test_an_odd_schema_version_is_a_400_not_a_header(api_client, version):
    response = api_client.get("/api/schema/", {"version": version})
    body = assert_problem(response, 400)
    assert "X-Injected" not in response and "evil" not in response.get("Content-Disposition", "")
    assert body["errors"][0]["parameter"] == "version"


def test_a_csrf_failure_outside_the_api_is_still_django_s_page():
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")


def test_the_browsable_api_of_debug_mode_labels_its_error_pages_as_html(api_client, monkeypatch):
    # make serve turns DEBUG and DRF's browsable API on: a browser asking for HTML gets the
    # problem as a page, labelled as what it is.
    renderers = [*ArticleViewSet.renderer_classes, BrowsableAPIRenderer]
    monkeypatch.setattr(ArticleViewSet, "renderer_classes", renderers)

    page = api_client.get("/api/v1/articles/no-such-article/", HTTP_ACCEPT="text/html")
    data = api_client.get("/api/v1/articles/no-such-article/")

    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert page.content.lstrip().lower().startswith(b"<!doctype html")
    assert_problem(data, 404)
