"""Quotas: requests per window, per API key and per anonymous client, counted in the cache in
fixed windows. Every answer under a quota carries the IETF RateLimit fields
(draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "key";q=1200;w=60` and
`RateLimit: "key";r=1187;t=42` (remaining, seconds until the window resets); past the quota, a
429 problem with Retry-After.

Only requests that reach a view count: answers from the response cache (anonymous hits and 304s)
are free. The figures go on the answers to a key, which are private; anonymous answers are public
and shared, so they carry none: not another client's figures, and no sign that this answer was
made for this request rather than kept from someone else's (tests/test_caching.py). An anonymous
client past its quota gets the 429 with its figures. Staff signed in to the admin have no quota.
A cache that cannot count lets requests through, without figures: slower to protect, never
refusing readers."""

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from cms.clients import client_address

from .permissions import is_key

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Policy:
    name: str
    quota: int  # requests per window
    window: int  # seconds


@dataclass(frozen=True)
class Standing:
    """Where one client stands under its policy after this request."""

    policy: Policy
    used: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(self.policy.quota - self.used, 0)

    @property
    def allowed(self) -> bool:
        return self.used <= self.policy.quota

    def headers(self) -> dict[str, str]:
        name = f'"{self.policy.name}"'
        return {
            "RateLimit-Policy": f"{name};q={self.policy.quota};w={self.policy.window}",
            "RateLimit": f"{name};r={self.remaining};t={self.reset}",
        }


def parse_rate(rate: str) -> tuple[int, int] | None:
    """ "1200/minute" -> (1200, 60), read as DRF reads its rates (by the period's first letter:
    1200/m, 1200/min); "" or "off" -> None (no quota)."""
    rate = (rate or "").strip().lower()
    if rate in ("", "off"):
        return None
    count, _, period = rate.partition("/")
    seconds = {name[0]: value for name, value in PERIODS.items()}.get(period[:1])
    if not count.isdigit() or int(count) == 0 or seconds is None:
        raise ValueError(f"A quota is N/second, N/minute, N/hour or N/day (N > 0), or off: {rate!r}")
    return int(count), seconds


def anonymous(request) -> tuple[Policy, str] | None:
    """The anonymous policy and the client it counts against; None when there is no quota."""
    rate = parse_rate(settings.ANONYMOUS_QUOTA)
    return None if rate is None else (Policy("anonymous", *rate), f"client:{client_address(request)}")


def policy_for(request) -> tuple[Policy, str] | None:
    """The policy a request is counted under and who it counts against; None: not counted."""
    if is_key(request.auth):
        quota, window = parse_rate(settings.API_KEY_QUOTA) or (None, None)
        if request.auth.quota is not None:
            quota, window = request.auth.quota, window or PERIODS["minute"]
        if quota is None:
            return None
        return Policy("key", quota, window), f"key:{request.auth.prefix}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None  # staff signed in to the admin
    return anonymous(request)


# Anonymous requests are counted in batches: each process adds up to 1/BATCHES of the quota
# locally before it adds them to the shared count in one round trip, and counts every request once
# the total comes near the quota. A client gets at most a batch per process more than its quota; a
# key's requests are counted one by one, as its answers show the figures.
BATCHES = 32
LOCAL_KEPT = 10_000  # clients counted locally at once (per process)
_pending: dict[str, list[int]] = {}  # window key -> [requests not yet added, last shared total]


