import pytest

from .factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def test_list_shows_active_newsletters(api_client, django_assert_max_num_queries):
    NewsletterFactory(name="Morning Briefing", frequency="daily", description="The day's news at 7am.")
    NewsletterFactory(name="Old", is_active=False)

    with django_assert_max_num_queries(2):
        results = api_client.get("/api/v1/newsletters/").json()["results"]

    assert results == [
        {
            "id": results[0]["id"],
            "slug": results[0]["slug"],
            "name": "Morning Briefing",
            "description": "The day's news at 7am.",
            "frequency": "daily",
        }
    ]


def test_detail_by_slug(api_client):
    newsletter = NewsletterFactory()

    response = api_client.get(f"/api/v1/newsletters/{newsletter.slug}/")

    assert response.status_code == 200
    assert response.json()["name"] == newsletter.name


def test_inactive_newsletter_is_404(api_client):
    newsletter = NewsletterFactory(is_active=False)

    assert api_client.get(f"/api/v1/newsletters/{newsletter.slug}/").status_code == 404
