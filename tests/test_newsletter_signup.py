import logging
import re
import smtplib
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from newsletters.models import Subscriber, Subscription

from .factories import NewsletterFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

ACCEPTED = {"detail": "Check your inbox to confirm your subscription."}


@pytest.fixture
def newsletter():
    return NewsletterFactory(name="Morning Briefing", slug="morning-briefing")


def signup(client, newsletter, email="ann@example.com", **extra):
    """POST a signup; upper-case keywords (REMOTE_ADDR, HTTP_...) are request headers, the rest body."""
    meta = {"REMOTE_ADDR": "192.0.2.1", **{k: v for k, v in extra.items() if k.isupper()}}
    body = {"email": email, **{k: v for k, v in extra.items() if not k.isupper()}}
    return client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/", body, content_type="application/json", **meta
    )


def link_path(url: str) -> str:
    return urlsplit(url).path


def confirm_link(message) -> str:
    return re.search(r"http\S+/newsletters/confirm/[^/\s]+/", message.body).group()


def subscription_of(email="ann@example.com") -> Subscription:
    return Subscription.objects.select_related("subscriber").get(subscriber__email=email)


# --- The opt-in flow ---------------------------------------------------------------------------
def test_signup_sends_one_confirmation_email_with_links_and_list_headers(client, newsletter):
    response = signup(client, newsletter, " Ann@Example.COM ", name="Ann", source="article-footer")

    assert response.status_code == 202
    assert response.json() == ACCEPTED
    subscription = subscription_of("ann@example.com")
    assert subscription.status == Subscription.Status.PENDING
    assert (subscription.subscriber.name, subscription.source) == ("Ann", "article-footer")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.com"]
    assert message.subject == "Confirm your subscription to Morning Briefing"
    assert confirm_link(message).startswith("http://127.0.0.1:8000/newsletters/confirm/")
    html = message.alternatives[0].content
    assert confirm_link(message) in html
    assert "/newsletters/manage/" in message.body and "/newsletters/manage/" in html
    assert "3 days" in message.body
    assert re.fullmatch(
        r"<http://127\.0\.0\.1:8000/newsletters/unsubscribe/[^/]+/>",
        message.extra_headers["List-Unsubscribe"],
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Id"] == "Morning Briefing <morning-briefing.127.0.0.1>"


def test_confirmation_email_leaves_out_the_name_given(client, newsletter):
    # Anyone can sign up any address: a name that reached the inbox would let them write to it.
    signup(client, newsletter, name="Visit spam.example.net now")

    message = mail.outbox[0]
    assert "spam" not in message.body and "spam" not in message.alternatives[0].content


def test_confirm_page_get_only_asks_and_post_confirms(client, newsletter):
    signup(client, newsletter)
    path = link_path(confirm_link(mail.outbox[0]))

    page = client.get(path)  # what a mail scanner fetching the link does

    assert page.status_code == 200
    assert b"Confirm subscription" in page.content and b'method="post"' in page.content
    assert subscription_of().status == Subscription.Status.PENDING

    done = client.post(path)

    assert done.status_code == 200
    assert b"You are subscribed" in done.content
    subscription = subscription_of()
    assert subscription.status == Subscription.Status.CONFIRMED
    assert subscription.confirmed_at is not None
    assert b"ann@example.com" not in page.content + done.content


def test_confirm_page_after_confirmation_says_so_without_asking(client, newsletter):
    signup(client, newsletter)
    path = link_path(confirm_link(mail.outbox[0]))
    client.post(path)

    page = client.get(path)

    assert page.status_code == 200
    assert b"You are subscribed" in page.content


def test_api_confirm_endpoint_confirms_and_can_be_repeated(api_client, client, newsletter):
    signup(client, newsletter)
    token = link_path(confirm_link(mail.outbox[0])).split("/")[-2]

    first = api_client.post(f"/api/v1/subscriptions/confirm/{token}/")
    again = api_client.post(f"/api/v1/subscriptions/confirm/{token}/")

    expected = {"status": "confirmed", "newsletter": {"slug": "morning-briefing", "name": "Morning Briefing"}}
    assert (first.status_code, first.json()) == (200, expected)
    assert (again.status_code, again.json()) == (200, expected)
    assert first["Cache-Control"] == "private, no-store"
    assert first["Referrer-Policy"] == "no-referrer"
    assert subscription_of().status == Subscription.Status.CONFIRMED
    assert len(mail.outbox) == 1


def test_pages_send_private_headers_even_when_the_link_is_bad(client, newsletter):
    signup(client, newsletter)
    good = link_path(confirm_link(mail.outbox[0]))

    for response in (client.get(good), client.get("/newsletters/confirm/nonsense/")):
        assert response["Cache-Control"] == "private, no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Robots-Tag"] == "noindex"
        assert not response.cookies


