"""Rate limits of newsletter signup: per client, so that one machine cannot flood inboxes or the
subscriber table, and per address, so that many machines cannot flood one inbox. Counts live in
Django's default cache (Redis in production, so every app server counts together).

The rates are read per request from settings (SIGNUP_RATE_PER_CLIENT, SIGNUP_RATE_PER_ADDRESS), so
that they can change without a code change. The client is the connecting address, or the one
NUM_PROXIES hops back in X-Forwarded-For (REST_FRAMEWORK["NUM_PROXIES"]): with 0, a header the
client sets itself cannot dodge the limit."""

from django.conf import settings
from django.utils.crypto import salted_hmac
from rest_framework.throttling import SimpleRateThrottle

from .services import normalise_email


class SignupClientThrottle(SimpleRateThrottle):
    scope = "newsletter-signup-client"

    def get_rate(self):
        return settings.SIGNUP_RATE_PER_CLIENT

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignupAddressThrottle(SimpleRateThrottle):
    scope = "newsletter-signup-address"

    def get_rate(self):
        return settings.SIGNUP_RATE_PER_ADDRESS

    def get_cache_key(self, request, view):
        data = request.data  # a body that is not JSON raises here, answered as 415 or 400
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None  # validation answers with a 400; nothing to count
        # A keyed hash: the cache (often shared, sometimes inspected) never holds the address, and
        # cannot be searched for one without the SECRET_KEY.
        try:
            address = normalise_email(email)
        except ValueError:
            return None  # validation answers with a 400; nothing to count
        ident = salted_hmac(self.scope, address, algorithm="sha256").hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
