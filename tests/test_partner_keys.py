"""API keys for partners (partners/): made in the admin, stored hashed, scoped, acting with their
owner's role; quotas per key and per anonymous client with the IETF RateLimit fields."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from partners.models import APIKey
from partners.scopes import Scope

from .factories import ArticleFactory, VideoFactory
from .test_cache_faults import _fresh_breaker, own_redis, refused, use_redis  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"


def make_key(owner, *scopes, **fields) -> tuple[APIKey, str]:
    return APIKey.objects.create_key(name="wire", owner=owner, scopes=list(scopes), **fields)


def keyed(key: str, **extra) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def figures(response) -> dict[str, int]:
    """The parameters of the RateLimit field: {"r": remaining, "t": seconds to reset}."""
    return {name: int(value) for name, value in re.findall(r";(\w+)=(\d+)", response["RateLimit"])}


# --- Keys in the admin ---------------------------------------------------------------------------
def test_a_key_made_in_the_admin_is_shown_once_and_stored_hashed(admin_client, reporter):
    response = admin_client.post(
        "/admin/partners/apikey/add/",
        {"name": "Wire ingest", "owner": reporter.pk, "scopes": [Scope.CONTENT_READ, Scope.PREVIEW_READ]},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    secret = re.search(r"is: (\S+)\. ", shown[0]).group(1)
    stored = APIKey.objects.get()
    assert stored.owner == reporter and stored.scopes == [Scope.CONTENT_READ, Scope.PREVIEW_READ]
    assert secret.startswith(stored.prefix + ".") and secret.split(".")[1] not in stored.hashed_key
    assert keyed(secret).get(ARTICLES).status_code == 200
    # Not shown again: the list and the change page show its prefix only.
    listing = admin_client.get("/admin/partners/apikey/").content.decode()
    assert stored.prefix in listing and secret not in listing
    assert secret not in admin_client.get(f"/admin/partners/apikey/{stored.pk}/change/").content.decode()


def test_a_key_rejects_unknown_scopes(admin_client, reporter):
    response = admin_client.post(
        "/admin/partners/apikey/add/", {"name": "x", "owner": reporter.pk, "scopes": ["content:everything"]}
    )
    assert response.status_code == 200 and not APIKey.objects.exists()  # the form again, with its error


# --- Who a key is --------------------------------------------------------------------------------
def test_a_key_reads_as_its_owner_and_its_answers_stay_private(reporter):
    ArticleFactory(live=True)
    api_key, key = make_key(reporter, Scope.CONTENT_READ)

    response = keyed(key).get(ARTICLES)

    assert response.status_code == 200 and response.json()["count"] == 1
    assert "private" in response["Cache-Control"]
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def _revoked(api_key, key):
    APIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    return key


def _owner(**fields):
    def spoil(api_key, key):
        type(api_key.owner).objects.filter(pk=api_key.owner.pk).update(**fields)
        return key

    return spoil


@pytest.mark.parametrize(
    "spoil",
    [
        _revoked,
        lambda api_key, key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # a wrong secret
        lambda api_key, key: "nothing.here",
        lambda api_key, key: "",
        _owner(is_active=False),
        _owner(is_staff=False),
    ],
    ids=["revoked", "wrong secret", "unknown", "empty", "owner deactivated", "owner no longer staff"],
)
def test_a_key_that_is_not_good_is_a_401_never_anonymous_access(reporter, spoil):
    api_key, key = make_key(reporter, Scope.CONTENT_READ)

    response = keyed(spoil(api_key, key)).get(ARTICLES)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'


def test_an_expired_key_stops_working_at_its_time(reporter, clock):  # noqa: F811
    _, key = make_key(reporter, Scope.CONTENT_READ, expiry_date=clock.now + timedelta(hours=1))
    assert keyed(key).get(ARTICLES).status_code == 200

    clock.advance(hours=1, seconds=1)

    response = keyed(key).get(ARTICLES)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


# --- Scopes and the owner's role -----------------------------------------------------------------
def test_a_key_without_content_read_cannot_read_the_api(reporter):
    _, key = make_key(reporter, Scope.PREVIEW_READ)

    response = keyed(key).get(ARTICLES)

    assert response.status_code == 403 and "content:read" in response.json()["detail"]


def test_a_route_that_takes_no_writes_answers_a_key_as_anyone(desk_editor):
    _, key = make_key(desk_editor, *Scope.values)
    response = keyed(key).post("/api/v1/newsletters/", {}, format="json")
    assert response.status_code == 405


@pytest.mark.parametrize("kind", ["articles", "videos"])
def test_drafts_are_read_with_preview_read_as_the_owner_may_in_the_admin(reporter, kind):
    factory = ArticleFactory if kind == "articles" else VideoFactory
    draft = factory(slug="ceasefire-talks")  # a draft: not in the public API
    url = f"/api/v1/drafts/{kind}/{draft.slug}/"
    assert APIClient().get(f"/api/v1/{kind}/{draft.slug}/").status_code == 404
    _, key = make_key(reporter, Scope.PREVIEW_READ)

    response = keyed(key).get(url)

    assert response.status_code == 200
    assert response.json()["slug"] == "ceasefire-talks" and response.json()["type"] == kind[:-1]
    assert response["Cache-Control"] == "private, no-store"


def test_drafts_need_the_scope_the_role_and_credentials(reporter, django_user_model):
    draft = ArticleFactory(slug="ceasefire-talks")
    url = f"/api/v1/drafts/articles/{draft.slug}/"
    _, reader = make_key(reporter, Scope.CONTENT_READ)
    nobody = django_user_model.objects.create_user("intern", is_staff=True)  # staff, in no role
    _, roleless = make_key(nobody, Scope.PREVIEW_READ)

    assert APIClient().get(url).status_code == 401
    refused_scope = keyed(reader).get(url)
    assert refused_scope.status_code == 403 and "preview:read" in refused_scope.json()["detail"]
    assert keyed(roleless).get(url).status_code == 403  # the key can never do more than its owner
    assert "ceasefire" not in keyed(roleless).get(url).content.decode()


def test_staff_signed_in_to_the_admin_read_drafts_without_a_key(reporter_client):
    draft = ArticleFactory(slug="ceasefire-talks")
    assert reporter_client.get(f"/api/v1/drafts/articles/{draft.slug}/").status_code == 200


# --- Quotas ---------------------------------------------------------------------------------------
def test_anonymous_clients_are_counted_only_when_a_view_answers(api_client, settings, clock):  # noqa: F811
    settings.ANONYMOUS_QUOTA = "3/minute"
    ArticleFactory(live=True)

    answers = [
        api_client.get(url) for url in (ARTICLES, ARTICLES, ARTICLES, "/api/v1/videos/", "/api/v1/topics/")
    ]
    refused_now = api_client.get("/api/v1/sections/")  # the fourth that a view answers

    assert [answer.get("X-Cache") for answer in answers] == ["MISS", "HIT", "HIT", "MISS", "MISS"]
    # Public answers carry no figures: neither another client's nor a sign of who was first.
    assert not [answer for answer in answers if "RateLimit" in answer or "RateLimit-Policy" in answer]
    assert refused_now.status_code == 429
    assert refused_now["Content-Type"] == "application/problem+json"
    assert refused_now["RateLimit-Policy"] == '"anonymous";q=3;w=60' and figures(refused_now)["r"] == 0
    assert 1 <= int(refused_now["Retry-After"]) == figures(refused_now)["t"] <= 60
    # Past it, answers kept from others' requests are refused too: a 200 among 429s would say
    # what someone else asked for.
    hit = api_client.get(ARTICLES)
    assert hit.status_code == 429 and hit["Content-Type"] == "application/problem+json"
    assert 1 <= int(hit["Retry-After"]) == figures(hit)["t"] <= 60 and figures(hit)["r"] == 0
    clock.advance(seconds=61)
    assert api_client.get("/api/v1/sections/").status_code == 200
    assert api_client.get(ARTICLES).status_code == 200


def test_refused_credentials_count_against_the_address(settings, clock):  # noqa: F811
    settings.ANONYMOUS_QUOTA = "3/minute"
    answers = [keyed(f"nothing.{n}").get(ARTICLES) for n in range(4)]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    assert APIClient().get(ARTICLES).status_code == 429  # the same address, anonymous
    clock.advance(seconds=61)
    assert APIClient().get(ARTICLES).status_code == 200


def test_a_keys_searches_have_a_limit_of_their_own(reporter, settings):
    settings.SEARCH_RATE_PER_CLIENT = "1/minute"
    _, first = make_key(reporter, Scope.CONTENT_READ)
    _, second = make_key(reporter, Scope.CONTENT_READ)
    assert keyed(first).get("/api/v1/search/?q=troops").status_code == 200
    assert keyed(first).get("/api/v1/search/?q=tanks").status_code == 429
    assert keyed(second).get("/api/v1/search/?q=tanks").status_code == 200  # same address, own limit


@pytest.mark.parametrize("rate", ["300/min", "300/m", "300/minute", "off"])
def test_quotas_are_written_as_drf_rates(api_client, settings, rate):
    settings.ANONYMOUS_QUOTA = rate
    assert api_client.get(ARTICLES).status_code == 200


def test_a_key_after_a_tab_is_still_a_key(reporter):
    _, key = make_key(reporter, Scope.CONTENT_READ)
    client = APIClient(HTTP_AUTHORIZATION=f"Api-Key\t{key}")
    assert client.get(ARTICLES).status_code == 200
    assert APIClient(HTTP_AUTHORIZATION="Api-Key\tnothing.here").get(ARTICLES).status_code == 401


def test_each_key_has_its_own_quota_and_may_have_its_own_size(reporter, settings, clock):  # noqa: F811
    settings.API_KEY_QUOTA = "1000/minute"
    settings.ANONYMOUS_QUOTA = "1/minute"
    _, small = make_key(reporter, Scope.CONTENT_READ, quota=2)
    _, large = make_key(reporter, Scope.CONTENT_READ)

    answers = [keyed(small).get(ARTICLES) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[0]["RateLimit-Policy"] == '"key";q=2;w=60'
    assert [figures(answer)["r"] for answer in answers] == [1, 0, 0]
    assert figures(keyed(large).get(ARTICLES)) == {"r": 999, "t": figures(answers[0])["t"]}
    assert APIClient().get(ARTICLES).status_code == 200  # anonymous: a quota of its own


def test_staff_in_the_admin_have_no_quota(reporter_client, settings):
    settings.ANONYMOUS_QUOTA = "1/minute"
    answers = [reporter_client.get(ARTICLES) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {200}


def test_browsers_may_read_the_figures(reporter, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://www.example.com"]
    _, key = make_key(reporter, Scope.CONTENT_READ)
    response = keyed(key).get(ARTICLES, HTTP_ORIGIN="https://www.example.com")
    assert figures(response)["r"] >= 0
    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"ratelimit", "ratelimit-policy", "retry-after"} <= exposed


def test_a_cache_that_cannot_count_lets_clients_through(refused, reporter, settings):  # noqa: F811
    settings.ANONYMOUS_QUOTA = settings.API_KEY_QUOTA = "1/minute"
    _, key = make_key(reporter, Scope.CONTENT_READ)
    answers = [client.get(ARTICLES) for client in (APIClient(), keyed(key)) for _ in range(3)]
    assert {answer.status_code for answer in answers} == {200}
    assert "RateLimit" not in answers[-1]


# --- The schema ----------------------------------------------------------------------------------
def test_the_schema_names_the_key_the_session_and_each_operations_scope(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        **schemes["ApiKey"],
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
    }
    assert "cookieAuth" in schemes
    public = schema["paths"]["/api/v1/articles/"]["get"]["security"]
    assert {} in public and {"ApiKey": ["content:read"]} in public
    drafts = schema["paths"]["/api/v1/drafts/articles/{slug}/"]["get"]["security"]
    assert {"ApiKey": ["preview:read"]} in drafts and {} not in drafts


def test_keys_are_revoked_from_the_list_for_good(admin_client, reporter):
    api_key, key = make_key(reporter, Scope.CONTENT_READ)

    admin_client.post(
        "/admin/partners/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True
    )

    assert keyed(key).get(ARTICLES).status_code == 401
    api_key = APIKey.objects.get(pk=api_key.pk)
    api_key.revoked = False
    with pytest.raises(ValidationError):
        api_key.save()


def test_only_a_superuser_makes_keys_that_act_as_someone_else(desk_editor, editor):
    desk_editor.user_permissions.add(*Permission.objects.filter(content_type__app_label="partners"))
    client = Client()
    client.force_login(desk_editor)

    client.post(
        "/admin/partners/apikey/add/", {"name": "mine", "owner": editor.pk, "scopes": ["content:read"]}
    )
    client.post(
        "/admin/partners/apikey/add/", {"name": "mine", "owner": desk_editor.pk, "scopes": ["content:read"]}
    )

    assert list(APIKey.objects.values_list("owner", flat=True)) == [desk_editor.pk]


def test_a_keys_owner_cannot_change_and_its_quota_is_at_least_one(admin_client, reporter, desk_editor):
    api_key, key = make_key(reporter, Scope.CONTENT_READ)
    url = f"/admin/partners/apikey/{api_key.pk}/change/"

    admin_client.post(url, {"name": "wire", "owner": desk_editor.pk, "scopes": ["content:read"]})
    zero = admin_client.post("/admin/partners/apikey/add/", {"name": "z", "owner": reporter.pk, "quota": 0})

    assert APIKey.objects.get(pk=api_key.pk).owner == reporter
    assert zero.status_code == 200 and APIKey.objects.count() == 1  # the form again, with its error


def test_a_key_polling_gets_304s_for_what_it_has(reporter):
    ArticleFactory(live=True)
    _, key = make_key(reporter, Scope.CONTENT_READ)
    first = keyed(key).get(ARTICLES)

    again = keyed(key).get(ARTICLES, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["ETag"] and "private" in first["Cache-Control"]
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    ArticleFactory(live=True)
    assert keyed(key).get(ARTICLES, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_health_checks_are_answered_past_the_quota(api_client, settings):
    settings.ANONYMOUS_QUOTA = "1/minute"
    api_client.get(ARTICLES)
    assert api_client.get("/api/v1/videos/").status_code == 429
    assert api_client.get("/api/health/").status_code == 200


def test_quotas_count_in_redis_as_in_memory(own_redis, settings, clock):  # noqa: F811
    use_redis(settings, own_redis)
    settings.ANONYMOUS_QUOTA = "2/minute"
    ArticleFactory(live=True)
    urls = ["/api/v1/videos/", "/api/v1/topics/", "/api/v1/sections/"]

    assert [APIClient().get(url).status_code for url in urls] == [200, 200, 429]
    assert APIClient().get(ARTICLES).status_code == 429  # past it: everything, hits too
    clock.advance(seconds=61)
    assert APIClient().get(ARTICLES).status_code == 200


def test_large_anonymous_quotas_are_counted_in_batches_and_still_refuse(api_client, settings, clock):  # noqa: F811
    settings.ANONYMOUS_QUOTA = "64/minute"  # batches of 2: a shared count every other request
    statuses = [api_client.get(f"/api/v1/articles/?page={n}").status_code for n in range(1, 70)]
    assert statuses.count(404) + statuses.count(200) == 64 and statuses[64:] == [429] * 5