# --- Non-enumeration ---------------------------------------------------------------------------
def test_signup_answer_is_identical_whatever_the_address_is(client, newsletter):
    SubscriptionFactory(newsletter=newsletter, subscriber__email="pending@example.com")
    SubscriptionFactory(newsletter=newsletter, subscriber__email="confirmed@example.com", confirmed=True)
    SubscriptionFactory(
        newsletter=newsletter, subscriber__email="gone@example.com", status=Subscription.Status.UNSUBSCRIBED
    )
    headers = ("Content-Type", "Cache-Control", "Vary", "Content-Length", "Set-Cookie", "ETag", "Location")

    answers = [
        signup(client, newsletter, email)
        for email in ("new@example.com", "pending@example.com", "confirmed@example.com", "gone@example.com")
    ]

    shapes = {
        (response.status_code, response.content, tuple(response.get(header) for header in headers))
        for response in answers
    }
    assert len(shapes) == 1
    assert answers[0].status_code == 202 and answers[0].json() == ACCEPTED


def test_confirmed_address_gets_no_new_email(client, newsletter):
    SubscriptionFactory(newsletter=newsletter, subscriber__email="ann@example.com", confirmed=True)

    assert signup(client, newsletter, "ANN@example.com").status_code == 202

    assert mail.outbox == []
    assert subscription_of().status == Subscription.Status.CONFIRMED


def test_pending_address_gets_another_email_only_after_the_resend_wait(client, newsletter, settings):
    settings.NEWSLETTER_RESEND_AFTER = 600
    signup(client, newsletter)

    signup(client, newsletter)
    assert len(mail.outbox) == 1  # a second request within ten minutes sends nothing

    Subscription.objects.update(confirmation_sent_at=timezone.now() - timedelta(seconds=601))
    signup(client, newsletter)

    assert len(mail.outbox) == 2
    assert Subscriber.objects.count() == 1 and Subscription.objects.count() == 1


def test_unsubscribed_address_must_confirm_again(client, newsletter):
    SubscriptionFactory(
        newsletter=newsletter, subscriber__email="ann@example.com", status=Subscription.Status.UNSUBSCRIBED
    )

    signup(client, newsletter)

    assert subscription_of().status == Subscription.Status.UNSUBSCRIBED
    client.post(link_path(confirm_link(mail.outbox[0])))
    assert subscription_of().status == Subscription.Status.CONFIRMED


def test_signup_does_not_change_a_known_subscriber(client, newsletter):
    SubscriptionFactory(newsletter=newsletter, subscriber__email="ann@example.com", subscriber__name="Ann")

    signup(client, newsletter, name="Someone else", source="elsewhere")

    subscription = subscription_of()
    assert (subscription.subscriber.name, subscription.source) == ("Ann", "")


# --- Bad input ---------------------------------------------------------------------------------
def assert_problem(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "#/email"),
        ({"email": ""}, "#/email"),
        ({"email": "not-an-address"}, "#/email"),
        ({"email": "ann@"}, "#/email"),
        ({"email": "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example.com"}, "#/email"),
        ({"email": 12}, "#/email"),
        ({"email": "ann@example.com", "name": "n" * 151}, "#/name"),
        ({"email": "ann@example.com", "source": "s" * 101}, "#/source"),
    ],
)
def test_invalid_signup_is_400_naming_the_field(api_client, newsletter, body, pointer):
    response = api_client.post(f"/api/v1/newsletters/{newsletter.slug}/subscriptions/", body, format="json")

    problem = assert_problem(response, 400, "invalid")
    assert [error["pointer"] for error in problem["errors"]] == [pointer]
    assert Subscriber.objects.count() == 0 and mail.outbox == []


