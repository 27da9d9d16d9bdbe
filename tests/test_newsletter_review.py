"""A privacy and security review of newsletters: each test pins a problem that was found (or a
worry that turned out unfounded) so that it stays fixed. Grouped by what an attacker, a careless
admin or a crash could do."""

import io
import json
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import checks, mail
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections, connection, connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms import deferred
from newsletters import links, sending, services, tokens
from newsletters.editions import schedule_edition
from newsletters.models import Delivery, Edition, Subscriber, Subscription

from .factories import (
    ArticleFactory,
    EditionFactory,
    EditionItemFactory,
    NewsletterFactory,
    SubscriberFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def signup(client, newsletter, email="ann@example.com", **body):
    return client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
        {"email": email, **body},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.1",
    )


def raw_header(message, name: str) -> str:
    """A header as it goes over the wire (unfolded), not as Python's parser would decode it."""
    parsed = message_from_bytes(message.message().as_bytes())
    return " ".join(str(parsed[name]).split())


def decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def change_name(client, subscriber, name):
    """The subscriber's admin form, saved with a new name (its read-only inline posted as is)."""
    count = subscriber.subscriptions.count()
    data = {"name": name, "subscriptions-TOTAL_FORMS": count, "subscriptions-INITIAL_FORMS": count}
    for index, pk in enumerate(subscriber.subscriptions.values_list("pk", flat=True)):
        data |= {f"subscriptions-{index}-id": pk, f"subscriptions-{index}-subscriber": subscriber.pk}
    response = client.post(reverse("admin:newsletters_subscriber_change", args=[subscriber.pk]), data)
    assert response.status_code == 302
    return response


def edition_with_a_story(newsletter, **fields) -> Edition:
    edition = EditionFactory(newsletter=newsletter, **fields)
    EditionItemFactory(edition=edition, article=ArticleFactory(live=True))
    return edition


# --- Headers built from what admins type --------------------------------------------------------
@pytest.mark.parametrize("name", ["Café Brief", 'The "Daily" <Briefing>'])
def test_list_id_keeps_its_identifier_readable_whatever_the_newsletter_is_called(client, name):
    # Django encodes a whole non-ASCII header value as one RFC 2047 word, `<id>` included, and
    # mail clients then find no list identifier to filter on (RFC 2919 wants it bare).
    newsletter = NewsletterFactory(name=name, slug="brief")
    signup(client, newsletter)

    phrase, list_id = parseaddr(raw_header(mail.outbox[0], "List-Id"))

    assert list_id == "brief.127.0.0.1"
    assert decoded(phrase) == name


def test_a_line_break_in_a_newsletter_name_cannot_stop_confirmation_emails(client):
    # A name pasted with a line break (or posted by hand) made every header built from it a
    # BadHeaderError: each confirmation email failed in the worker while signup answered 202.
    newsletter = NewsletterFactory(name="Morning\r\nBriefing", slug="brief")

    response = signup(client, newsletter)

    assert response.status_code == 202
    (message,) = mail.outbox
    assert message.subject == "Confirm your subscription to Morning Briefing"
    assert raw_header(message, "List-Id") == "Morning Briefing <brief.127.0.0.1>"


def test_a_line_break_in_an_edition_subject_cannot_fail_the_send():
    subscription = SubscriptionFactory(confirmed=True)
    edition = edition_with_a_story(subscription.newsletter, subject="Good morning\nBcc: x@example.org")

    schedule_edition(edition=edition)

    assert [d.status for d in Delivery.objects.all()] == [Delivery.Status.SENT]
    (message,) = mail.outbox
    assert message.subject == "Good morning Bcc: x@example.org"
    assert "Bcc" not in message.message()  # one header, not two
    assert message.bcc == []


