"""Sending editions (newsletters/sending.py): who gets one, exactly once, through interruptions,
refusals and unsubscribes; and the `send_editions` command that hands due and stalled sends to the
workers."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.utils import timezone

from cms.publishing import Status
from newsletters import links, sending, services
from newsletters.editions import schedule_edition, unschedule_edition
from newsletters.models import Delivery, Edition, Subscription
from newsletters.tasks import send_edition

from .factories import (
    ArticleFactory,
    EditionFactory,
    EditionItemFactory,
    NewsletterFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

BACKENDS = "tests.test_newsletter_sending"


# --- Email backends that misbehave on cue ------------------------------------------------------
class WorkerKilled(BaseException):
    """The worker process dies (SIGKILL, a deploy): not an error anything should catch."""


class DyingBackend(EmailBackend):
    """Delivers `survive` messages, then the worker dies while sending the next one."""

    survive = 0
    delivered = 0

    def send_messages(self, messages):
        for message in messages:
            if type(self).delivered >= type(self).survive:
                raise WorkerKilled
            super().send_messages([message])
            type(self).delivered += 1
        return len(messages)


class RefusingBackend(EmailBackend):
    """The mail server refuses one address, as SMTP does: with the address in the error."""

    refused = ""

    def send_messages(self, messages):
        for message in messages:
            if self.refused in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refused: (550, b"5.1.1 No such user")})
        return super().send_messages(messages)


class CountingBackend(EmailBackend):
    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()


class UnsubscribingBackend(EmailBackend):
    """While the first email goes out, another reader unsubscribes."""

    leaving = None

    def send_messages(self, messages):
        leaving, type(self).leaving = type(self).leaving, None
        if leaving is not None:
            services.unsubscribe(subscription=leaving)
        return super().send_messages(messages)


# --- Helpers -------------------------------------------------------------------------------------
@pytest.fixture
def edition():
    """A draft edition with one live article, of a newsletter with no subscribers yet."""
    edition = EditionFactory(subject="Morning briefing")
    EditionItemFactory(edition=edition, article=ArticleFactory(live=True))
    return edition


def confirmed(newsletter, count):
    return SubscriptionFactory.create_batch(count, newsletter=newsletter, confirmed=True)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def addresses(subscriptions):
    return sorted(subscription.subscriber.email for subscription in subscriptions)


def delivery_states(edition):
    return sorted(edition.deliveries.values_list("status", flat=True))


# --- Who gets it ---------------------------------------------------------------------------------
def test_only_confirmed_subscribers_get_the_edition_once_each(edition, caplog):
    readers = confirmed(edition.newsletter, 3)
    SubscriptionFactory(newsletter=edition.newsletter)  # pending
    SubscriptionFactory(newsletter=edition.newsletter, status=Subscription.Status.UNSUBSCRIBED)
    SubscriptionFactory(confirmed=True)  # of another newsletter

    schedule_edition(edition=edition)

    assert recipients() == addresses(readers)
    assert delivery_states(edition) == [Delivery.Status.SENT] * 3
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert edition.sent_at is not None and edition.sending_started_at <= edition.sent_at
    assert all(message.subject == "Morning briefing" for message in mail.outbox)
    for address in addresses(readers):
        assert address not in caplog.text


def test_each_email_carries_its_subscriptions_own_unsubscribe_links_and_headers(edition):
    readers = {s.subscriber.email: s for s in confirmed(edition.newsletter, 2)}

    schedule_edition(edition=edition)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        subscription = readers[message.to[0]]
        unsubscribe = links.unsubscribe_url(subscription)
        assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.alternatives[0].content
        assert unsubscribe in message.body and unsubscribe in html
        assert links.manage_url(subscription.subscriber) in html
        other = next(s for address, s in readers.items() if address != message.to[0])
        assert links.unsubscribe_url(other) not in message.body + html
        # On the wire too, not only on the message object.
        assert message.message()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_batches_smaller_than_the_list_use_one_connection_each(edition, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    settings.EMAIL_BACKEND = f"{BACKENDS}.CountingBackend"
    CountingBackend.opened = 0
    readers = confirmed(edition.newsletter, 5)

    schedule_edition(edition=edition)

    assert recipients() == addresses(readers)
    assert CountingBackend.opened == 3
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_a_sent_edition_is_not_sent_again(edition):
    confirmed(edition.newsletter, 2)
    schedule_edition(edition=edition)
    mail.outbox.clear()

    send_edition.enqueue(edition.pk)
    call_command("send_editions", stdout=None)

    assert mail.outbox == []
    assert delivery_states(edition) == [Delivery.Status.SENT] * 2


def test_a_draft_is_not_sent_by_a_stray_task(edition):
    confirmed(edition.newsletter, 1)

    send_edition.enqueue(edition.pk)

    assert mail.outbox == []
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


# --- Interruptions and failures ------------------------------------------------------------------
def test_a_send_killed_midway_resumes_without_sending_anyone_twice(edition, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    settings.EMAIL_BACKEND = f"{BACKENDS}.DyingBackend"
    DyingBackend.survive, DyingBackend.delivered = 3, 0
    readers = confirmed(edition.newsletter, 6)
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SCHEDULED, scheduled_at=timezone.now())

    with pytest.raises(WorkerKilled):
        sending.send_edition(edition_id=edition.pk)

    first_run = recipients()
    assert len(first_run) == 3
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENDING
    in_flight = edition.deliveries.get(status=Delivery.Status.SENDING)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # a new worker
    call_command("send_editions", stdout=None)  # its worker may still be alive: left alone
    assert recipients() == first_run

    Edition.objects.filter(pk=edition.pk).update(progress_at=timezone.now() - timedelta(minutes=11))
    call_command("send_editions", stdout=None)

    everyone = recipients()
    assert len(everyone) == len(set(everyone)) == 5  # nobody twice
    assert set(everyone) == set(addresses(readers)) - {in_flight.subscription.subscriber.email}
    in_flight.refresh_from_db()
    assert in_flight.status == Delivery.Status.UNKNOWN
    assert delivery_states(edition) == sorted([Delivery.Status.SENT] * 5 + [Delivery.Status.UNKNOWN])
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_a_refused_address_fails_alone_and_its_error_does_not_name_it(edition, settings, caplog):
    settings.EMAIL_BACKEND = f"{BACKENDS}.RefusingBackend"
    refused, *others = confirmed(edition.newsletter, 3)
    RefusingBackend.refused = refused.subscriber.email

    schedule_edition(edition=edition)

    assert recipients() == addresses(others)
    failed = Delivery.objects.get(subscription=refused)
    assert failed.status == Delivery.Status.FAILED
    assert "SMTPRecipientsRefused" in failed.error
    assert refused.subscriber.email not in failed.error
    assert refused.subscriber.email not in caplog.text
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_a_reader_who_unsubscribes_during_the_send_is_skipped(edition, settings):
    settings.EMAIL_BACKEND = f"{BACKENDS}.UnsubscribingBackend"
    first, staying, leaving = confirmed(edition.newsletter, 3)
    UnsubscribingBackend.leaving = leaving

    schedule_edition(edition=edition)

    assert recipients() == addresses([first, staying])
    assert Delivery.objects.get(subscription=leaving).status == Delivery.Status.SKIPPED
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_erasing_a_subscriber_after_the_send_leaves_an_anonymous_delivery(edition):
    (reader,) = confirmed(edition.newsletter, 1)
    schedule_edition(edition=edition)
    address = reader.subscriber.email

    services.erase_subscriber(subscriber=reader.subscriber, via="admin")

    delivery = Delivery.objects.get(edition=edition)
    assert delivery.subscription is None and delivery.status == Delivery.Status.SENT
    assert address not in str(delivery)


def test_a_scheduled_edition_whose_stories_were_all_unpublished_goes_back_to_draft(edition):
    confirmed(edition.newsletter, 1)
    schedule_edition(edition=edition, at=timezone.now() + timedelta(hours=1))
    edition.items.get().article.__class__.objects.update(status=Status.DRAFT)
    Edition.objects.filter(pk=edition.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))

    call_command("send_editions", stdout=None)

    assert mail.outbox == []
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


# --- Scheduling and the command ------------------------------------------------------------------
def test_a_future_edition_waits_for_its_time_and_the_command_sends_it_then(edition, capsys):
    readers = confirmed(edition.newsletter, 2)
    schedule_edition(edition=edition, at=timezone.now() + timedelta(hours=2))

    call_command("send_editions")
    assert mail.outbox == []
    assert "Enqueued 0 due" in capsys.readouterr().out
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SCHEDULED

    Edition.objects.filter(pk=edition.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    call_command("send_editions")

    output = capsys.readouterr().out
    assert "Enqueued 1 due" in output and "@" not in output
    assert recipients() == addresses(readers)
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT


def test_an_unscheduled_edition_is_not_sent_when_its_time_comes(edition):
    confirmed(edition.newsletter, 1)
    schedule_edition(edition=edition, at=timezone.now() + timedelta(hours=1))

    unschedule_edition(edition=edition)
    Edition.objects.filter(pk=edition.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    call_command("send_editions", stdout=None)

    assert mail.outbox == []
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.DRAFT


def test_scheduling_defers_the_task_where_the_backend_can(edition, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    at = timezone.now() + timedelta(hours=3)

    schedule_edition(edition=edition, at=at)

    (queued,) = send_edition.get_backend().results
    assert queued.task.run_after == at and queued.args == [edition.pk]


def test_a_task_queued_for_an_earlier_time_does_nothing_after_a_reschedule(edition):
    confirmed(edition.newsletter, 1)
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SCHEDULED, scheduled_at=timezone.now() + timedelta(hours=1)
    )

    send_edition.enqueue(edition.pk)  # as a deferred task for the old time would run

    assert mail.outbox == []
    assert Edition.objects.get(pk=edition.pk).status == Edition.Status.SCHEDULED


@pytest.mark.parametrize(
    "change, refusal",
    [
        ({"status": Edition.Status.SENT}, "cannot be scheduled"),
        ({"status": Edition.Status.SENDING}, "cannot be scheduled"),
    ],
)
def test_only_drafts_and_scheduled_editions_can_be_scheduled(edition, change, refusal):
    Edition.objects.filter(pk=edition.pk).update(**change)
    edition.refresh_from_db()

    with pytest.raises(ValueError, match=refusal):
        schedule_edition(edition=edition)


def test_an_edition_without_visible_stories_or_of_an_inactive_newsletter_is_refused():
    empty = EditionFactory()
    EditionItemFactory(edition=empty, article=ArticleFactory(status=Status.DRAFT))
    with pytest.raises(ValueError, match="no story"):
        schedule_edition(edition=empty)

    inactive = EditionFactory(newsletter=NewsletterFactory(is_active=False))
    EditionItemFactory(edition=inactive, article=ArticleFactory(live=True))
    with pytest.raises(ValueError, match="inactive"):
        schedule_edition(edition=inactive)

    with pytest.raises(ValueError, match="passed"):
        schedule_edition(edition=empty, at=timezone.now() - timedelta(minutes=1))
    assert set(Edition.objects.values_list("status", flat=True)) == {Edition.Status.DRAFT}