def test_signup_body_that_is_not_an_object_is_400(api_client, newsletter):
    response = api_client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/", ["ann@example.com"], format="json"
    )

    assert_problem(response, 400, "invalid")


def test_signup_ignores_unknown_fields(api_client, newsletter):
    response = api_client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
        {"email": "ann@example.com", "status": "confirmed", "newsletter": "other"},
        format="json",
    )

    assert response.status_code == 202
    assert subscription_of().status == Subscription.Status.PENDING


@pytest.mark.parametrize("active", [True, False])
def test_signup_to_unknown_or_inactive_newsletter_is_404(api_client, active):
    slug = NewsletterFactory(is_active=False).slug if not active else "no-such-newsletter"

    response = api_client.post(
        f"/api/v1/newsletters/{slug}/subscriptions/", {"email": "ann@example.com"}, format="json"
    )

    assert_problem(response, 404, "not_found")
    assert Subscriber.objects.count() == 0


def test_signup_as_a_form_is_415(client, newsletter):
    response = client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/", {"email": "ann@example.com"}
    )

    assert_problem(response, 415, "unsupported_media_type")
    assert Subscriber.objects.count() == 0


def test_signup_with_malformed_json_is_400(client, newsletter):
    response = client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
        '{"email": "ann@example.com"',
        content_type="application/json",
    )

    assert_problem(response, 400, "parse_error")
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize("debug", [False, True])
def test_a_signup_body_over_the_limit_is_a_413_problem(client, newsletter, settings, debug):
    settings.DEBUG = debug  # Django's own debug page must not answer either
    body = '{"email": "ann@example.com", "name": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'

    response = client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/", body, content_type="application/json"
    )

    assert_problem(response, 413, "too_large")
    assert Subscriber.objects.count() == 0


def test_signup_is_post_only(api_client, newsletter):
    response = api_client.get(f"/api/v1/newsletters/{newsletter.slug}/subscriptions/")

    assert_problem(response, 405, "method_not_allowed")


# --- Expired and tampered links ----------------------------------------------------------------
def test_expired_confirmation_link_is_410_on_page_and_api(client, api_client, newsletter, settings):
    signup(client, newsletter)
    path = link_path(confirm_link(mail.outbox[0]))
    token = path.split("/")[-2]
    settings.NEWSLETTER_CONFIRM_MAX_AGE = -1  # every token is older than that

    page = client.post(path)
    api = api_client.post(f"/api/v1/subscriptions/confirm/{token}/")

    assert page.status_code == 410
    assert b"expired" in page.content and b"Sign up again" in page.content
    assert_problem(api, 410, "link_expired")
    assert subscription_of().status == Subscription.Status.PENDING


def test_confirmation_link_still_works_within_its_age(client, newsletter, settings):
    settings.NEWSLETTER_CONFIRM_MAX_AGE = 60
    signup(client, newsletter)

    assert client.post(link_path(confirm_link(mail.outbox[0]))).status_code == 200


def tampered(token: str) -> str:
    index = token.index(":") - 2  # a character of the signed payload
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


def test_tampered_or_misdirected_tokens_are_404(client, api_client, newsletter):
    signup(client, newsletter)
    message = mail.outbox[0]
    confirm_token = link_path(confirm_link(message)).split("/")[-2]
    unsubscribe_token = message.extra_headers["List-Unsubscribe"].strip("<>").split("/")[-2]
    manage_token = re.search(r"/newsletters/manage/([^/\s]+)/", message.body).group(1)
    other = SubscriptionFactory(newsletter=newsletter)
    forged = signing.dumps([other.pk, "guessed-key"], salt="newsletters.confirm")

    for token in (tampered(confirm_token), unsubscribe_token, manage_token, forged, "nonsense"):
        assert client.post(f"/newsletters/confirm/{token}/").status_code == 404
        assert_problem(api_client.post(f"/api/v1/subscriptions/confirm/{token}/"), 404, "link_invalid")
    assert Subscription.objects.confirmed().count() == 0


