"""Absolute links and list headers for newsletter emails, built from PUBLIC_BASE_URL (a worker has
no request to take the host from)."""

from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from . import tokens
from .models import Subscriber, Subscription


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL + path


def confirm_url(subscription: Subscription) -> str:
    token = tokens.confirm_token(subscription)
    if settings.NEWSLETTER_CONFIRM_URL:
        return settings.NEWSLETTER_CONFIRM_URL.format(token=token)
    return absolute(reverse("newsletter-confirm-page", kwargs={"token": token}))


def manage_url(subscriber: Subscriber) -> str:
    token = tokens.manage_token(subscriber)
    if settings.NEWSLETTER_MANAGE_URL:
        return settings.NEWSLETTER_MANAGE_URL.format(token=token)
    return absolute(reverse("newsletter-manage-page", kwargs={"token": token}))


def unsubscribe_url(subscription: Subscription) -> str:
    """The one-click link (RFC 8058): a POST to it unsubscribes; a GET shows a page with a button.
    Always this API's own URL, since mail clients POST to it directly."""
    token = tokens.unsubscribe_token(subscription)
    return absolute(reverse("newsletter-unsubscribe-page", kwargs={"token": token}))


def header_text(value: str) -> str:
    """`value` on one line, for a header: admins type newsletter names and subjects, and a line
    break that slipped in would make Django refuse the whole email (BadHeaderError)."""
    return " ".join(value.split())


def list_headers(subscription: Subscription) -> dict[str, str]:
    """Headers for every email about a subscription: mail clients show an Unsubscribe button that
    POSTs `List-Unsubscribe=One-Click` to the link, with no login and no page in between."""
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"
    newsletter = subscription.newsletter
    # The name is quoted or RFC 2047-encoded here, as a phrase: left to Django, a non-ASCII name
    # would encode the whole value, `<id>` included, and mail clients would find no list id.
    list_id = formataddr((header_text(newsletter.name), f"{newsletter.slug}.{host}"), charset="utf-8")
    return {
        "List-Id": list_id,
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
