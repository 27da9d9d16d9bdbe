"""With the database down, the API says so (503 with Retry-After, in the error format) and
recovers by itself; readiness reports it, liveness does not depend on it."""

from contextlib import contextmanager

import pytest
from django.db import OperationalError
from django.db.backends import utils
from django.test import Client

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


@contextmanager
def database_down(monkeypatch):
    """Every query fails as when the server is gone (connection refused, restarting)."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    with monkeypatch.context() as patch:
        for wrapper in (utils.CursorWrapper, utils.CursorDebugWrapper):
            patch.setattr(wrapper, "execute", refuse)
            patch.setattr(wrapper, "executemany", refuse)
        yield


@pytest.fixture
def client():
    return Client(raise_request_exception=False)  # as a server answers: no test-client re-raise


URLS = [
    "/api/v1/articles/",
    "/api/v1/articles/kursk/",
    "/api/v1/topics/",
    "/api/v1/search/?q=kursk",
    "/api/v1/changes/",
    "/feeds/rss/",
    "/feeds/json/",
    "/sitemap.xml",
]


@pytest.mark.parametrize("url", URLS)
def test_with_the_database_down_reads_are_503_with_retry_after_then_recover(
    client, monkeypatch, settings, url
):
    settings.RESPONSE_CACHE = False
    ArticleFactory(live=True, slug="kursk")
    with database_down(monkeypatch):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "database_unavailable"
        assert response["Retry-After"] == "5"
        assert response["Cache-Control"] == "no-store"

    assert client.get(url).status_code == 200  # no restart needed


def test_readiness_reports_the_database_and_liveness_does_not_need_it(client, monkeypatch):
    assert client.get("/api/ready/").json() == {"status": "ok", "database": "ok", "cache": "ok"}
    with database_down(monkeypatch):
        ready = client.get("/api/ready/")
        assert ready.status_code == 503 and ready["Retry-After"] == "5"
        assert ready.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}
        assert client.get("/api/health/").json() == {"status": "ok"}
    assert client.get("/api/ready/").status_code == 200


def test_an_outage_is_logged_once_not_per_request(client, monkeypatch, settings, caplog):
    settings.RESPONSE_CACHE = False
    with database_down(monkeypatch), caplog.at_level("ERROR", logger="django.request"):
        for _ in range(5):
            assert client.get("/api/v1/articles/").status_code == 503
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert len(logged) == 1 and logged[0].exc_info
