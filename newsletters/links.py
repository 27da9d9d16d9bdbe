"""Absolute links and list headers for newsletter emails, built from PUBLIC_BASE_URL (a worker has
no request to take the host from)."""

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


def list_headers(subscription: Subscription) -> dict[str, str]:
    """Headers for every email about a subscription: mail clients show an Unsubscribe button that
    POSTs `List-Unsubscribe=One-Click` to the link, with no login and no page in between."""
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"
    newsletter = subscription.newsletter
    return {
        "List-Id": f"{newsletter.name} <{newsletter.slug}.{host}>",
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
