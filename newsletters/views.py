"""Newsletters in the API: the public list, signup (double opt-in, throttled, the same answer for
every address) and the self-service endpoints behind the signed links in emails. The plain pages
for the same links are in pages.py; the writes themselves in services.py."""

from functools import partial

from django.core import signing
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from cms.caching import SurrogateKeyMixin
from cms.deferred import ThenResponse
from cms.exceptions import PROBLEM_CONTENT_TYPE
from cms.fields import FieldSelectionMixin
from cms.schema import documented_problem

from . import services, tokens
from .models import Newsletter
from .serializers import (
    NewsletterSerializer,
    PreferencesSerializer,
    PreferencesUpdateSerializer,
    SignupAcceptedSerializer,
    SignupSerializer,
    SubscriptionOutcomeSerializer,
)
from .throttling import SignupAddressThrottle, SignupClientThrottle


class NewsletterViewSet(SurrogateKeyMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Newsletters a reader can sign up to. Inactive newsletters are not listed."""

    lookup_field = "slug"
    serializer_class = NewsletterSerializer

    def get_queryset(self):
        return Newsletter.objects.active()


# --- Signup and self-service -------------------------------------------------------------------
# Everything below answers about one reader: never stored by a cache (cms/caching.py keeps a view's
# own private Cache-Control), never indexed, and the token in the URL never sent on as a Referer.
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
# One body for every accepted signup, new address or known, so that it tells nobody who subscribes.
SIGNUP_ACCEPTED = {"detail": "Check your inbox to confirm your subscription."}


class LinkInvalid(exceptions.NotFound):
    default_detail = "This link is not valid: it may be mistyped, or the subscription no longer exists."
    default_code = "link_invalid"


class LinkExpired(exceptions.APIException):
    status_code = 410
    default_detail = "This confirmation link has expired. Sign up again to get a new one."
    default_code = "link_expired"


def _token_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("token", str, OpenApiParameter.PATH, description=description)


LINK_INVALID = documented_problem(
    404, "Not a valid link, or its subscriber was erased", LinkInvalid.default_detail, code="link_invalid"
)
LINK_EXPIRED = documented_problem(
    410, "Confirmation link expired", LinkExpired.default_detail, code="link_expired"
)


class PrivateAPIView(APIView):
    """A signed token in the URL is the credential: no session, so no CSRF either."""

    authentication_classes = []
    permission_classes = []

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in PRIVATE_HEADERS.items():  # errors too: they say whether a link works
            response[header] = value
        return response


def read_token(reader, token: str):
    try:
        return reader(token)
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except signing.BadSignature:
        raise LinkInvalid() from None


def _outcome(subscription) -> dict:
    newsletter = subscription.newsletter
    return {"status": subscription.status, "newsletter": {"slug": newsletter.slug, "name": newsletter.name}}


class SignupView(PrivateAPIView):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SignupClientThrottle, SignupAddressThrottle]

    @extend_schema(
        operation_id="newsletters_subscriptions_create",
        summary="Sign up to a newsletter",
        description="Starts double opt-in: a confirmation email with a link goes to the address, "
        "and the subscription begins when that link is followed. The answer is the same whether the "
        "address is new, waiting for confirmation, subscribed or unsubscribed, so it tells nobody "
        "who subscribes; a confirmed address gets no email, and a pending one at most one per "
        "NEWSLETTER_RESEND_AFTER. Rate limited per client and per address.",
        parameters=[
            OpenApiParameter("slug", str, OpenApiParameter.PATH, description="Slug of the newsletter.")
        ],
        request=SignupSerializer,
        responses={
            202: OpenApiResponse(
                SignupAcceptedSerializer,
                description="Accepted: if the address can receive the newsletter, a confirmation "
                "email is on its way. The same answer for every address.",
                examples=[OpenApiExample("Accepted", value=SIGNUP_ACCEPTED)],
            ),
            (400, PROBLEM_CONTENT_TYPE): documented_problem(
                400,
                "Invalid body (or not valid JSON)",
                "The request body is invalid.",
                code="invalid",
                errors=[{"detail": "Enter a valid email address.", "pointer": "#/email"}],
            ),
            (404, PROBLEM_CONTENT_TYPE): documented_problem(
                404,
                "No active newsletter has this slug",
                "No active newsletter has this slug.",
                code="not_found",
            ),
            (415, PROBLEM_CONTENT_TYPE): documented_problem(
                415,
                "The body is not JSON",
                'Unsupported media type "application/x-www-form-urlencoded" in request.',
                code="unsupported_media_type",
            ),
            (429, PROBLEM_CONTENT_TYPE): documented_problem(
                429,
                "Too many signups from this client or for this address; see `Retry-After`",
                "Request was throttled. Expected available in 3600 seconds.",
                code="throttled",
            ),
        },
        examples=[
            OpenApiExample(
                "Signup",
                value={"email": "reader@example.com", "name": "Ann Reader", "source": "article-footer"},
                request_only=True,
            )
        ],
    )
    def post(self, request, slug):
        newsletter = Newsletter.objects.active().filter(slug=slug).first()
        if newsletter is None:
            raise exceptions.NotFound("No active newsletter has this slug.")
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Whether the address is new, pending or confirmed decides what subscribe() reads and
        # writes, and so how long it takes: it runs once the answer is sent, so that the time to
        # the answer tells nobody who subscribes.
        return ThenResponse(
            SIGNUP_ACCEPTED,
            status=status.HTTP_202_ACCEPTED,
            then=partial(services.subscribe, newsletter=newsletter, **serializer.validated_data),
        )


def _outcome_response(status: str, title: str) -> OpenApiResponse:
    return OpenApiResponse(
        SubscriptionOutcomeSerializer,
        description=f"{title}.",
        examples=[
            OpenApiExample(
                title,
                value={
                    "status": status,
                    "newsletter": {"slug": "morning-briefing", "name": "Morning Briefing"},
                },
            )
        ],
    )


class ConfirmView(PrivateAPIView):
    @extend_schema(
        operation_id="subscriptions_confirm",
        summary="Confirm a subscription",
        description="Follows the link of a confirmation email: the subscription is confirmed and "
        "editions are sent to it from now on. Safe to repeat. For a frontend that has its own "
        "confirmation page (NEWSLETTER_CONFIRM_URL); the API's own page does the same.",
        parameters=[_token_parameter("The token of the confirmation link.")],
        request=None,
        responses={
            200: _outcome_response("confirmed", "Confirmed"),
            (404, PROBLEM_CONTENT_TYPE): LINK_INVALID,
            (410, PROBLEM_CONTENT_TYPE): LINK_EXPIRED,
        },
    )
    def post(self, request, token):
        subscription = read_token(tokens.subscription_from_confirm_token, token)
        return Response(_outcome(services.confirm(subscription=subscription)))


class UnsubscribeView(PrivateAPIView):
    @extend_schema(
        operation_id="subscriptions_unsubscribe",
        summary="Unsubscribe from one newsletter",
        description="Follows the unsubscribe link of an email, for a frontend: no more editions of "
        "that newsletter go to the reader. Safe to repeat. Mail clients' one-click unsubscribe "
        "(RFC 8058) posts to the link in the `List-Unsubscribe` header instead.",
        parameters=[_token_parameter("The token of the unsubscribe link.")],
        request=None,
        responses={
            200: _outcome_response("unsubscribed", "Unsubscribed"),
            (404, PROBLEM_CONTENT_TYPE): LINK_INVALID,
        },
    )
    def post(self, request, token):
        subscription = read_token(tokens.subscription_from_unsubscribe_token, token)
        return Response(_outcome(services.unsubscribe(subscription=subscription)))


MANAGE_TOKEN = _token_parameter("The token of the manage link in every newsletter email.")
PREFERENCES_EXAMPLE = OpenApiExample(
    "Preferences",
    value={
        "name": "Ann Reader",
        "subscriptions": [
            {"newsletter": {"slug": "morning-briefing", "name": "Morning Briefing"}, "status": "confirmed"}
        ],
        "newsletters": [
            {
                "id": 1,
                "slug": "morning-briefing",
                "name": "Morning Briefing",
                "description": "The day's news at 7am.",
                "frequency": "daily",
            }
        ],
    },
    response_only=True,
)


class ManageView(PrivateAPIView):
    def preferences(self, subscriber) -> Response:
        data = {
            "name": subscriber.name,
            "subscriptions": list(
                subscriber.subscriptions.select_related("newsletter").order_by("newsletter__name")
            ),
            "newsletters": list(Newsletter.objects.active()),
        }
        return Response(PreferencesSerializer(data).data)

    @extend_schema(
        operation_id="subscriptions_retrieve",
        summary="A reader's newsletters",
        description="What the reader of a manage link signed up to, and which newsletters they can "
        "choose from. Never the email address.",
        parameters=[MANAGE_TOKEN],
        responses={
            200: OpenApiResponse(
                PreferencesSerializer,
                description="The reader's subscriptions and choices.",
                examples=[PREFERENCES_EXAMPLE],
            ),
            (404, PROBLEM_CONTENT_TYPE): LINK_INVALID,
        },
    )
    def get(self, request, token):
        return self.preferences(read_token(tokens.subscriber_from_manage_token, token))

    @extend_schema(
        operation_id="subscriptions_update",
        summary="Choose newsletters",
        description="The reader receives exactly the newsletters named, confirmed at once (the "
        "manage link proves the address is theirs), and is unsubscribed from the other active ones. "
        "Subscriptions to inactive newsletters, which cannot be chosen, are left as they are.",
        parameters=[MANAGE_TOKEN],
        request=PreferencesUpdateSerializer,
        responses={
            200: OpenApiResponse(
                PreferencesSerializer, description="Saved; the new state.", examples=[PREFERENCES_EXAMPLE]
            ),
            (400, PROBLEM_CONTENT_TYPE): documented_problem(
                400,
                "Invalid body, or a slug that names no active newsletter",
                "The request body is invalid.",
                code="invalid",
                errors=[
                    {"detail": "No active newsletter has the slug 'old-digest'.", "pointer": "#/newsletters"}
                ],
            ),
            (404, PROBLEM_CONTENT_TYPE): LINK_INVALID,
        },
        examples=[OpenApiExample("Choice", value={"newsletters": ["morning-briefing"]}, request_only=True)],
    )
    def put(self, request, token):
        subscriber = read_token(tokens.subscriber_from_manage_token, token)
        serializer = PreferencesUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slugs = list(dict.fromkeys(serializer.validated_data["newsletters"]))
        newsletters = list(Newsletter.objects.active().filter(slug__in=slugs))
        unknown = sorted(set(slugs) - {newsletter.slug for newsletter in newsletters})
        if unknown:
            names = ", ".join(repr(slug) for slug in unknown)
            raise exceptions.ValidationError({"newsletters": [f"No active newsletter has the slug {names}."]})
        services.set_preferences(subscriber=subscriber, newsletters=newsletters)
        return self.preferences(subscriber)

    @extend_schema(
        operation_id="subscriptions_destroy",
        summary="Erase the reader",
        description="Forgets the address and everything about it: every subscription ends, and "
        "every link sent to it stops working. Only an anonymous count of erasures remains.",
        parameters=[MANAGE_TOKEN],
        responses={
            204: OpenApiResponse(description="Erased."),
            (404, PROBLEM_CONTENT_TYPE): LINK_INVALID,
        },
    )
    def delete(self, request, token):
        subscriber = read_token(tokens.subscriber_from_manage_token, token)
        services.erase_subscriber(subscriber=subscriber, via="link")
        return Response(status=status.HTTP_204_NO_CONTENT)
