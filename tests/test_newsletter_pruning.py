"""`prune_unconfirmed`: addresses that signed up but never confirmed are forgotten after
NEWSLETTER_UNCONFIRMED_MAX_AGE, with the admin's log entries naming them, and counted nowhere."""

import io
import logging
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from newsletters import links
from newsletters.models import Erasure, Subscriber, Subscription

from .factories import NewsletterFactory

pytestmark = pytest.mark.django_db

Status = Subscription.Status
DAY = 24 * 3600


def signup(client, newsletter, email):
    response = client.post(
        f"/api/v1/newsletters/{newsletter.slug}/subscriptions/",
        {"email": email},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.1",
    )
    assert response.status_code == 202
    return Subscription.objects.get(subscriber__email=email, newsletter=newsletter)


def age(subscription, days, *, email_days=None):
    """Move a signup `days` into the past, its last confirmation email `email_days` (as old)."""
    then = timezone.now() - timedelta(days=days)
    email_at = timezone.now() - timedelta(days=days if email_days is None else email_days)
    Subscriber.objects.filter(pk=subscription.subscriber_id).update(created_at=then)
    Subscription.objects.filter(pk=subscription.pk).update(created_at=then, confirmation_sent_at=email_at)
    subscription.refresh_from_db()
    return subscription


def prune(*args) -> str:
    out = io.StringIO()
    call_command("prune_unconfirmed", *args, stdout=out)
    return out.getvalue()


def remaining() -> set[str]:
    return set(Subscriber.objects.values_list("email", flat=True))


def test_never_confirmed_signups_older_than_the_limit_are_deleted_and_counted(client, caplog):
    caplog.set_level(logging.DEBUG)
    daily, weekly = NewsletterFactory(), NewsletterFactory()
    age(signup(client, daily, "stale@example.com"), 31)
    age(signup(client, daily, "declined@example.com"), 40)  # unsubscribed from the confirmation email
    Subscription.objects.filter(subscriber__email="declined@example.com").update(status=Status.UNSUBSCRIBED)
    age(signup(client, daily, "recent@example.com"), 29)
    age(signup(client, daily, "reminded@example.com"), 60, email_days=2)  # signed up again lately
    age(signup(client, daily, "both@example.com"), 60)  # and lately to another newsletter
    age(signup(client, weekly, "both@example.com"), 1)
    confirmed = age(signup(client, daily, "confirmed@example.com"), 90)
    client.post(links.confirm_url(confirmed).removeprefix("http://127.0.0.1:8000"))
    left = age(signup(client, daily, "left@example.com"), 90)
    client.post(links.confirm_url(left).removeprefix("http://127.0.0.1:8000"))
    client.post(links.unsubscribe_url(left).removeprefix("http://127.0.0.1:8000"))

    output = prune()

    assert output == "Deleted 2 never-confirmed subscriber(s).\n"
    assert remaining() == {
        "recent@example.com",
        "reminded@example.com",
        "both@example.com",
        "confirmed@example.com",
        "left@example.com",  # confirmed once: unsubscribing is a choice to keep on record
    }
    assert Subscription.objects.filter(subscriber__email__in=["stale@example.com"]).count() == 0
    assert not Erasure.objects.exists()  # they never subscribed: nothing was erased
    assert "@" not in output and "@example.com" not in caplog.text


def test_the_admin_log_entries_naming_them_go_too(client, audience_client):
    pending = signup(client, NewsletterFactory(), "stale@example.com")
    audience_client.post(  # the audience team unsubscribed it: a log entry naming the address
        reverse("admin:newsletters_subscription_changelist"),
        {"action": "unsubscribe_selected", "index": 0, "_selected_action": [pending.pk]},
    )
    kept = signup(client, NewsletterFactory(), "recent@example.com")
    audience_client.post(
        reverse("admin:newsletters_subscription_changelist"),
        {"action": "unsubscribe_selected", "index": 0, "_selected_action": [kept.pk]},
    )
    assert LogEntry.objects.count() == 2
    age(pending, 31)

    prune()

    assert [entry.object_repr for entry in LogEntry.objects.all()] == [str(kept)]


def test_their_confirmation_link_stops_working_and_they_can_sign_up_afresh(client):
    newsletter = NewsletterFactory()
    stale = age(signup(client, newsletter, "stale@example.com"), 31)
    old_link = links.confirm_url(stale).removeprefix("http://127.0.0.1:8000")

    prune()
    again = signup(client, newsletter, "stale@example.com")

    assert client.post(old_link).status_code == 404
    assert again.status == Status.PENDING and len(mail.outbox) == 2


def test_the_age_limit_comes_from_the_setting(client, settings):
    settings.NEWSLETTER_UNCONFIRMED_MAX_AGE = 10 * DAY
    age(signup(client, NewsletterFactory(), "eleven@example.com"), 11)
    age(signup(client, NewsletterFactory(), "nine@example.com"), 9)

    assert prune() == "Deleted 1 never-confirmed subscriber(s).\n"
    assert remaining() == {"nine@example.com"}


def test_a_limit_shorter_than_the_life_of_confirmation_links_is_refused(client, settings):
    settings.NEWSLETTER_CONFIRM_MAX_AGE = 3 * DAY
    settings.NEWSLETTER_UNCONFIRMED_MAX_AGE = 2 * DAY
    age(signup(client, NewsletterFactory(), "stale@example.com"), 31)

    with pytest.raises(CommandError, match="NEWSLETTER_CONFIRM_MAX_AGE"):
        prune()
    assert remaining() == {"stale@example.com"}


def test_a_dry_run_counts_and_deletes_nothing(client):
    age(signup(client, NewsletterFactory(), "stale@example.com"), 31)

    assert prune("--dry-run") == "Would delete 1 never-confirmed subscriber(s).\n"
    assert remaining() == {"stale@example.com"}


def test_many_stale_signups_are_deleted_in_chunks(client, settings, monkeypatch):
    monkeypatch.setattr("newsletters.services.PRUNE_CHUNK", 3)
    newsletter = NewsletterFactory()
    settings.SIGNUP_RATE_PER_CLIENT = settings.SIGNUP_RATE_PER_ADDRESS = "100/hour"
    for index in range(7):
        age(signup(client, newsletter, f"stale{index}@example.com"), 31)
    age(signup(client, newsletter, "recent@example.com"), 1)

    assert prune() == "Deleted 7 never-confirmed subscriber(s).\n"
    assert remaining() == {"recent@example.com"}
