"""Who the client is, one rule for every limit (throttles, login lockout)."""

from django.conf import settings


def client_address(request) -> str:
    """The connecting address, or the one NUM_PROXIES hops back in X-Forwarded-For, as DRF's
    throttles read it (REST_FRAMEWORK["NUM_PROXIES"]): with 0, a header the client sets itself
    changes nothing."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    if not proxies or not forwarded:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()