def test_a_non_ascii_subject_is_encoded_and_reads_back_the_same():
    subscription = SubscriptionFactory(confirmed=True)
    subject = "Café society — the week in Zürich, Kraków and 東京"
    schedule_edition(edition=edition_with_a_story(subscription.newsletter, subject=subject))

    wire = raw_header(mail.outbox[0], "Subject")

    assert wire.isascii() and decoded(wire) == subject


# --- What signup accepts ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "email",
    [
        "\u0130nga@example.com",  # İ: Django's validator lets it through, lower() makes two characters
        "\u0131nga@example.com",  # dotless ı
        "\u212aate@example.com",  # the Kelvin sign, which looks like K
        # 247 characters as sent, 427 once lower-cased
        "a" * 60 + "@" + "\u0130" * 60 + "." + "\u0130" * 60 + "." + "\u0130" * 60 + ".com",
    ],
)
def test_addresses_that_lower_case_into_something_else_are_400(client, email):
    # Django's EmailValidator matches the local part case-insensitively, which in Unicode admits a
    # few non-ASCII letters. Lower-cased, İ becomes two characters: a 254-character address grew
    # past the column (a DataError, 500, on PostgreSQL) and mail could not be sent to it anyway.
    response = signup(client, NewsletterFactory(), email)

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/email"
    assert not Subscriber.objects.exists()


def test_international_domains_and_the_longest_address_are_accepted(client):
    newsletter = NewsletterFactory()
    longest = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(longest) == 254

    assert signup(client, newsletter, "Ann@Bücher.example").status_code == 202
    assert signup(client, newsletter, longest.upper(), REMOTE_ADDR="192.0.2.2").status_code == 202

    assert set(Subscriber.objects.values_list("email", flat=True)) == {"ann@bücher.example", longest}