def test_confirmation_link_is_404_after_erasure(client, api_client, newsletter):
    signup(client, newsletter)
    message = mail.outbox[0]
    path = link_path(confirm_link(message))
    manage_token = re.search(r"/newsletters/manage/([^/\s]+)/", message.body).group(1)
    assert api_client.delete(f"/api/v1/subscriptions/{manage_token}/").status_code == 204

    assert client.post(path).status_code == 404
    assert_problem(
        api_client.post(f"/api/v1/subscriptions/confirm/{path.split('/')[-2]}/"), 404, "link_invalid"
    )


# --- Throttling --------------------------------------------------------------------------------
def test_signup_is_throttled_per_client(client, newsletter, settings):
    settings.SIGNUP_RATE_PER_CLIENT = "2/hour"
    assert signup(client, newsletter, "a@example.com").status_code == 202
    assert signup(client, newsletter, "b@example.com").status_code == 202

    # A client cannot pass for another with a header it sets itself (NUM_PROXIES is 0).
    throttled = signup(client, newsletter, "c@example.com", HTTP_X_FORWARDED_FOR="198.51.100.7")

    problem = assert_problem(throttled, 429, "throttled")
    assert 3590 <= int(throttled["Retry-After"]) <= 3600
    assert "3600" in problem["detail"] or "359" in problem["detail"]
    assert not Subscriber.objects.filter(email="c@example.com").exists()
    assert signup(client, newsletter, "c@example.com", REMOTE_ADDR="192.0.2.99").status_code == 202


def test_signup_is_throttled_per_address_from_any_client(client, newsletter, settings):
    settings.SIGNUP_RATE_PER_ADDRESS = "2/hour"
    assert signup(client, newsletter, "ann@example.com", REMOTE_ADDR="192.0.2.1").status_code == 202
    assert signup(client, newsletter, "ANN@example.com ", REMOTE_ADDR="192.0.2.2").status_code == 202

    throttled = signup(client, newsletter, "ann@EXAMPLE.com", REMOTE_ADDR="192.0.2.3")

    assert_problem(throttled, 429, "throttled")
    assert "Retry-After" in throttled
    assert signup(client, newsletter, "bob@example.com", REMOTE_ADDR="192.0.2.3").status_code == 202
    # The counts are kept under a keyed hash, never under the address (locmem cache in tests).
    assert cache._cache and not any("ann@" in str(key).lower() for key in cache._cache)


def test_client_throttle_honours_the_configured_proxy(client, newsletter, settings):
    settings.SIGNUP_RATE_PER_CLIENT = "1/hour"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    first = signup(client, newsletter, "a@example.com", HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = signup(client, newsletter, "b@example.com", HTTP_X_FORWARDED_FOR="198.51.100.2")
    third = signup(client, newsletter, "c@example.com", HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert [first.status_code, second.status_code, third.status_code] == [202, 202, 429]


# --- Concurrency -------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
def test_concurrent_signups_of_one_address_make_one_subscriber_and_one_email(settings):
    settings.SIGNUP_RATE_PER_ADDRESS = "100/hour"  # the race, not the throttle, is under test
    newsletter = NewsletterFactory()
    spellings = ["race@example.com", "RACE@example.com", " race@example.com", "Race@Example.com "] * 2
    barrier = threading.Barrier(len(spellings))
    statuses = []

    def sign_up(index, email):
        try:
            client = Client(REMOTE_ADDR=f"192.0.2.{index + 1}")
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
                {"email": email},
                content_type="application/json",
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(i, email)) for i, email in enumerate(spellings)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [202] * len(spellings)
    assert Subscriber.objects.count() == 1
    assert Subscription.objects.count() == 1
    assert len(mail.outbox) == 1


# --- Nothing leaks the address -----------------------------------------------------------------
class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses the recipient, quoting the address as servers do."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 No such user")})


def formatted(records) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records)


