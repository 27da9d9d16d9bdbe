"""The rate limit of searches: a search with a new `q` is never a cache hit, and costs a ranking in
the database, so one client could loop new ones to slow everyone. Per client (the connecting
address, or NUM_PROXIES hops back in X-Forwarded-For, as signup's), at SEARCH_RATE_PER_CLIENT, read
per request from settings; past it, a 429 problem with Retry-After. With an API key, per key.
Cache hits are answered before the view and are not counted; requests without `q` are not
searches."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from partners.permissions import is_key


class SearchClientThrottle(SimpleRateThrottle):
    scope = "search-client"

    def get_rate(self):
        return settings.SEARCH_RATE_PER_CLIENT

    def get_cache_key(self, request, view):
        if not request.query_params.get("q"):
            return None
        # A key has a limit of its own: clients behind one address do not share theirs.
        ident = f"key:{request.auth.prefix}" if is_key(request.auth) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