@pytest.mark.parametrize("field", ["name", "source"])
@pytest.mark.parametrize("value", ["Ann\nReader", "Ann\x1b[31m Reader", "Ann\u0085Reader"])
def test_control_characters_in_name_or_source_are_400(client, field, value):
    # Both are typed by anyone and shown to staff (admin, CSV export): no terminal escapes or
    # line breaks that make one value look like several.
    response = signup(client, NewsletterFactory(), **{field: value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == f"#/{field}"
    assert not Subscriber.objects.exists()


def test_names_in_any_script_are_accepted(client):
    assert signup(client, NewsletterFactory(), name="Zoë Ångström-Łukasz 山田 محمد\u200c").status_code == 202


# --- Timing: who gets an email must not show in how long signup takes ---------------------------
def test_running_tasks_inside_requests_is_flagged_outside_development(settings):
    # With the immediate backend web workers send emails, and wait on the mail server.
    settings.DEBUG = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    warnings = [m for m in checks.run_checks() if m.id == "newsletters.W001"]

    assert len(warnings) == 1 and "TASKS_BACKEND" in warnings[0].hint


def test_the_database_backend_or_debug_mode_raise_no_warning(settings):
    settings.DEBUG = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert not [m for m in checks.run_checks() if m.id == "newsletters.W001"]

    settings.DEBUG = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert not [m for m in checks.run_checks() if m.id == "newsletters.W001"]


def test_with_the_database_backend_every_signup_answers_without_sending_anything(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    newsletter = NewsletterFactory()
    SubscriptionFactory(newsletter=newsletter, subscriber__email="known@example.com", confirmed=True)

    answers = [signup(client, newsletter, e) for e in ("known@example.com", "new@example.com")]

    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].content == answers[1].content
    assert mail.outbox == []  # the worker sends, after the answer


def _answer_before_it_is_sent(newsletter, email):
    """POST a signup straight to the WSGI application, as gunicorn does, and stop where a server
    has the answer but has not yet written its last byte (it calls close() then). Returns the
    answer, the SQL run to make it, and the close() that ends the request."""
    environ = (
        RequestFactory()
        .post(
            f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
            json.dumps({"email": email}),
            content_type="application/json",
            REMOTE_ADDR="192.0.2.1",
        )
        .environ
    )
    with CaptureQueriesContext(connection) as queries:
        response = WSGIHandler()(environ, lambda status, headers: None)
    return response, [query["sql"] for query in queries], response.close


@pytest.fixture
def _test_transaction_kept_open():
    # A server closes a connection left outside autocommit, as the test's is, when a request
    # starts and ends; Django's test client keeps it open the same way.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.usefixtures("_test_transaction_kept_open")
def test_signup_answers_before_it_reads_or_writes_anything_about_the_address():
    newsletter = NewsletterFactory()
    SubscriptionFactory(newsletter=newsletter, subscriber__email="pending@example.com")
    SubscriptionFactory(newsletter=newsletter, subscriber__email="known@example.com", confirmed=True)
    emails = ("new@example.com", "pending@example.com", "known@example.com")

    answers = [_answer_before_it_is_sent(newsletter, email) for email in emails]

    # The same statements, whoever the address is: only the newsletter was looked up.
    assert len({tuple(sql) for _, sql, _ in answers}) == 1
    assert not any("newsletters_subscri" in sql for sql in answers[0][1])
    assert {(r.status_code, r.content) for r, _, _ in answers} == {(202, answers[0][0].content)}
    assert not Subscriber.objects.filter(email="new@example.com").exists() and mail.outbox == []
    for _, _, close in answers:  # the server has sent the answer: now the signup is made
        close()
    assert Subscription.objects.get(subscriber__email="new@example.com").status == "pending"
    recipients = [message.to[0] for message in mail.outbox]
    assert "new@example.com" in recipients and "known@example.com" not in recipients


@pytest.mark.usefixtures("_test_transaction_kept_open")
def test_a_signup_the_database_refuses_for_a_moment_is_made_on_a_later_try(monkeypatch):
    newsletter = NewsletterFactory()
    monkeypatch.setattr(deferred, "RETRY_PAUSES", (0, 0))
    subscribe, tries = services.subscribe, []

    def locked_at_first(**kwargs):
        tries.append(kwargs["email"])
        if len(tries) < 3:
            raise OperationalError("database is locked")
        return subscribe(**kwargs)

    monkeypatch.setattr(services, "subscribe", locked_at_first)
    response, _, close = _answer_before_it_is_sent(newsletter, "ann@example.com")
    close()

    assert response.status_code == 202 and len(tries) == 3
    assert Subscription.objects.get(subscriber__email="ann@example.com").status == "pending"
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]


@pytest.mark.usefixtures("_test_transaction_kept_open")
def test_a_signup_that_fails_after_its_answer_is_logged_without_the_address(caplog, monkeypatch):
    newsletter = NewsletterFactory()

    def broken(**kwargs):
        raise ValueError(f"cannot subscribe {kwargs['email']}")

    monkeypatch.setattr(services, "subscribe", broken)
    response, _, close = _answer_before_it_is_sent(newsletter, "ann@example.com")
    close()

    assert response.status_code == 202
    assert [r.getMessage() for r in caplog.records] == ["Work after the answer failed: ValueError."]
    assert "ann@example.com" not in caplog.text


# --- Tokens -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "token", ["é" * 30, "x" * 3000, "%F0%9F%98%80", "%00", "a:b:c", "W1sxLCJrIl0:1:2", "..."]
)
def test_odd_or_huge_tokens_are_404_never_500(client, api_client, token):
    pages = ["confirm/{}/", "unsubscribe/{}/", "manage/{}/", "manage/{}/erase/"]
    for page in pages:
        for method in (client.get, client.post):
            assert method(f"/newsletters/{page.format(token)}").status_code == 404
    for path in ("confirm/{}/", "unsubscribe/{}/"):
        assert api_client.post(f"/api/v1/subscriptions/{path.format(token)}").status_code == 404
    for method in (api_client.get, api_client.put, api_client.delete):
        assert method(f"/api/v1/subscriptions/{token}/").status_code == 404