def count(policy: Policy, ident: str) -> Standing | None:
    """Count one request in the current window; None when the cache cannot count. A client past
    an anonymous quota is refused everything until the window ends (QuotaMiddleware)."""
    now = timezone.now().timestamp()
    start = math.floor(now / policy.window) * policy.window
    key = f"quota:{policy.name}:{policy.window}:{ident}:{start}"
    batch = max(1, policy.quota // BATCHES) if policy.name == "anonymous" else 1
    if key not in _pending and len(_pending) >= LOCAL_KEPT:
        _pending.clear()  # windows past, mostly; what is lost is at most a batch per client
    counted = _pending.setdefault(key, [0, 0])
    counted[0] += 1
    if counted[0] < batch and counted[1] + counted[0] <= policy.quota - batch:
        used = counted[1] + counted[0]
    else:
        used = _add(key, counted[0], policy.window + 1)
        if used is None:
            return None
        _pending[key] = [0, used]
    standing = Standing(policy, used, max(math.ceil(start + policy.window - now), 1))
    if not standing.allowed and policy.name == "anonymous":
        _refuse_until(ident, policy, start + policy.window)
    return standing


def _add(key: str, requests: int, timeout: int) -> int | None:
    """Add to a shared count; its total, or None when the cache cannot count."""
    from cms.caching import CacheUnavailable  # DRF imports the throttles before the models are ready

    try:
        if hasattr(cache, "increment"):  # Redis (cms.caching.RedisCache): one round trip
            return cache.increment(key, timeout, by=requests)
        if cache.add(key, requests, timeout):
            return requests
        return cache.incr(key, requests)
    except (CacheUnavailable, ValueError):  # down, or the window's entry just expired
        return None


# The clients refused now, {ident: (policy, until)}, in one cache entry that each process reads at
# most once per CACHE_TOKEN_TRUST_SECONDS (as it does the purge token): answers from the response
# cache cost no round trip for it. At most REFUSED_KEPT clients (under a flood, the ones refused
# last); a write may race another and drop a client, which its next refused request adds again.
REFUSED_KEY = "quota:refused"
REFUSED_KEPT = 10_000


class _Refused:
    clients: dict = {}
    read_until = 0.0


_refused = _Refused()


def _refuse_until(ident: str, policy: Policy, until: float) -> None:
    now = timezone.now().timestamp()
    clients = {key: value for key, value in (cache.get(REFUSED_KEY) or {}).items() if value[1] > now}
    clients[ident] = (policy, until)
    if len(clients) > REFUSED_KEPT:
        clients = dict(sorted(clients.items(), key=lambda item: item[1][1])[-REFUSED_KEPT:])
    cache.set(REFUSED_KEY, clients, policy.window + 1)
    _refused.clients, _refused.read_until = clients, time.monotonic() + settings.CACHE_TOKEN_TRUST_SECONDS


def refused(ident: str) -> tuple[Policy, float] | None:
    if time.monotonic() >= _refused.read_until:
        _refused.clients = cache.get(REFUSED_KEY) or {}  # a down cache: nobody
        _refused.read_until = time.monotonic() + settings.CACHE_TOKEN_TRUST_SECONDS
    return _refused.clients.get(ident)


def count_failed_credentials(request) -> Standing | None:
    """A request whose credentials were refused counts against its address's anonymous quota
    (every one costs a lookup): past it, the refusal is a 429."""
    found = anonymous(request)
    return count(*found) if found is not None else None


class QuotaThrottle(BaseThrottle):
    """The DRF side: counts the request and refuses it past the quota. Its standing is kept on
    the request for QuotaMiddleware."""

    def allow_request(self, request, view) -> bool:
        found = policy_for(request)
        standing = count(*found) if found is not None else None
        if standing is None:
            return True
        request._request.quota_standing = standing
        self.standing = standing
        return standing.allowed

    def wait(self) -> int:
        return self.standing.reset


class QuotaMiddleware:
    """Goes before (outside) the response cache. On the way in: an anonymous client past its
    quota is refused at once, answers from the cache included, until its window ends; otherwise a
    200 kept from someone else's request, beside 429s for the rest, would tell it what others
    asked for. On the way out: the RateLimit fields on a key's answers and on refusals, never
    stored with a cached response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self._refused(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        standing = getattr(request, "quota_standing", None)
        if standing is not None and (standing.policy.name == "key" or not standing.allowed):
            for name, value in standing.headers().items():
                response[name] = value
        return response

    @staticmethod
    def _refused(request):
        if (
            not request.path_info.startswith("/api/v1/")  # the API's content; not health checks
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return None
        found = anonymous(request)
        kept = refused(found[1]) if found is not None else None
        if kept is None:
            return None
        policy, until = kept
        reset = math.ceil(until - timezone.now().timestamp())
        if reset <= 0:
            return None
        from cms.exceptions import problem_response  # it imports DRF's views, which import this

        response = problem_response(429, f"Request was throttled. Expected available in {reset} seconds.")
        response["Retry-After"] = str(reset)
        for name, value in Standing(policy, policy.quota + 1, reset).headers().items():
            response[name] = value
        response["Cache-Control"] = "no-store"
        return response
