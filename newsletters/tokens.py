"""The signed links in newsletter emails. Each token signs a row's primary key with its
subscriber's `token_key`, so it needs no storage, cannot be forged or pointed at another row, and
stops working when the subscriber is erased. Confirmation links expire after
NEWSLETTER_CONFIRM_MAX_AGE; manage and unsubscribe links do not, because they sit in emails that
people open months later (RFC 8058 wants one-click unsubscribe to keep working).

Readers raise `signing.SignatureExpired` for an expired confirmation link and `signing.BadSignature`
(its base class) for anything else that is not a live link."""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from .models import Subscriber, Subscription

CONFIRM_SALT = "newsletters.confirm"
MANAGE_SALT = "newsletters.manage"
UNSUBSCRIBE_SALT = "newsletters.unsubscribe"


def confirm_token(subscription: Subscription) -> str:
    return signing.dumps([subscription.pk, subscription.subscriber.token_key], salt=CONFIRM_SALT)


def manage_token(subscriber: Subscriber) -> str:
    return signing.dumps([subscriber.pk, subscriber.token_key], salt=MANAGE_SALT)


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps([subscription.pk, subscription.subscriber.token_key], salt=UNSUBSCRIBE_SALT)


def _payload(token: str, salt: str, max_age: int | None = None) -> tuple[int, str]:
    payload = signing.loads(token, salt=salt, max_age=max_age)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        raise signing.BadSignature("Malformed payload.")
    return payload[0], str(payload[1])


def _checked(obj, subscriber: Subscriber, key: str):
    if not constant_time_compare(subscriber.token_key, key):
        raise signing.BadSignature("The subscriber's links were voided.")
    return obj


def _subscription(token: str, salt: str, max_age: int | None = None) -> Subscription:
    pk, key = _payload(token, salt, max_age=max_age)
    subscription = Subscription.objects.select_related("subscriber", "newsletter").filter(pk=pk).first()
    if subscription is None:
        raise signing.BadSignature("No such subscription.")
    return _checked(subscription, subscription.subscriber, key)


def subscription_from_confirm_token(token: str) -> Subscription:
    return _subscription(token, CONFIRM_SALT, max_age=settings.NEWSLETTER_CONFIRM_MAX_AGE)


def subscription_from_unsubscribe_token(token: str) -> Subscription:
    return _subscription(token, UNSUBSCRIBE_SALT)


def subscriber_from_manage_token(token: str) -> Subscriber:
    pk, key = _payload(token, MANAGE_SALT)
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None:
        raise signing.BadSignature("No such subscriber.")
    return _checked(subscriber, subscriber, key)
