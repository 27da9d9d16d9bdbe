"""The pages behind the links in newsletter emails, for readers who click them rather than going
through a frontend: confirm, unsubscribe, choose newsletters, erase. Server-rendered, no
JavaScript, and never the email address.

A GET only shows a button; the POST it makes does the work, because mail scanners fetch every link
in an email before the reader does. The signed token in the URL is the only credential, so there is
no CSRF token to check (no cookie grants anything here), which is also what lets mail providers
POST the one-click unsubscribe of RFC 8058 with no cookies and whatever body they send."""

from functools import wraps

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import links, services, tokens
from .models import Newsletter, Subscription
from .views import PRIVATE_HEADERS


def link_page(view):
    """GET and POST only, no CSRF check (see above), and the private headers on every answer."""

    allowed = require_http_methods(["GET", "POST"])(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = allowed(request, *args, **kwargs)
        for header, value in PRIVATE_HEADERS.items():
            response[header] = value
        return response

    return wrapper


def message(request, title: str, text: str, *, status: int = 200, link: tuple[str, str] | None = None):
    return render(
        request,
        "newsletters/pages/message.html",
        {"title": title, "text": text, "link": link},
        status=status,
    )


def invalid(request):
    return message(
        request,
        "This link does not work",
        "It may have been copied incompletely, or the subscription it was for no longer exists.",
        status=404,
    )


def _read(reader, token: str):
    """The row a token names, or None for a link that does not work (expired confirmation links
    raise `signing.SignatureExpired` on to the caller)."""
    try:
        return reader(token)
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        return None


@link_page
def confirm_page(request, token):
    try:
        subscription = _read(tokens.subscription_from_confirm_token, token)
    except signing.SignatureExpired:
        return message(
            request,
            "This link has expired",
            "Confirmation links work for a few days only. Sign up again to get a new one.",
            status=410,
            link=(settings.FRONTEND_BASE_URL, f"Go to {settings.SITE_NAME}"),
        )
    if subscription is None:
        return invalid(request)
    newsletter = subscription.newsletter
    if request.method == "POST":
        services.confirm(subscription=subscription)
    if subscription.status == Subscription.Status.CONFIRMED:
        return message(
            request,
            "You are subscribed",
            f"{newsletter.name} will arrive in your inbox from now on.",
            link=(links.manage_url(subscription.subscriber), "Manage your newsletters"),
        )
    return render(request, "newsletters/pages/confirm.html", {"newsletter": newsletter})


@link_page
def unsubscribe_page(request, token):
    subscription = _read(tokens.subscription_from_unsubscribe_token, token)
    if subscription is None:
        return invalid(request)
    newsletter = subscription.newsletter
    if request.method == "POST":  # the body is never read: RFC 8058 clients send what they send
        services.unsubscribe(subscription=subscription)
        return message(request, "You are unsubscribed", f"You will receive no more of {newsletter.name}.")
    return render(request, "newsletters/pages/unsubscribe.html", {"newsletter": newsletter})


@link_page
def manage_page(request, token):
    subscriber = _read(tokens.subscriber_from_manage_token, token)
    if subscriber is None:
        return invalid(request)
    newsletters = list(Newsletter.objects.active())
    if request.method == "POST":
        chosen = set(request.POST.getlist("newsletters"))
        services.set_preferences(
            subscriber=subscriber, newsletters=[n for n in newsletters if n.slug in chosen]
        )
        # Back to a GET, so that reloading the page does not post the form again.
        return redirect(reverse("newsletter-manage-page", kwargs={"token": token}) + "?saved=1")
    confirmed = set(subscriber.subscriptions.confirmed().values_list("newsletter_id", flat=True))
    context = {
        "choices": [(newsletter, newsletter.pk in confirmed) for newsletter in newsletters],
        "saved": request.GET.get("saved") == "1",
        "erase_url": reverse("newsletter-erase-page", kwargs={"token": token}),
    }
    return render(request, "newsletters/pages/manage.html", context)


@link_page
def erase_page(request, token):
    subscriber = _read(tokens.subscriber_from_manage_token, token)
    if subscriber is None:
        return invalid(request)
    if request.method == "POST":
        services.erase_subscriber(subscriber=subscriber, via="link")
        return message(
            request,
            "Everything about you is erased",
            "Your address and your subscriptions are gone, and the links in our emails no longer work.",
        )
    manage_url = reverse("newsletter-manage-page", kwargs={"token": token})
    return render(request, "newsletters/pages/erase.html", {"manage_url": manage_url})
