import pytest

pytestmark = pytest.mark.django_db

FRONTEND = "https://www.example-news.com"


def test_allowed_frontend_origin_may_read_the_api(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]

    response = api_client.get("/api/v1/articles/", HTTP_ORIGIN=FRONTEND)

    assert response["Access-Control-Allow-Origin"] == FRONTEND


def test_other_origins_get_no_cors_headers(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]

    response = api_client.get("/api/v1/articles/", HTTP_ORIGIN="https://evil.example")

    assert "Access-Control-Allow-Origin" not in response


def test_preflight_is_answered_for_allowed_origins(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]

    response = api_client.options(
        "/api/v1/articles/", HTTP_ORIGIN=FRONTEND, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )

    assert response.status_code == 200
    assert "GET" in response["Access-Control-Allow-Methods"]
