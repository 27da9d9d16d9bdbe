"""Emails to subscribers, built from a pair of templates (`<name>.txt` and `<name>.html`) and sent
through Django's email backends. Nothing here logs or raises with an address in it: a failure says
which subscription, and the address stays in the database."""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from . import links
from .models import Subscription


class EmailNotSent(Exception):
    """Sending failed. The backend's own error is left out: SMTP errors quote the address."""


def build_message(
    *, subject: str, to: str | Sequence[str], template: str, context: dict, headers: dict[str, str]
) -> EmailMultiAlternatives:
    """A plain-text email with an HTML alternative, rendered from `template` + `.txt` / `.html`
    with `context`, from DEFAULT_FROM_EMAIL, with `headers` (e.g. `links.list_headers()`)."""
    message = EmailMultiAlternatives(
        subject=links.header_text(subject),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to] if isinstance(to, str) else list(to),
        headers=headers,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def send(message: EmailMultiAlternatives, *, what: str) -> None:
    """Send `message`; on failure raise `EmailNotSent` naming `what` (never the recipient)."""
    try:
        message.send()
    except Exception as error:
        raise EmailNotSent(f"Could not send {what}: {type(error).__name__}.") from None


def expires_in(seconds: int) -> str:
    """`3 days`, `1 day`, `12 hours`: how long a link works, as a reader would say it."""
    days, hours = seconds // 86400, max(1, round(seconds / 3600))
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def send_confirmation(*, subscription_id: int) -> None:
    """The double opt-in email: a link to confirm the subscription. Nothing is sent if the
    subscription is gone (erased meanwhile), confirmed already, or its newsletter is inactive.
    The name the reader gave is left out: anyone can sign up any address, and a name field that
    reaches the inbox would let them write to strangers through us."""
    subscription = (
        Subscription.objects.select_related("subscriber", "newsletter").filter(pk=subscription_id).first()
    )
    if (
        subscription is None
        or subscription.status == Subscription.Status.CONFIRMED
        or not subscription.newsletter.is_active
    ):
        return
    newsletter = subscription.newsletter
    context = {
        "newsletter": newsletter,
        "confirm_url": links.confirm_url(subscription),
        "manage_url": links.manage_url(subscription.subscriber),
        "unsubscribe_url": links.unsubscribe_url(subscription),
        "expires_in": expires_in(settings.NEWSLETTER_CONFIRM_MAX_AGE),
        "site_name": settings.SITE_NAME,
    }
    message = build_message(
        subject=f"Confirm your subscription to {newsletter.name}",
        to=subscription.subscriber.email,
        template="newsletters/confirmation_email",
        context=context,
        headers=links.list_headers(subscription),
    )
    send(message, what=f"the confirmation email of subscription {subscription.pk}")
