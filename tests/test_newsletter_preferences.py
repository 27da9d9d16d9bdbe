from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from newsletters import links, tokens
from newsletters.models import Delivery, Edition, Erasure, Subscriber, Subscription

from .factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription():
    return SubscriptionFactory(
        confirmed=True,
        subscriber__email="ann@example.com",
        subscriber__name="Ann",
        newsletter__name="Morning Briefing",
        newsletter__slug="morning-briefing",
    )


def path(url: str) -> str:
    return urlsplit(url).path


def unsubscribe_path(subscription) -> str:
    return path(links.list_headers(subscription)["List-Unsubscribe"].strip("<>"))


def manage_token(subscriber) -> str:
    return tokens.manage_token(subscriber)


def status_of(subscription) -> str:
    subscription.refresh_from_db()
    return subscription.status


def assert_private(response):
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex"
    assert not response.has_header("ETag") and not response.has_header("Surrogate-Key")


# --- One-click unsubscribe (RFC 8058) ----------------------------------------------------------
def test_one_click_unsubscribe_needs_no_cookie_nor_csrf_token(subscription):
    mail_provider = Client(enforce_csrf_checks=True)

    response = mail_provider.post(
        unsubscribe_path(subscription),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert status_of(subscription) == Subscription.Status.UNSUBSCRIBED
    assert_private(response)
    assert not response.cookies


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"List-Unsubscribe": "One-Click"}, None),  # multipart, the test client's default
        ("", "text/plain"),
        ("--broken-multipart", "multipart/form-data; boundary=x"),
    ],
)
def test_one_click_unsubscribe_accepts_any_body(subscription, body, content_type):
    client = Client(enforce_csrf_checks=True)
    kwargs = {"content_type": content_type} if content_type else {}

    response = client.post(unsubscribe_path(subscription), body, **kwargs)

    assert response.status_code == 200
    assert status_of(subscription) == Subscription.Status.UNSUBSCRIBED


def test_unsubscribe_page_get_only_shows_a_button(client, subscription):
    response = client.get(unsubscribe_path(subscription))

    assert response.status_code == 200
    assert b"Unsubscribe from Morning Briefing" in response.content and b'method="post"' in response.content
    assert status_of(subscription) == Subscription.Status.CONFIRMED
    assert_private(response)


def test_unsubscribe_touches_only_that_newsletter(client, subscription):
    other = SubscriptionFactory(subscriber=subscription.subscriber, confirmed=True)

    client.post(unsubscribe_path(subscription))

    assert status_of(subscription) == Subscription.Status.UNSUBSCRIBED
    assert status_of(other) == Subscription.Status.CONFIRMED


def test_unsubscribe_api_for_frontends(api_client, subscription):
    token = unsubscribe_path(subscription).split("/")[-2]

    response = api_client.post(f"/api/v1/subscriptions/unsubscribe/{token}/")
    again = api_client.post(f"/api/v1/subscriptions/unsubscribe/{token}/")

    expected = {
        "status": "unsubscribed",
        "newsletter": {"slug": "morning-briefing", "name": "Morning Briefing"},
    }
    assert (response.status_code, response.json()) == (200, expected)
    assert (again.status_code, again.json()) == (200, expected)
    assert status_of(subscription) == Subscription.Status.UNSUBSCRIBED
    assert_private(response)


def test_unsubscribe_with_a_confirmation_token_is_404(client, api_client, subscription):
    token = tokens.confirm_token(subscription)

    assert client.post(f"/newsletters/unsubscribe/{token}/").status_code == 404
    assert api_client.post(f"/api/v1/subscriptions/unsubscribe/{token}/").status_code == 404
    assert status_of(subscription) == Subscription.Status.CONFIRMED