def test_links_of_an_erased_subscriber_do_not_work_for_whoever_signs_up_the_address_next(client):
    subscription = SubscriptionFactory(confirmed=True, subscriber__email="ann@example.com")
    old = {
        "confirm": tokens.confirm_token(subscription),
        "unsubscribe": tokens.unsubscribe_token(subscription),
        "manage": tokens.manage_token(subscription.subscriber),
    }
    services.erase_subscriber(subscriber=subscription.subscriber, via="link")
    # The same address again, and on SQLite possibly the same primary keys again.
    services.subscribe(email="ann@example.com", newsletter=subscription.newsletter)

    for kind, token in old.items():
        assert client.get(f"/newsletters/{kind}/{token}/").status_code == 404, kind


# --- Sending ------------------------------------------------------------------------------------
def test_an_edition_without_recipients_ends_sent_with_no_deliveries():
    edition = edition_with_a_story(NewsletterFactory())

    schedule_edition(edition=edition)

    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT and edition.sent_at is not None
    assert not edition.deliveries.exists()


class DeactivatingBackend(EmailBackend):
    """While the first email goes out, an editor deactivates the newsletter."""

    newsletter = None

    def send_messages(self, messages):
        if type(self).newsletter is not None:
            type(self).newsletter.is_active = False
            type(self).newsletter.save()
            type(self).newsletter = None
        return super().send_messages(messages)


