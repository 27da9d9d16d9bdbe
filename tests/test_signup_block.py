"""The newsletter signup block of the article page ("Join Our Newsletter" on the seed page): the
article's own newsletter, else its section's default, only while active; a subscribe URL a
frontend can POST its form to; and kept true in the stored detail and the response cache."""

import pytest
from django.core import mail
from openapi_schema_validator import OAS31Validator

from .factories import ArticleFactory, NewsletterFactory, SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["response-cache", "no-response-cache"])
def response_cache(request, settings):
    """With the server-side response cache and without it (the stored rendering alone)."""
    settings.RESPONSE_CACHE = request.param
    return request.param


def detail(api_client, article, query="", **headers):
    response = api_client.get(f"/api/v1/articles/{article.slug}/?{query}", **headers)
    assert response.status_code == 200
    return response.json()


def block(api_client, article, **headers):
    return detail(api_client, article, **headers)["newsletter"]


# --- Which newsletter ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("own", "default", "shown"),
    [
        ("active", "active", "own"),
        ("active", None, "own"),
        (None, "active", "default"),
        ("inactive", "active", "default"),
        ("inactive", None, None),
        (None, "inactive", None),
        ("inactive", "inactive", None),
        (None, None, None),
    ],
)
def test_article_promotes_its_own_active_newsletter_else_its_sections(api_client, own, default, shown):
    newsletters = {
        "own": own and NewsletterFactory(slug="own", is_active=own == "active"),
        "default": default and NewsletterFactory(slug="default", is_active=default == "active"),
    }
    section = SectionFactory(newsletter=newsletters["default"])
    article = ArticleFactory(live=True, section=section, newsletter=newsletters["own"])

    found = block(api_client, article)

    assert (found and found["slug"]) == (shown and newsletters[shown].slug)


def test_block_describes_the_newsletter_and_where_to_sign_up(api_client):
    newsletter = NewsletterFactory(
        slug="the-daily-briefing",
        name="The Daily Briefing",
        description="The day's most important stories.",
        frequency="daily",
    )
    article = ArticleFactory(live=True, newsletter=newsletter)

    assert block(api_client, article) == {
        "id": newsletter.pk,
        "slug": "the-daily-briefing",
        "name": "The Daily Briefing",
        "description": "The day's most important stories.",
        "frequency": "daily",
        "subscribe_url": "http://testserver/api/v1/newsletters/the-daily-briefing/subscriptions/",
    }


def test_subscribe_url_is_absolute_for_the_host_of_each_request(api_client, settings, response_cache):
    settings.ALLOWED_HOSTS = ["api.example.com", "testserver"]
    article = ArticleFactory(live=True, newsletter=NewsletterFactory(slug="daily"))

    here = block(api_client, article)["subscribe_url"]
    there = block(api_client, article, HTTP_HOST="api.example.com")["subscribe_url"]
    secure = block(api_client, article, HTTP_HOST="api.example.com", secure=True)["subscribe_url"]

    assert here == "http://testserver/api/v1/newsletters/daily/subscriptions/"
    assert there == "http://api.example.com/api/v1/newsletters/daily/subscriptions/"
    assert secure == "https://api.example.com/api/v1/newsletters/daily/subscriptions/"


def test_posting_the_form_to_the_subscribe_url_starts_the_double_opt_in(api_client):
    article = ArticleFactory(live=True, section=SectionFactory(newsletter=NewsletterFactory()))
    url = block(api_client, article)["subscribe_url"]

    response = api_client.post(
        url, {"email": "reader@example.com", "source": "article-footer"}, format="json"
    )

    assert response.status_code == 202
    assert [message.to for message in mail.outbox] == [["reader@example.com"]]


# --- Where it is shown ---------------------------------------------------------------------------
def test_block_is_in_the_detail_not_in_list_items(api_client):
    article = ArticleFactory(live=True, newsletter=NewsletterFactory())

    item = api_client.get("/api/v1/articles/").json()["results"][0]
    chosen = api_client.get("/api/v1/articles/?fields=slug,newsletter")

    assert "newsletter" not in item
    assert chosen.status_code == 400
    assert chosen.json()["errors"][0]["parameter"] == "fields"
    assert detail(api_client, article, "fields=slug,newsletter") == {
        "slug": article.slug,
        "newsletter": block(api_client, article),
    }


@pytest.mark.parametrize("promoted", [True, False], ids=["a-newsletter", "none"])
def test_detail_matches_its_schema_with_and_without_a_block(api_client, promoted):
    article = ArticleFactory(live=True, newsletter=NewsletterFactory() if promoted else None)
    schema = api_client.get("/api/schema/?format=json").json()
    validator = OAS31Validator(
        {"$ref": "#/components/schemas/ArticleDetail", "components": schema["components"]}
    )

    stored = detail(api_client, article)
    built = detail(api_client, article, f"fields={','.join(stored)}")  # ?fields= takes the general path

    validator.validate(stored)
    validator.validate(built)
    assert stored == built