# --- Preferences through the API ---------------------------------------------------------------
def test_manage_get_lists_subscriptions_and_choices_without_the_address(
    api_client, subscription, django_assert_max_num_queries
):
    NewsletterFactory(name="Weekly Digest", slug="weekly-digest", frequency="weekly")
    NewsletterFactory(name="Hidden", is_active=False)
    token = manage_token(subscription.subscriber)

    with django_assert_max_num_queries(3):  # subscriber, subscriptions with newsletters, choices
        response = api_client.get(f"/api/v1/subscriptions/{token}/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Ann"
    assert body["subscriptions"] == [
        {"newsletter": {"slug": "morning-briefing", "name": "Morning Briefing"}, "status": "confirmed"}
    ]
    assert [n["slug"] for n in body["newsletters"]] == ["morning-briefing", "weekly-digest"]
    assert set(body["newsletters"][0]) == {"id", "slug", "name", "description", "frequency"}
    assert b"ann@example.com" not in response.content
    assert_private(response)


def test_manage_put_sets_preferences_and_the_next_get_shows_them(api_client, subscription):
    NewsletterFactory(name="Weekly Digest", slug="weekly-digest")
    url = f"/api/v1/subscriptions/{manage_token(subscription.subscriber)}/"
    before = api_client.get(url)

    response = api_client.put(url, {"newsletters": ["weekly-digest"]}, format="json")
    after = api_client.get(url)

    expected = [
        {"newsletter": {"slug": "morning-briefing", "name": "Morning Briefing"}, "status": "unsubscribed"},
        {"newsletter": {"slug": "weekly-digest", "name": "Weekly Digest"}, "status": "confirmed"},
    ]
    assert response.status_code == 200 and response.json()["subscriptions"] == expected
    assert after.json()["subscriptions"] == expected  # never a stored copy of the first answer
    assert before.json() != after.json()
    assert after.get("X-Cache") is None
    assert_private(after)


def test_manage_put_with_unknown_or_inactive_slugs_is_400_naming_them(api_client, subscription):
    NewsletterFactory(slug="retired", is_active=False)
    url = f"/api/v1/subscriptions/{manage_token(subscription.subscriber)}/"

    response = api_client.put(url, {"newsletters": ["morning-briefing", "retired", "nope"]}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["pointer"] == "#/newsletters"
    assert "'nope'" in error["detail"] and "'retired'" in error["detail"]
    assert status_of(subscription) == Subscription.Status.CONFIRMED


@pytest.mark.parametrize("body", [{}, {"newsletters": "morning-briefing"}, {"newsletters": ["Not a slug!"]}])
def test_manage_put_with_a_malformed_body_is_400(api_client, subscription, body):
    url = f"/api/v1/subscriptions/{manage_token(subscription.subscriber)}/"

    response = api_client.put(url, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_manage_put_with_an_empty_list_unsubscribes_from_all(api_client, subscription):
    url = f"/api/v1/subscriptions/{manage_token(subscription.subscriber)}/"

    response = api_client.put(url, {"newsletters": []}, format="json")

    assert response.status_code == 200
    assert status_of(subscription) == Subscription.Status.UNSUBSCRIBED


@pytest.mark.parametrize("token", ["nonsense", "x" * 40 + ":abc:def"])
def test_manage_with_a_bad_token_is_404_and_private(api_client, token):
    response = api_client.get(f"/api/v1/subscriptions/{token}/")

    assert response.status_code == 404
    assert response.json()["code"] == "link_invalid"
    assert_private(response)


def test_manage_with_another_kind_of_token_is_404(api_client, subscription):
    token = tokens.unsubscribe_token(subscription)

    assert api_client.get(f"/api/v1/subscriptions/{token}/").status_code == 404


# --- Erasure -----------------------------------------------------------------------------------
def make_delivery(subscription) -> Delivery:
    edition = Edition.objects.create(newsletter=subscription.newsletter, subject="Monday")
    return Delivery.objects.create(edition=edition, subscription=subscription, status=Delivery.Status.SENT)


def assert_erased(subscription, delivery, via: str):
    assert not Subscriber.objects.filter(email="ann@example.com").exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert list(Erasure.objects.values_list("via", flat=True)) == [via]
    delivery.refresh_from_db()
    assert delivery.subscription_id is None and delivery.status == Delivery.Status.SENT


def test_erase_through_the_api_leaves_an_anonymous_count_and_kills_old_links(
    client, api_client, subscription
):
    delivery = make_delivery(subscription)
    token = manage_token(subscription.subscriber)
    old_links = [
        f"/newsletters/manage/{token}/",
        f"/newsletters/confirm/{tokens.confirm_token(subscription)}/",
        unsubscribe_path(subscription),
    ]

    response = api_client.delete(f"/api/v1/subscriptions/{token}/")

    assert response.status_code == 204
    assert response.content == b""
    assert_private(response)
    assert_erased(subscription, delivery, Erasure.Via.LINK)
    assert api_client.get(f"/api/v1/subscriptions/{token}/").status_code == 404
    assert api_client.delete(f"/api/v1/subscriptions/{token}/").status_code == 404
    for link in old_links:
        assert client.get(link).status_code == 404
        assert client.post(link).status_code == 404
    assert Erasure.objects.count() == 1


def test_erase_page_get_asks_and_post_erases(client, subscription):
    delivery = make_delivery(subscription)
    url = f"/newsletters/manage/{manage_token(subscription.subscriber)}/erase/"

    page = client.get(url)
    assert page.status_code == 200 and b'method="post"' in page.content
    assert Subscriber.objects.exists()

    done = Client(enforce_csrf_checks=True).post(url)

    assert done.status_code == 200
    assert b"erased" in done.content
    assert_private(done)
    assert_erased(subscription, delivery, Erasure.Via.LINK)


# --- The manage page ---------------------------------------------------------------------------
def test_manage_page_ticks_confirmed_newsletters_and_shows_no_address(client, subscription):
    NewsletterFactory(name="Weekly Digest", slug="weekly-digest")
    SubscriptionFactory(
        subscriber=subscription.subscriber, newsletter__slug="pending-one", newsletter__name="Pending One"
    )
    NewsletterFactory(name="Hidden", slug="hidden", is_active=False)

    response = client.get(f"/newsletters/manage/{manage_token(subscription.subscriber)}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="morning-briefing" checked' in html
    assert 'value="weekly-digest">' in html and 'value="pending-one">' in html
    assert "hidden" not in html
    assert "ann@example.com" not in html
    assert f"/newsletters/manage/{manage_token(subscription.subscriber)}/erase/" in html
    assert_private(response)


def test_manage_page_post_saves_choices_without_a_csrf_token(subscription):
    NewsletterFactory(name="Weekly Digest", slug="weekly-digest")
    client = Client(enforce_csrf_checks=True)
    url = f"/newsletters/manage/{manage_token(subscription.subscriber)}/"

    response = client.post(url, {"newsletters": ["weekly-digest", "not-a-newsletter"]})

    assert response.status_code == 302 and response["Location"] == url + "?saved=1"
    assert_private(response)
    states = dict(subscription.subscriber.subscriptions.values_list("newsletter__slug", "status"))
    assert states == {"morning-briefing": "unsubscribed", "weekly-digest": "confirmed"}
    page = client.get(response["Location"])
    assert b"Your choices are saved." in page.content
    assert b'value="weekly-digest" checked' in page.content


def test_pages_answer_only_get_and_post(client, subscription):
    response = client.put(unsubscribe_path(subscription))

    assert response.status_code == 405
    assert_private(response)
    assert status_of(subscription) == Subscription.Status.CONFIRMED


def test_bad_manage_link_page_is_404(client):
    subscriber = SubscriberFactory()
    token = manage_token(subscriber)
    subscriber.token_key = "rotated"
    subscriber.save()

    response = client.get(f"/newsletters/manage/{token}/")

    assert response.status_code == 404
    assert b"This link does not work" in response.content
    assert_private(response)
    assert mail.outbox == []