def test_deactivating_the_newsletter_stops_a_send_at_the_next_batch(settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    settings.EMAIL_BACKEND = "tests.test_newsletter_review.DeactivatingBackend"
    newsletter = NewsletterFactory()
    SubscriptionFactory.create_batch(5, newsletter=newsletter, confirmed=True)
    DeactivatingBackend.newsletter = newsletter

    edition = edition_with_a_story(newsletter)
    schedule_edition(edition=edition)

    edition.refresh_from_db()
    statuses = sorted(edition.deliveries.values_list("status", flat=True))
    assert statuses == [Delivery.Status.SENT] * 2 + [Delivery.Status.STOPPED] * 3
    assert len(mail.outbox) == 2
    assert edition.status == Edition.Status.SENT  # finished: reactivating must not send old news


def test_a_stalled_send_of_a_deactivated_newsletter_is_stopped_not_resumed():
    newsletter = NewsletterFactory()
    SubscriptionFactory.create_batch(2, newsletter=newsletter, confirmed=True)
    edition = edition_with_a_story(newsletter)
    edition.status = Edition.Status.SENDING
    edition.save()
    for subscription in Subscription.objects.all():
        Delivery.objects.create(edition=edition, subscription=subscription)
    newsletter.is_active = False
    newsletter.save()

    call_command("send_editions", stdout=io.StringIO())

    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert set(edition.deliveries.values_list("status", flat=True)) == {Delivery.Status.STOPPED}
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
def test_one_edition_sent_by_several_workers_at_once_reaches_each_reader_once(settings):
    settings.NEWSLETTER_BATCH_SIZE = 3
    newsletter = NewsletterFactory()
    SubscriptionFactory.create_batch(20, newsletter=newsletter, confirmed=True)
    edition = edition_with_a_story(newsletter)
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SCHEDULED)

    workers = 6
    barrier = threading.Barrier(workers)
    errors = []

    def work():
        try:
            barrier.wait(timeout=10)
            sending.send_edition(edition_id=edition.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(len(m.to) for m in mail.outbox) == [1] * 20
    assert len({m.to[0] for m in mail.outbox}) == 20
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 20
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


class ErasingBackend(EmailBackend):
    """While the first email goes out, another reader erases themselves."""

    leaving = None

    def send_messages(self, messages):
        leaving, type(self).leaving = type(self).leaving, None
        if leaving is not None:
            services.erase_subscriber(subscriber=leaving, via="link")
        return super().send_messages(messages)


def test_a_reader_erased_during_the_send_gets_nothing_and_leaves_an_anonymous_row(settings):
    settings.EMAIL_BACKEND = "tests.test_newsletter_review.ErasingBackend"
    newsletter = NewsletterFactory()
    first, second = SubscriptionFactory.create_batch(2, newsletter=newsletter, confirmed=True)
    ErasingBackend.leaving = second.subscriber

    schedule_edition(edition=edition_with_a_story(newsletter))

    assert [m.to for m in mail.outbox] == [[first.subscriber.email]]
    statuses = dict(Delivery.objects.values_list("subscription_id", "status"))
    assert statuses == {first.pk: Delivery.Status.SENT, None: Delivery.Status.SKIPPED}


# --- Markup typed by staff or readers -----------------------------------------------------------
def test_names_titles_and_intros_are_escaped_in_emails_pages_and_the_admin(client, admin_client):
    evil = '<img src=x onerror="alert(1)">'
    newsletter = NewsletterFactory(name=f"News {evil}", slug="news")
    subscription = SubscriptionFactory(newsletter=newsletter, confirmed=True, subscriber__name=evil)
    edition = EditionFactory(newsletter=newsletter, subject=f"Subject {evil}", intro=f"Intro {evil}")
    EditionItemFactory(edition=edition, article=ArticleFactory(live=True, headline=f"Story {evil}"))
    signup(client, NewsletterFactory(name=f"Other {evil}"), source=evil)
    pages = [
        client.get(links.unsubscribe_url(subscription).removeprefix("http://127.0.0.1:8000")),
        client.get(links.confirm_url(subscription).removeprefix("http://127.0.0.1:8000")),
        admin_client.get(reverse("admin:newsletters_subscriber_changelist")),
        admin_client.get(reverse("admin:newsletters_subscription_changelist")),
        admin_client.get(reverse("admin:newsletters_subscription_changelist") + "?source=" + evil),
        admin_client.get(reverse("admin:newsletters_edition_change", args=[edition.pk])),
        admin_client.get(reverse("admin:newsletters_edition_preview", args=[edition.pk])),
        admin_client.get(reverse("admin:newsletters_newsletter_changelist")),
    ]
    schedule_edition(edition=edition)
    html_emails = [m.alternatives[0][0] for m in mail.outbox]

    assert len(html_emails) == 2
    for html in [*html_emails, *(page.content.decode() for page in pages)]:
        assert "<img src=x" not in html
        assert "&lt;img src=x" in html or "&amp;lt;img src=x" in html


def test_a_headline_a_reporter_typed_as_markup_cannot_run_in_the_editors_preview(admin_client):
    # The plain-text version is rendered with autoescape off (it is not HTML), and a rendered
    # template is a "safe" string: shown as it was, it put the reporter's markup in the admin page.
    edition = EditionFactory()
    EditionItemFactory(
        edition=edition, article=ArticleFactory(live=True, headline="<script>steal()</script>")
    )

    preview = admin_client.get(reverse("admin:newsletters_edition_preview", args=[edition.pk]))

    assert preview.status_code == 200
    assert "<script>steal()" not in preview.content.decode()
    assert "&lt;script&gt;steal()&lt;/script&gt;" in preview.content.decode()  # the text version


# --- Preferences --------------------------------------------------------------------------------
def test_choosing_newsletters_keeps_subscriptions_to_inactive_ones(client, api_client):
    # The choices offered are the active newsletters; a paused one the reader cannot see or tick
    # must not be dropped when they save.
    subscriber = SubscriberFactory()
    paused = SubscriptionFactory(subscriber=subscriber, confirmed=True, newsletter__is_active=False)
    daily = SubscriptionFactory(subscriber=subscriber, confirmed=True, newsletter__slug="daily")
    weekly = NewsletterFactory(slug="weekly")
    token = tokens.manage_token(subscriber)

    api = api_client.put(f"/api/v1/subscriptions/{token}/", {"newsletters": ["weekly"]}, format="json")
    page = client.post(f"/newsletters/manage/{token}/", {"newsletters": ["weekly", "daily"]})

    assert api.status_code == 200 and page.status_code == 302
    statuses = dict(subscriber.subscriptions.values_list("newsletter_id", "status"))
    assert statuses == {
        paused.newsletter_id: Subscription.Status.CONFIRMED,
        daily.newsletter_id: Subscription.Status.CONFIRMED,
        weekly.pk: Subscription.Status.CONFIRMED,
    }


# --- Who sees subscriber data in the admin -------------------------------------------------------
def test_editors_reach_no_address_through_history_change_autocomplete_or_shortcut_pages(
    desk_editor_client, audience_client
):
    subscription = SubscriptionFactory(confirmed=True, subscriber__email="ann@example.com")
    subscriber = subscription.subscriber
    change_name(audience_client, subscriber, "Ann")  # a history naming the address
    assert LogEntry.objects.filter(object_repr="ann@example.com").exists()
    edition = edition_with_a_story(subscription.newsletter)
    schedule_edition(edition=edition)
    subscriber_type = ContentType.objects.get_for_model(Subscriber).pk
    urls = [
        reverse("admin:newsletters_subscriber_history", args=[subscriber.pk]),
        reverse("admin:newsletters_subscription_history", args=[subscription.pk]),
        reverse("admin:newsletters_subscriber_change", args=[subscriber.pk]),
        reverse("admin:newsletters_subscription_change", args=[subscription.pk]),
        reverse("admin:newsletters_edition_change", args=[edition.pk]),
        reverse("admin:newsletters_edition_history", args=[edition.pk]),
        reverse("admin:newsletters_edition_changelist") + "?deliveries__subscription__subscriber__email=ann",
        reverse("admin:autocomplete")
        + "?app_label=newsletters&model_name=subscription&field_name=subscriber&term=ann",
        reverse("admin:autocomplete")
        + "?app_label=newsletters&model_name=delivery&field_name=subscription&term=ann",
        reverse("admin:index"),
        f"/admin/r/{subscriber_type}/{subscriber.pk}/",
    ]

    for url in urls:
        response = desk_editor_client.get(url, follow=True)
        assert b"ann@example.com" not in response.content, url
        assert b"Ann" not in response.content or url.endswith("/change/"), url


# --- Erasure leaves nothing behind --------------------------------------------------------------
def test_after_erasure_no_table_and_no_cache_entry_holds_the_address(
    client, audience_client, settings, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker closes connections that are not in autocommit, as the test's own is.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    email, name = "erase.me@example.com", "Erin Unique-Name"
    newsletter = NewsletterFactory()

    def run_worker():
        call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=io.StringIO())

    signup(client, newsletter, email.upper(), name=name, source="footer")
    run_worker()
    confirm = links.confirm_url(Subscription.objects.get()).removeprefix(settings.PUBLIC_BASE_URL)
    client.post(confirm)
    subscription = Subscription.objects.get()
    subscriber = subscription.subscriber
    change_name(audience_client, subscriber, name + " Jr")
    audience_client.post(
        reverse("admin:newsletters_subscription_changelist"),
        {"action": "unsubscribe_selected", "index": 0, "_selected_action": [subscription.pk]},
    )
    subscription.refresh_from_db()
    services.confirm(subscription=subscription)
    schedule_edition(edition=edition_with_a_story(newsletter))
    run_worker()
    assert len(mail.outbox) == 2
    assert LogEntry.objects.count() == 2

    audience_client.post(
        reverse("admin:newsletters_subscriber_changelist"),
        {"action": "erase_selected", "index": 0, "_selected_action": [subscriber.pk], "post": "yes"},
    )

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    cached = repr([cache.get(key) for key in cache._cache]) + repr(list(cache._cache))  # LocMemCache
    for text in (dump.getvalue().lower(), cached.lower()):
        assert email not in text
        assert name.lower() not in text
    assert '"model": "django_tasks_database.dbtaskresult"' in dump.getvalue()  # the queue was dumped too