def test_schema_documents_the_block(api_client):
    schemas = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]

    field = schemas["ArticleDetail"]["properties"]["newsletter"]
    assert "section's default" in field["description"]
    assert "newsletter" not in schemas["ArticleList"]["properties"]
    block_schema = schemas["SignupBlock"]
    assert set(block_schema["properties"]) == {
        "id",
        "slug",
        "name",
        "description",
        "frequency",
        "subscribe_url",
    }
    assert all(prop.get("description") for prop in block_schema["properties"].values())
    assert block_schema["properties"]["subscribe_url"]["format"] == "uri"


# --- Kept true -------------------------------------------------------------------------------------
def test_detail_queries_stay_fixed_with_a_block(api_client, django_assert_max_num_queries):
    section = SectionFactory(newsletter=NewsletterFactory())
    article = ArticleFactory(live=True, section=section, newsletter=NewsletterFactory(is_active=False))

    # The stored row, the article (with its newsletter and the section's, joined), topics, authors,
    # related, the next scheduled transition and storing the rendering; then the stored row alone.
    with django_assert_max_num_queries(7):
        first = detail(api_client, article, "utm=first")
    with django_assert_max_num_queries(1):
        again = detail(api_client, article, "utm=again")
    with django_assert_max_num_queries(4):  # built per request: article, topics, authors, related
        chosen = detail(api_client, article, "fields=newsletter")

    assert first["newsletter"]["id"] == section.newsletter_id
    assert again == first
    assert chosen == {"newsletter": first["newsletter"]}


def test_detail_names_the_newsletters_it_may_show(api_client):
    own, default = NewsletterFactory(is_active=False), NewsletterFactory()
    article = ArticleFactory(live=True, section=SectionFactory(newsletter=default), newsletter=own)

    keys = set(api_client.get(f"/api/v1/articles/{article.slug}/")["Surrogate-Key"].split())

    # The hidden one too: activating it changes the response.
    assert {f"newsletter-{own.pk}", f"newsletter-{default.pk}"} <= keys


def _rename(article, newsletters):
    newsletters["own"].name = "Renamed"
    newsletters["own"].save()


def _deactivate_own(article, newsletters):
    newsletters["own"].is_active = False
    newsletters["own"].save()


def _activate_hidden(article, newsletters):
    newsletters["hidden"].is_active = True
    newsletters["hidden"].save()


def _delete_own(article, newsletters):
    newsletters["own"].delete()


def _clear_own(article, newsletters):
    article.newsletter = None
    article.save()


def _change_section_default(article, newsletters):
    article.section.newsletter = newsletters["other"]
    article.section.save()


def _deactivate_section_default(article, newsletters):
    newsletters["default"].is_active = False
    newsletters["default"].save()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_rename, ("own", "Renamed")),
        (_deactivate_own, ("default", "Default")),
        (_delete_own, ("default", "Default")),
        (_clear_own, ("default", "Default")),
        (_change_section_default, ("own", "Own")),  # the article's own still wins
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_every_change_to_the_articles_newsletter_reaches_its_detail(
    api_client, response_cache, change, expected
):
    newsletters = {
        "own": NewsletterFactory(slug="own", name="Own"),
        "default": NewsletterFactory(slug="default", name="Default"),
        "other": NewsletterFactory(slug="other", name="Other"),
        "hidden": NewsletterFactory(slug="hidden", name="Hidden", is_active=False),
    }
    article = ArticleFactory(
        live=True, newsletter=newsletters["own"], section=SectionFactory(newsletter=newsletters["default"])
    )
    assert block(api_client, article)["slug"] == "own"

    change(article, newsletters)

    after = detail(api_client, article)
    assert (after["newsletter"]["slug"], after["newsletter"]["name"]) == expected
    assert after == detail(api_client, article, f"fields={','.join(after)}")  # as built from the relations


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_change_section_default, "other"),
        (_deactivate_section_default, None),
        (_activate_hidden, "hidden"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_every_change_to_the_sections_default_reaches_its_articles(
    api_client, response_cache, change, expected
):
    newsletters = {
        "default": NewsletterFactory(slug="default"),
        "other": NewsletterFactory(slug="other"),
        "hidden": NewsletterFactory(slug="hidden", is_active=False),
    }
    section = SectionFactory(newsletter=newsletters["default"])
    article = ArticleFactory(live=True, section=section, newsletter=newsletters["hidden"])
    sibling = ArticleFactory(live=True, section=section)
    before = [block(api_client, item) for item in (article, sibling)]
    assert [item["slug"] for item in before] == ["default", "default"]

    change(article, newsletters)

    after = block(api_client, article)
    assert (after and after["slug"]) == expected
    if change is not _activate_hidden:  # the sibling has no newsletter of its own
        assert block(api_client, sibling) == after
    stored = detail(api_client, article)
    assert stored == detail(api_client, article, f"fields={','.join(stored)}")  # as built from the relations