def test_the_address_appears_in_no_log_line_response_or_schema(client, api_client, newsletter, caplog):
    email = "leak.check@example.com"
    caplog.set_level(logging.DEBUG)

    signup(client, newsletter, email, name="Lee")
    message = mail.outbox[0]
    client.get(link_path(confirm_link(message)))
    client.post(link_path(confirm_link(message)))
    manage = re.search(r"/newsletters/manage/([^/\s]+)/", message.body).group(1)
    bodies = [
        api_client.get("/api/v1/newsletters/").content,
        api_client.get(f"/api/v1/newsletters/{newsletter.slug}/").content,
        api_client.get(f"/api/v1/subscriptions/{manage}/").content,
        client.get(f"/newsletters/manage/{manage}/").content,
        client.get(message.extra_headers["List-Unsubscribe"].strip("<>")).content,
        api_client.get("/api/schema/?format=json").content,
        signup(client, newsletter, "not an address").content,
    ]
    client.post(message.extra_headers["List-Unsubscribe"].strip("<>"), {"List-Unsubscribe": "One-Click"})
    api_client.delete(f"/api/v1/subscriptions/{manage}/")

    assert caplog.records  # the flow did log (requests, tasks): none of it names the reader
    assert email not in formatted(caplog.records).lower()
    for body in bodies:
        assert email.encode() not in body.lower()


def test_a_refused_email_is_logged_without_the_address(client, newsletter, caplog, settings):
    settings.EMAIL_BACKEND = "tests.test_newsletter_signup.RefusingBackend"
    caplog.set_level(logging.DEBUG)

    response = signup(client, newsletter, "refused@example.com")

    assert response.status_code == 202  # the background task failed, not the request
    failures = [record for record in caplog.records if record.exc_info]
    assert failures, "the failed task is logged with its error"
    text = formatted(caplog.records)
    assert "EmailNotSent" in text and "SMTPRecipientsRefused" in text
    assert "refused@example.com" not in text


def test_schema_documents_signup_and_self_service_with_example_com_addresses_only(api_client):
    response = api_client.get("/api/schema/?format=json")
    schema = response.json()

    signup_responses = schema["paths"]["/api/v1/newsletters/{slug}/subscriptions/"]["post"]["responses"]
    assert set(signup_responses) == {"202", "400", "404", "415", "429"}
    assert set(schema["paths"]["/api/v1/subscriptions/{token}/"]) == {"get", "put", "delete"}
    for path in ("/api/v1/subscriptions/confirm/{token}/", "/api/v1/subscriptions/unsubscribe/{token}/"):
        assert "404" in schema["paths"][path]["post"]["responses"]
    assert "410" in schema["paths"]["/api/v1/subscriptions/confirm/{token}/"]["post"]["responses"]
    manage = schema["paths"]["/api/v1/subscriptions/{token}/"]["get"]
    assert "304" not in manage["responses"]  # never cached: no conditional requests to document
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", response.content.decode()))
    assert addresses and all(address.endswith("@example.com") for address in addresses)


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\u202e", "\u2066", "\u200f", "\x85"])
@pytest.mark.parametrize("field", ["name", "source"])
def test_separators_and_bidi_overrides_are_refused_in_name_and_source(client, field, odd):
    response = signup(client, NewsletterFactory(), **{field: f"Ann{odd}Admin"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == f"#/{field}"


INVISIBLE = ["\u200b", "\u00ad", "\ufeff", "\u2060"]  # zero-width space, soft hyphen, BOM, word joiner


def test_invisible_characters_in_the_domain_are_one_address_as_delivery_sees_it(client, newsletter, settings):
    settings.SIGNUP_RATE_PER_ADDRESS = "3/hour"
    answers = [
        signup(client, newsletter, f"ann@ex{char}ample.com", REMOTE_ADDR=f"192.0.2.{n}")
        for n, char in enumerate(INVISIBLE)
    ]

    assert [answer.status_code for answer in answers] == [202, 202, 202, 429]  # one address's limit
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ann@example.com"]
    assert signup(client, NewsletterFactory(), "ann@MÜNCHEN.de").status_code == 202
    assert Subscriber.objects.filter(email="ann@münchen.de").exists()


@pytest.mark.parametrize(
    "address",
    ['"ann"@example.com', '"ann@example.com"@example.com', '"a\\ b"@example.com', "ann@exa mple.com"],
)
def test_addresses_that_cannot_be_normalised_are_refused(client, newsletter, address):
    response = signup(client, newsletter, address)
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/email"
    assert not Subscriber.objects.exists()
