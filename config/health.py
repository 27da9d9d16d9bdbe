"""Liveness and readiness, for load balancers and orchestrators. Plain Django views, not in the
API schema, never cached."""

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from cms import exceptions


@exceptions.read_only
@never_cache  # a load balancer must hear from this process, not from a cache in front of it
def health(request):
    """Liveness: a constant body, no database, through the whole middleware stack. Also the bench's
    baseline (bench/)."""
    return JsonResponse({"status": "ok"})


def _database() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except exceptions.DATABASE_UNAVAILABLE:
        return False  # Django closes the broken connection at the request's end; the next one reconnects


def _cache() -> bool:
    probe = "api:ready"
    strict = cache.strict() if hasattr(cache, "strict") else cache  # ours degrades otherwise
    try:
        strict.set(probe, 1, 10)
    except Exception:  # the cache's own errors: refused, timed out, marked down
        return False
    return cache.get(probe) == 1


@exceptions.read_only
@never_cache
def ready(request):
    """Readiness: 200 while the database answers (the cache may be down: the API answers from the
    database then, slower), 503 with Retry-After while it does not."""
    database, cached = _database(), _cache()
    body = {
        "status": "ok" if database else "unavailable",
        "database": "ok" if database else "unavailable",
        "cache": "ok" if cached else "unavailable",
    }
    response = JsonResponse(body, status=200 if database else 503)
    if not database:
        response["Retry-After"] = str(exceptions.DATABASE_RETRY_AFTER)
    return response
