"""HTTP caching of the public API, in one place: validators, Cache-Control, the server-side cache
of responses and its invalidation.

Every GET (and HEAD) under /api/v1/ (except /api/v1/preview/), /feeds/ and the sitemaps goes
through `CacheMiddleware`:

- Anonymous 200s get a strong `ETag` (MD5 of the body), `Last-Modified`, `Cache-Control: public,
  max-age=CACHE_MAX_AGE, stale-while-revalidate=CACHE_STALE_WHILE_REVALIDATE`, `Vary: Accept,
  Origin`, and `Surrogate-Key` / `Cache-Tag` naming the objects in the body, so a CDN can purge
  precisely. `If-None-Match` (or, without it, `If-Modified-Since`) answers 304 with those headers.
- `Last-Modified` is when this cache first stored the body it serves now: kept while rebuilds give
  the same body, moved on (at least a second) when the body changes. Timestamps inside the content
  would miss changes that have none (an item unpublished from a list, a topic renamed). A response
  not stored says when it was made, and only its ETag can give a 304.
- Redirects get `public, max-age=CACHE_MAX_AGE`; 4xx `public, max-age=CACHE_ERROR_MAX_AGE` (short:
  a 404 may become a page any minute); 429 and 5xx `no-store`. Requests with credentials (a
  session cookie of a logged-in user, an Authorization header) get `private, no-store` and are
  never stored nor answered from the cache. A view's own Cache-Control is kept: a private or
  no-store one as the whole answer, another (e.g. no-cache) with validators, never stored.
- Published-ness changes with no write when a scheduled item's time comes or an item expires, so
  no response is cached, here or by max-age downstream, past the next such instant.

The server-side cache (Django's "default" cache: local memory, or Redis with REDIS_URL) keeps
anonymous 200s of views that name their contents (`SurrogateKeyMixin`, `add_surrogate_keys`), per
scheme, host, path, normalised query string and Accept. Hits are answered here, before URL
resolution, sessions and DRF: one cache round trip for the entry and the global token, and one
more for the entry's key versions only when something changed since this process last checked.

One rule keeps everything kept true: cached responses, per-item renderings (`Renderings`) and
counts (`cached_value`). Every key (`article-12`, `topic-3`, or `articles` for lists whose
membership changes when any article is saved) has a random version in the cache; an entry keeps
the versions of its keys from when it was built and is served only while they are all unchanged,
no scheduled transition has passed, and the release (cms/release.py) is the one it was made by.
Each app registers its models (`register()`, from its `AppConfig.ready()`): their keys and what
else a change affects. Their signals give new versions to those keys, at once and again after the
transaction commits (a response rendered from the data as it was before the commit may be stored
in between). A global token changes with every such change: it lets a process skip re-checking an
entry's keys while nothing has changed since it last did, and it stops an entry from being stored
when anything changed while it was being rendered.
"""

import contextvars
import functools
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import get_resolver
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_http_date_safe

from .publishing import PUBLISHING_FIELDS, Publishable, Status
from .renderers import JSON_OR_NINJS, NINJS_MEDIA_TYPE, NinjsRenderer, negotiated

logger = logging.getLogger(__name__)

# The public GETs: the API, feeds and sitemaps (sitemap.xml, sitemaps/, sitemap-news.xml).
CACHED_PATH = ("/api/v1/", "/feeds/", "/sitemap")
# Answers for whoever holds a signed link, private and no-store: draft previews (cms/preview.py),
# a subscriber's preferences (newsletters/views.py).
UNCACHED_PATH = ("/api/v1/preview/", "/api/v1/drafts/", "/api/v1/subscriptions/", "/api/v1/images/")
PRIVATE = "private, no-store"
VARY = "Accept, Origin"

GLOBAL_KEY = "api:token"
SCHEDULE_KEY = "api:next-transition"
VERSION_TIMEOUT = 7 * 24 * 3600  # a version that expired is made anew: entries holding the old one miss
CONDITIONAL_HEADERS = ("ETag", "Last-Modified", "Vary", "Surrogate-Key", "Cache-Tag")

# Per process: entries whose key versions were checked while the global token was as noted.
_checked: dict[str, tuple[int, object]] = {}
# Per process: renderings, counts and the schedule as read from the cache while the global token
# was as noted, with the time they are good until. While the token is unchanged nothing was
# purged, so they are still what the cache holds: a request reads the token once and the rest
# from here. (The same rule, not another one: a purge changes the token.)
_memo: dict[str, tuple[object, object, float | None]] = {}
MEMO_SIZE = 20_000
# Per process, by the same rule: the busiest cached responses as last checked, with the token then
# and when the process stops trusting its copy (CACHE_SERVER_TTL after, as Redis would drop it).
# A hit on one reads only the token, not the whole response, from the cache.
_entries: dict[str, tuple[object, tuple, float]] = {}
ENTRIES_KEPT = 300
_request_token: contextvars.ContextVar = contextvars.ContextVar("request_token", default=None)
# The schedule's entry and versions, read with the global token by a request's first read.
_request_schedule: contextvars.ContextVar = contextvars.ContextVar("request_schedule", default=None)
_UNREAD = object()


def _current_token():
    """The global token, read once per request (None outside one, or when the cache is down:
    then nothing is remembered)."""
    token = _known_token()
    if token is _UNREAD:
        token = _global_token()
        _request_token.set(token)
    return token


def _known_token():
    """The global token if this request has it without asking the cache (read, or trusted):
    _UNREAD if not yet, None outside a request."""
    token = _request_token.get()
    if token is _UNREAD and (trusted := _trusted_token()) is not None:
        _request_token.set(trusted)
        return trusted
    return token


def _read_first(names: Iterable[str]) -> dict:
    """A request's first read of the cache: `names`, the global token and the schedule's entry in
    one round trip. Sets the request's token and keeps the schedule's part for `schedule()`."""
    schedule_names = [SCHEDULE_KEY, *_schedule_version_keys()]
    found = cache.get_many([GLOBAL_KEY, *schedule_names, *names])
    token = _global_token(found)
    _request_token.set(token)
    _request_schedule.set({name: found[name] for name in schedule_names if name in found})
    return found


def _fetch(names: list[str]) -> tuple[dict, object]:
    """`cache.get_many(names)` and the global token, in one round trip."""
    token = _known_token()
    if token is _UNREAD:
        found = _read_first(names)
        return {name: found[name] for name in names if name in found}, _request_token.get()
    if token is None:  # outside a request (or the cache is down): read it with them
        found = cache.get_many([*names, GLOBAL_KEY])
        token = _global_token(found)
        found.pop(GLOBAL_KEY, None)
        return found, token
    return cache.get_many(names), token


def _global_token(found: dict | None = None):
    """The global token, made if the cache has none yet (None if the cache does not answer)."""
    token = cache.get(GLOBAL_KEY) if found is None else found.get(GLOBAL_KEY)
    if token is None:
        cache.add(GLOBAL_KEY, _token(), None)
        token = cache.get(GLOBAL_KEY)
    _trust_token(token)
    return token


class _Trust:
    """The global token as this process last read it, and until when it goes on trusting it
    without asking (CACHE_TOKEN_TRUST_SECONDS): a purge made elsewhere reaches this process
    within that time; one made here, at once. Browsers and CDNs keep a response far longer."""

    token = None
    until = 0.0


_trust = _Trust()


def _trusted_token():
    return _trust.token if _trust.token is not None and time.monotonic() < _trust.until else None


def _trust_token(token) -> None:
    if token is not None:
        _trust.token, _trust.until = token, time.monotonic() + settings.CACHE_TOKEN_TRUST_SECONDS


def _recall(name: str, token=_UNREAD, now: float | None = None):
    """What the memo holds for `name` under the current token, if still good; never a round trip
    when a token is given (or _UNREAD: then nothing is recalled). `now`: the time as a timestamp,
    when the caller has it."""
    found = _memo.get(name)
    if token is None or found is None or found[0] != token:
        return None
    if found[2] is not None and found[2] <= (timezone.now().timestamp() if now is None else now):
        return None
    return found


def _remember_value(name: str, value, until: float | None, token=None) -> None:
    token = token if token is not None else _current_token()
    if token is None:
        return
    if len(_memo) >= MEMO_SIZE:
        _memo.clear()
    _memo[name] = (token, value, until)


# --- Naming what a response contains -----------------------------------------------------------
def add_surrogate_keys(response, objects: Iterable = (), keys: Iterable[str] = ()) -> None:
    """Record the model objects a response was built from (with whatever they have loaded:
    select_related, prefetches, lists set on them such as `latest`) and extra keys such as
    `articles`. The middleware names them in Surrogate-Key and keeps the response in the server
    cache; a response without this call is never stored there."""
    response.surrogate_objects = [*getattr(response, "surrogate_objects", ()), *objects]
    response.surrogate_keys = {*getattr(response, "surrogate_keys", ()), *keys}


class SurrogateKeyMixin:
    """Viewset mixin: names the objects of each list page and detail response. A list also depends
    on which objects of its model are visible (the `articles` key for articles); `detail_keys`
    adds keys for detail pages that list other content (a topic page: `articles`, `videos`)."""

    detail_keys: tuple[str, ...] = ()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self._served = (page, list_keys(queryset.model))
        return page

    def get_object(self):
        obj = super().get_object()
        self._served = ([obj], self.detail_keys)
        return obj

    def also_served(self, keys: Iterable[str]) -> None:
        """Name `keys` too: what the response shows beside the objects it was built from."""
        objects, served_keys = self._served
        self._served = (objects, {*served_keys, *keys})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        served = getattr(self, "_served", None)
        if served is not None and response.status_code == 200:
            add_surrogate_keys(response, *served)
        return response


_plans: dict[type, tuple] = {}


def _plan(model) -> tuple:
    """What to read of a model's objects, worked out once: its registration, the primary key, and
    its own attributes (anything else set on an object is looked into)."""
    if model not in _plans:
        meta = model._meta
        registration = _registry.get(meta.label)
        if registration is None:
            raise ImproperlyConfigured(
                f"{meta.label} is shown in a cached response but not registered: call "
                "cms.caching.register() for it in its app's AppConfig.ready(), or its changes go unseen."
            )
        own = {field.attname for field in meta.concrete_fields} | {"_state", "_prefetched_objects_cache"}
        _plans[model] = (registration.key, meta.pk.attname, own)
    return _plans[model]


def _hidden(obj, values: dict) -> bool:
    """A loaded article or video the public cannot see (a draft lead video): not shown, so not
    named. Publishing it purges what shows it through `keys_changed_by`."""
    return (
        isinstance(obj, Publishable) and all(name in values for name in PUBLISHING_FIELDS) and not obj.is_live
    )


def _collect(objects: Iterable, keys: set[str], seen: set) -> None:
    """Keys of the objects and of everything they have loaded, without a query: select_related,
    prefetches, lists set on them (`latest`, `embedded`); hidden articles and videos are left out.
    A model met here that is not registered is an error: its changes would never purge."""
    stack = list(objects)
    while stack:
        obj = stack.pop()
        if not isinstance(obj, models.Model):
            continue
        prefix, pk_name, own = _plan(type(obj))
        values = obj.__dict__
        pk = values.get(pk_name)
        if (type(obj), pk) in seen:
            continue
        seen.add((type(obj), pk))
        if _hidden(obj, values):
            continue
        if prefix is not None:
            keys.add(f"{prefix}-{pk}")
        stack.extend(values["_state"].fields_cache.values())
        for queryset in values.get("_prefetched_objects_cache", {}).values():
            stack.extend(queryset._result_cache or ())
        for name in values.keys() - own:
            value = values[name]
            if isinstance(value, models.Model):
                stack.append(value)
            elif isinstance(value, models.QuerySet):
                stack.extend(value._result_cache or ())
            elif isinstance(value, list | tuple):
                stack.extend(value)


def keys_of(objects: Iterable) -> set[str]:
    """The surrogate keys naming `objects` and what they have loaded (see `_collect`)."""
    keys: set[str] = set()
    _collect(objects, keys, set())
    return keys


def surrogate_keys(response) -> list[str] | None:
    """The keys a response names, sorted; None if its view did not name what it contains."""
    if not hasattr(response, "surrogate_keys"):
        return None
    keys = set(response.surrogate_keys)
    _collect(response.surrogate_objects, keys, set())
    return sorted(keys)


# --- Invalidation ------------------------------------------------------------------------------
def _token() -> int:
    return secrets.randbits(62)


def _version() -> int:
    """A key's version: when it was made (by a purge, or when the key was first needed), in the
    high bits, and 20 random bits. The newest version among a response's keys says when what it
    shows last changed. An int, which Django's Redis cache stores and reads without pickling."""
    return (int(timezone.now().timestamp()) << 20) | secrets.randbits(20)


def _version_time(version: int) -> int:
    return version >> 20


def _version_key(key: str) -> str:
    return f"api:v2:{key}"  # v2: versions are ints


def purge(keys: Iterable[str]) -> None:
    """Stop serving every cached response that names one of `keys`: now, and again when the
    current transaction commits."""
    keys = frozenset(keys)
    if not keys:
        return
    _bump(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(keys))


def _bump(keys: frozenset[str]) -> None:
    strict = _strict_cache()
    try:
        # The token changes before (so nothing rendered meanwhile is stored) and after (so no
        # process keeps trusting an entry it checked in between).
        strict.set(GLOBAL_KEY, _token(), None)
        strict.set_many({_version_key(key): _version() for key in keys}, VERSION_TIMEOUT)
        strict.set(GLOBAL_KEY, token := _token(), None)
        _trust_token(token)
    except Exception:
        # Editing goes on. This process answers from the database while the cache is down, and
        # purges these keys again before it serves anything from the cache once it is back.
        _pending_purges.update(keys)
        logger.error(
            "Could not invalidate cached API responses for %s: purged again once the cache is back",
            sorted(keys),
        )
        return
    if not keys.isdisjoint(_scheduled()[1]):
        _refresh_schedule()  # here, so that reads need no query for it


# --- What each model's changes affect: registered by the apps, next to their models ---------------
@dataclass(frozen=True)
class Registration:
    model: type
    key: str | None  # an object's key is f"{key}-{pk}"; None for rows that link two others
    lists: str | None  # the key of every list of them: any change may change which are listed
    also: frozenset[str]  # the keys of other responses any change to one of them affects
    changes: Callable | None  # for rows that link: the keys a change to one affects


_registry: dict[str, Registration] = {}
# label -> functions giving the keys of other responses a change to such an object affects.
_dependents: dict[str, list] = {}


def register(
    model,
    *,
    key: str | None = None,
    lists: str | None = None,
    also: Iterable[str] = (),
    changes: Callable | None = None,
    relations: Iterable[str] = (),
) -> None:
    """Make responses follow `model`: from its app's `AppConfig.ready()`. Responses name its
    objects as `{key}-{pk}` (and lists of them `lists`); a save or delete purges those keys and
    `also`, or, for a row linking two others, what `changes(row)` returns; adding or removing
    objects of its many-to-many `relations` purges the objects on both sides' lists."""
    if (key is None) == (changes is None):
        raise ImproperlyConfigured(f"Register {model._meta.label} with a key, or with changes for a link.")
    label = model._meta.label
    _registry[label] = Registration(model, key, lists, frozenset(also), changes)
    _scheduled.cache_clear()
    post_save.connect(_object_changed, sender=model, dispatch_uid=f"cms-caching-save-{label}")
    pre_delete.connect(_object_changed, sender=model, dispatch_uid=f"cms-caching-delete-{label}")
    for field in relations:
        through = getattr(model, field).through
        m2m_changed.connect(_relations_changed, sender=through, dispatch_uid=f"cms-caching-{label}-{field}")


def register_dependents(label: str, dependents) -> None:
    """`dependents(obj)` returns the keys of responses that show `obj` (a model of `label`) though
    they do not name it: those that leave it out while it is hidden (an unpublished lead video,
    a story of an edition published later), which must change when it is shown."""
    found = _dependents.setdefault(label, [])
    if dependents not in found:
        found.append(dependents)


def registered(model) -> bool:
    return model._meta.label in _registry


@functools.cache
def _scheduled() -> tuple[list, frozenset[str], tuple[str, ...]]:
    """The registered models that come and go with the clock (Publishable: scheduled publishing,
    expiry), the keys of their lists, and their object keys' prefixes."""
    found = [r for r in _registry.values() if issubclass(r.model, Publishable)]
    return [r.model for r in found], frozenset(r.lists for r in found), tuple(f"{r.key}-" for r in found)


def _follows_the_clock(keys) -> bool:
    """Whether a response naming `keys` shows an item or a list that comes and goes with the clock."""
    _, lists, prefixes = _scheduled()
    return any(key in lists or key.startswith(prefixes) for key in keys)


def object_key(model, pk) -> str:
    """The key naming one object of a registered model (`article-12`)."""
    return f"{_registry[model._meta.label].key}-{pk}"


def list_keys(model) -> list[str]:
    """The key that every change to one of `model`'s objects gives a new version (`articles`)."""
    registration = _registry.get(model._meta.label)
    return [registration.lists] if registration is not None and registration.lists else []


def keys_changed_by(obj: models.Model) -> set[str]:
    """The keys of every response that a change to `obj` (saved or deleted) may change."""
    label = obj._meta.label
    registration = _registry[label]
    if registration.changes is not None:
        return set(registration.changes(obj))
    keys = {f"{registration.key}-{obj.pk}", *registration.also}
    if registration.lists:
        keys.add(registration.lists)
    for dependents in _dependents.get(label, ()):
        keys.update(dependents(obj))
    return keys


def _object_changed(sender, instance, **kwargs) -> None:
    purge(keys_changed_by(instance))


def _relations_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Topics or authors added to or removed from articles and videos (from either side)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        owner, pks = type(instance), [instance.pk]
    else:
        owner, pks = model, pk_set
        if pks is None:  # cleared from the topic's or author's side: whichever items had it
            source = next(f.attname for f in sender._meta.fields if f.related_model is type(instance))
            target = next(f.attname for f in sender._meta.fields if f.related_model is model)
            pks = sender.objects.filter(**{source: instance.pk}).values_list(target, flat=True)
    registration = _registry[owner._meta.label]
    purge({*list_keys(owner), *(f"{registration.key}-{pk}" for pk in pks)})


# --- Scheduled transitions ---------------------------------------------------------------------
def _transitions() -> tuple:
    """The next instant a Publishable item goes live or expires with no write, and the last such
    instant that has passed: one query of scalar subqueries, each the first row of an index
    (ORDER BY ... LIMIT 1), not an aggregate over every row before or after now."""
    now = timezone.now()
    parts = []  # (ahead, sql, params)
    for model in _scheduled()[0]:
        published = model.objects.filter(status=Status.PUBLISHED)
        for field in ("published_at", "expires_at"):
            ahead = published.filter(**{f"{field}__gt": now}).order_by(field)
            passed = published.filter(**{f"{field}__lte": now}).order_by(f"-{field}")
            for is_ahead, queryset in ((True, ahead), (False, passed)):
                sql, params = queryset.values_list(field, flat=True)[:1].query.sql_with_params()
                parts.append((is_ahead, sql, params))
    if not parts:
        return None, None
    model = _scheduled()[0][0]
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"({sql})" for _, sql, _ in parts),
            [p for *_, params in parts for p in params],
        )
        row = cursor.fetchone()
    instants = [
        (is_ahead, _as_datetime(at, cursor.db)) for (is_ahead, _, _), at in zip(parts, row, strict=True) if at
    ]
    return (
        min((at for ahead, at in instants if ahead), default=None),
        max((at for ahead, at in instants if not ahead), default=None),
    )


def _as_datetime(value, connection) -> datetime:
    """A timestamp as the database returned it from a raw query (SQLite gives text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _schedule_version_keys() -> list[str]:
    return [_version_key(key) for key in sorted(_scheduled()[1])]


def _current_versions(version_keys) -> tuple:
    found = cache.get_many(version_keys)
    missing = {key: _version() for key in version_keys if key not in found}
    if missing:
        cache.set_many(missing, VERSION_TIMEOUT)
        found.update(missing)
    return tuple(found[key] for key in version_keys)


def _refresh_schedule() -> tuple[float | None, float | None]:
    versions = _current_versions(_schedule_version_keys())  # before the query: a change meanwhile shows
    ahead, passed = (at.timestamp() if at is not None else None for at in _transitions())
    cache.set(SCHEDULE_KEY, (ahead, passed, versions), VERSION_TIMEOUT)
    return ahead, passed


def schedule() -> tuple[float | None, float | None]:
    """The next and the last scheduled transition (timestamps), kept in the cache while no
    Publishable item changes and the next is ahead."""
    if (remembered := _recall(SCHEDULE_KEY, _known_token())) is not None:
        return remembered[1]
    version_keys = _schedule_version_keys()
    found = _request_schedule.get()  # read with the token, if this request has read it
    if found is None:
        found, _ = _fetch([SCHEDULE_KEY, *version_keys])
    token = _known_token()
    if (stored := found.get(SCHEDULE_KEY)) is not None:
        ahead, passed, versions = stored
        current = tuple(found.get(key) for key in version_keys)
        if versions == current and (ahead is None or ahead > timezone.now().timestamp()):
            _remember_value(SCHEDULE_KEY, (ahead, passed), ahead, token)
            return ahead, passed
    ahead, passed = _refresh_schedule()
    _request_schedule.set(None)
    _remember_value(SCHEDULE_KEY, (ahead, passed), ahead, token)
    return ahead, passed


def next_transition() -> float | None:
    return schedule()[0]


# --- Values derived from content ------------------------------------------------------------------
def _released(name: str) -> str:
    """Entries are kept per release: what older code rendered is never served (cms/release.py)."""
    return f"{name}@{settings.RELEASE}"


def _valid(stored: tuple, current: dict, now: float) -> bool:
    """An entry (..., version_keys, versions, until) is valid while every key has the version it
    was made with and no scheduled transition has passed since."""
    *_, version_keys, versions, until = stored
    return (until is None or until > now) and all(
        current.get(key) == version for key, version in zip(version_keys, versions, strict=True)
    )


def cached_value(name: str, keys: list[str] | tuple[str, ...], compute, *, at: datetime | None = None):
    """`compute()`, kept in the cache while none of `keys` changes and no scheduled transition
    passes: for what is dear to work out and changes only with the content (a list's count).
    `at`: the instant the value describes, if it is earlier than now (a request's own clock): a
    transition between then and now would make it out of date, and it is not kept."""
    name = _released(name)
    if (remembered := _recall(name, _known_token())) is not None:
        return remembered[1]
    version_keys = tuple(_version_key(key) for key in keys)
    found, token = _fetch([name, *version_keys])
    stored = found.get(name)
    if stored is not None and _valid(stored, found, timezone.now().timestamp()):
        _remember_value(name, stored[0], stored[-1], token)
        return stored[0]
    versions = _current_versions(version_keys)  # before computing: a change meanwhile shows
    moment = (at or timezone.now()).timestamp()
    value = compute()
    until = None
    if not _scheduled()[1].isdisjoint(keys):
        until, passed = schedule()
        if passed is not None and passed > moment:
            return value
    cache.set(name, (value, version_keys, versions, until), settings.CACHE_SERVER_TTL)
    _remember_value(name, value, until, token)
    return value


class Renderings:
    """Renderings of single items (an article as a list item, as its detail), kept in the cache
    with the keys of what each shows and valid by the same rule as cached responses: until one of
    those keys is purged, a scheduled transition passes (when `timed`), or the release changes.
    Two cache round trips fetch and check any number of them."""

    def __init__(self, kind: str, *, timed: bool):
        self.kind = kind
        self.timed = timed  # whether what it shows comes and goes with the clock

    def _name(self, pk) -> str:
        return _released(f"api:item:{self.kind}:{pk}")

    def _names(self, pks: Iterable) -> dict[str, object]:
        """{name: pk}, as _name() makes them."""
        prefix, suffix = f"api:item:{self.kind}:", _released("")
        return {f"{prefix}{pk}{suffix}": pk for pk in pks}

    def get_many(self, pks: Iterable) -> tuple[dict, object]:
        """The valid renderings of `pks` as {pk: (text, keys)}, and the token to store new ones with."""
        found, token = get_renderings({self: pks})
        return found[self], token

    def set_many(self, renderings: dict, token) -> None:
        """Keep `renderings` ({pk: (text, keys)}) unless anything was purged since `token` was
        read, before they were made: they may show data from before that change."""
        version_keys = {pk: tuple(_version_key(key) for key in keys) for pk, (_, keys) in renderings.items()}
        every_key = {key for keys in version_keys.values() for key in keys}
        found = cache.get_many([*every_key, GLOBAL_KEY])  # the token last: see the module docstring
        if token is None or found.get(GLOBAL_KEY) != token:
            return
        missing = {key: _version() for key in every_key if key not in found}
        if missing:
            cache.set_many(missing, VERSION_TIMEOUT)
            found.update(missing)
        until = next_transition() if self.timed else None
        for pk, rendering in renderings.items():
            _remember_value(self._name(pk), rendering, until, token)
        cache.set_many(
            {
                self._name(pk): (
                    text,
                    keys,
                    version_keys[pk],
                    tuple(found[k] for k in version_keys[pk]),
                    until,
                )
                for pk, (text, keys) in renderings.items()
            },
            settings.CACHE_SERVER_TTL,  # as responses: what bounds a purge that was never delivered
        )


def get_renderings(wanted: dict[Renderings, Iterable]) -> tuple[dict[Renderings, dict], object]:
    """The valid renderings of each kind's pks, as {renderings: {pk: (text, keys)}}, and the token
    to store new ones with: two cache round trips for all of them (the entries, then their keys'
    versions), none for those this process has checked since the last purge."""
    token = _known_token()
    now = timezone.now().timestamp()
    valid: dict[Renderings, dict] = {renderings: {} for renderings in wanted}
    names: dict[str, tuple[Renderings, object]] = {}
    for renderings, pks in wanted.items():
        for name, pk in renderings._names(pks).items():
            if (remembered := _recall(name, token, now)) is not None:
                valid[renderings][pk] = remembered[1]
            else:
                names[name] = (renderings, pk)
    if not names:
        return valid, _current_token()
    found, token = _fetch(list(names))
    version_keys = {key for stored in found.values() for key in stored[2]}
    current = cache.get_many(list(version_keys)) if version_keys else {}
    for name, stored in found.items():
        if _valid(stored, current, now):
            renderings, pk = names[name]
            valid[renderings][pk] = stored[:2]
            _remember_value(name, stored[:2], stored[-1], token)
    return valid, token


# --- HTTP --------------------------------------------------------------------------------------
def public_cache_control(
    seconds_left: float | None, max_age: int | None = None, revalidate: bool = True
) -> str:
    """`public, max-age=..., stale-while-revalidate=...`, never reaching past `seconds_left`."""
    max_age = settings.CACHE_MAX_AGE if max_age is None else max_age
    stale = settings.CACHE_STALE_WHILE_REVALIDATE if revalidate else 0
    if seconds_left is not None:
        max_age = max(0, min(max_age, int(seconds_left)))
        stale = max(0, min(stale, int(seconds_left) - max_age))
    return (
        f"public, max-age={max_age}, stale-while-revalidate={stale}"
        if stale
        else f"public, max-age={max_age}"
    )


def _not_modified(request, etag: str, last_modified: int | None) -> bool:
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:  # when present, If-Modified-Since is ignored (RFC 9110 13.2.2)
        tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
        return if_none_match.strip() == "*" or etag in tags
    since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if since and last_modified is not None:
        since = parse_http_date_safe(since)
        return since is not None and last_modified <= since
    return False


_known_parameters: frozenset[str] | None = None


def known_parameters() -> frozenset[str]:
    """Every query parameter that some public view reads, from the views themselves: their
    filters, pagination, `?fields=`/`?expand=`, ordering, and any `query_parameters` they
    declare. Anything else cannot change a response, so it is left out of the cache key: junk
    parameters and cache busters make no new entries (tests/test_caching.py holds every
    parameter of the OpenAPI document to this set)."""
    global _known_parameters
    if _known_parameters is None:
        names = {"format", "p"}  # DRF's format override; a sitemap's page
        stack = list(get_resolver().url_patterns)
        while stack:
            pattern = stack.pop()
            if hasattr(pattern, "url_patterns"):
                stack.extend(pattern.url_patterns)
                continue
            view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            if view is None:
                continue
            names.update(getattr(view, "query_parameters", ()))
            filterset = getattr(view, "filterset_class", None)
            if filterset is not None:
                names.update(filterset.base_filters)
            paginator = getattr(view, "pagination_class", None)
            for attribute in ("page_query_param", "page_size_query_param", "cursor_query_param"):
                if paginator is not None and getattr(paginator, attribute, None):
                    names.add(getattr(paginator, attribute))
            if getattr(view, "ordering_fields", None):
                names.add("ordering")
            if hasattr(view, "get_expand"):  # cms.fields.FieldSelectionMixin
                names.update({"fields", "expand"})
        _known_parameters = frozenset(names)
    return _known_parameters


def _accept(request) -> str:
    """`Accept`, as the variants served: JSON unless the client asks for something else by name
    (the browsable API with DEBUG, feeds' own types, ninjs documents' own type). Where ninjs is
    named, the key is what a view offering it would choose (DRF's negotiation, `*/*` and
    `application/json` at the same precedence winning), so one key never holds both."""
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accept or accept.strip() in ("*/*", "application/json"):
        return ""
    if NINJS_MEDIA_TYPE in accept and isinstance(negotiated(accept, JSON_OR_NINJS), NinjsRenderer):
        return "ninjs"
    return "html" if "html" in accept else ""


def _cache_key(request) -> str:
    query = request.META.get("QUERY_STRING", "")
    if query:  # the same parameters in another order are the same request; unknown ones are not read
        known = known_parameters()
        pairs = [pair for pair in query.split("&") if unquote_plus(pair.partition("=")[0]) in known]
        query = "&".join(sorted(pairs, key=lambda pair: pair.partition("=")[0]))
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    url = f"{request.scheme}://{host}{request.path}?{query}\n{_accept(request)}"
    return _released("api:r:" + hashlib.md5(url.encode(), usedforsecurity=False).hexdigest())


class CacheMiddleware:
    """Goes right after CorsMiddleware (so CORS headers are added to hits too) and before the
    session and authentication middleware, which hits skip."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            request.method not in ("GET", "HEAD")
            or not path.startswith(CACHED_PATH)
            or path.startswith(UNCACHED_PATH)
        ):
            return self.get_response(request)
        reset = _request_token.set(_UNREAD), _request_schedule.set(None)
        try:
            return self.serve(request)
        finally:
            _request_token.reset(reset[0])
            _request_schedule.reset(reset[1])

    def serve(self, request):
        cookie = settings.SESSION_COOKIE_NAME in request.COOKIES
        credentials = cookie or "HTTP_AUTHORIZATION" in request.META
        key = entry = token = None
        if settings.RESPONSE_CACHE and not credentials:
            key = _cache_key(request)
            try:
                response = self.remembered_hit(request, key)
                if response is not None:
                    return response
                found = _read_first([key])
                entry, token = found.get(key), _request_token.get()
                made = GLOBAL_KEY not in found  # then the entry predates every process's checks
                if entry is not None and not made:
                    response = self.hit(request, key, entry, token)
                    if response is not None:
                        return response
            except Exception:
                logger.exception("API response cache unavailable")
                key = None
        response = self.get_response(request)
        own = response.get("Cache-Control")  # a view may decide (e.g. never_cache): it is kept
        if own is not None and ("private" in own or "no-store" in own):
            return response
        user = getattr(request, "user", None)
        if credentials and (
            "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated)
        ):
            return self.private(request, response)  # staff and keys see what the public sees
        if response.cookies:
            response["Cache-Control"] = PRIVATE  # a shared cache must not hand a cookie on
            return response
        return self.miss(request, response, key if own is None else None, entry, token, own)

    @staticmethod
    def private(request, response):
        """An answer to credentials: never stored, but validated, so that a partner polling with a
        key gets a 304 for what it already has."""
        response["Cache-Control"] = PRIVATE
        if response.status_code != 200 or response.streaming:
            return response
        if not response.has_header("ETag"):
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        etag = response["ETag"]  # a view's own (an item's version for If-Match) is kept
        if _not_modified(request, etag, None):
            return HttpResponseNotModified(headers={"ETag": etag, "Cache-Control": PRIVATE})
        return response

    def remembered_hit(self, request, key):
        """A hit on this process's copy of the entry, if nothing was purged since it checked it."""
        remembered = _entries.get(key)
        if remembered is None or remembered[2] <= time.monotonic():
            return None
        token = _trusted_token() or _global_token()
        if token is None or token != remembered[0]:
            return None
        _request_token.set(token)
        return self.hit(request, key, remembered[1], token)

    def hit(self, request, key, entry, token):
        entry_id, content, headers, etag, last_modified, valid_until, version_keys, versions = entry
        seconds_left = None
        if valid_until is not None:
            seconds_left = valid_until - timezone.now().timestamp()
            if seconds_left <= 0:
                return None
        if _checked.get(key) != (entry_id, token):
            current = cache.get_many(version_keys)
            if any(current.get(k) != v for k, v in zip(version_keys, versions, strict=True)):
                return None
            _remember(key, entry_id, token, entry)
        if _not_modified(request, etag, last_modified):
            response = HttpResponseNotModified(
                headers={h: headers[h] for h in CONDITIONAL_HEADERS if h in headers}
            )
        else:
            response = HttpResponse(content, headers=headers)
        response["Cache-Control"] = public_cache_control(seconds_left)
        if settings.CACHE_DEBUG_HEADERS:
            response["X-Cache"] = "HIT"
        return response

    def miss(self, request, response, key, previous, token, own=None):
        status = response.status_code
        if status == 429 or status >= 500:
            response["Cache-Control"] = own or "no-store"
            return response
        keys = surrogate_keys(response) if status == 200 else None
        valid_until = passed = None
        # Only Publishable items come and go with the clock; unnamed contents may hold some, and
        # a list of them (empty, say) shows which are live.
        if own is None and (keys is None or _follows_the_clock(keys)):
            try:
                valid_until, passed = schedule()
            except Exception:
                logger.exception("API response cache unavailable")
                key = None
        seconds_left = None if valid_until is None else valid_until - timezone.now().timestamp()
        response["Vary"] = VARY  # not Cookie: responses to anonymous requests are the same for all
        if status >= 400:
            response["Cache-Control"] = own or public_cache_control(
                seconds_left, settings.CACHE_ERROR_MAX_AGE, revalidate=False
            )
            return response
        if status != 200 or response.streaming:  # redirects (e.g. an old slug's 301): bounded too
            response["Cache-Control"] = own or public_cache_control(seconds_left, revalidate=False)
            return response

        if keys:
            response["Surrogate-Key"] = " ".join(keys)
            response["Cache-Tag"] = ",".join(keys)
        # SHA-256 rather than MD5: with the CPU's SHA instructions it reads a body twice as fast.
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        # A view's own date (feeds, sitemaps: their newest item) is kept.
        dated = (
            parse_http_date_safe(response["Last-Modified"]) if response.has_header("Last-Modified") else None
        )
        response["ETag"] = etag
        last_modified = None
        if key is not None and keys is not None:
            try:
                last_modified = self.store(
                    key, response, etag, dated, previous, valid_until, passed, keys, token
                )
            except Exception:
                logger.exception("API response cache unavailable")
        if last_modified is None:  # not stored: its date says only "not before now", or its own
            response["Last-Modified"] = http_date(dated or int(timezone.now().timestamp()))
        response["Cache-Control"] = own or public_cache_control(seconds_left)
        if _not_modified(request, etag, last_modified or dated):
            not_modified = HttpResponseNotModified()
            for header in (*CONDITIONAL_HEADERS, "Cache-Control"):
                if response.has_header(header):
                    not_modified[header] = response[header]
            response = not_modified
        if settings.CACHE_DEBUG_HEADERS:
            response["X-Cache"] = "MISS"
        return response

    def store(self, key, response, etag, dated, previous, valid_until, passed, keys, token) -> int | None:
        """Keep the response; return its Last-Modified, or None if it was not kept. The date is
        the view's own, or when what it shows last changed: the newest version of its keys, the
        last scheduled transition it may show, the release's start; never the time of a request,
        which would tell one reader when another asked the same. The same body keeps its date;
        another body gets a later one."""
        version_keys = tuple(_version_key(k) for k in keys)
        released = _released("api:release-started")
        found = cache.get_many([*version_keys, released, GLOBAL_KEY])  # the token last: see the docstring
        if token is None or found.get(GLOBAL_KEY) != token:
            return None  # something changed while this response was rendered
        missing = {k: _version() for k in version_keys if k not in found}
        if released not in found:
            cache.add(released, int(timezone.now().timestamp()), None)
            found[released] = cache.get(released) or int(timezone.now().timestamp())
        if missing:
            cache.set_many(missing, VERSION_TIMEOUT)
            found.update(missing)
        versions = tuple(found[k] for k in version_keys)
        changed = max(found[released], int(passed or 0), *(_version_time(v) for v in versions))
        last_modified = dated or changed
        # Another body than the one kept before gets a later date, even a view's own (a feed that
        # lost an older item keeps its newest item's date): a client revalidating by date sees it.
        if previous is not None:
            if previous[3] == etag:
                last_modified = previous[4]
            elif last_modified <= previous[4]:
                last_modified = previous[4] + 1  # changed, though no key says when: now, or so
        response["Last-Modified"] = http_date(last_modified)
        headers = dict(response.items())  # Cache-Control is not set yet: it is worked out per hit
        entry_id = _token()
        entry = (
            entry_id,
            response.content,
            headers,
            etag,
            last_modified,
            valid_until,
            version_keys,
            versions,
        )
        cache.set(key, entry, settings.CACHE_SERVER_TTL)
        _remember(key, entry_id, token, entry)
        return last_modified


def _remember(key: str, entry_id: int, token, entry: tuple) -> None:
    if len(_checked) > 10_000:
        _checked.clear()
    _checked[key] = (entry_id, token)
    if len(_entries) >= ENTRIES_KEPT:
        _entries.pop(next(iter(_entries)))  # the oldest remembered
    _entries[key] = (token, entry, time.monotonic() + settings.CACHE_SERVER_TTL)


# --- The Redis backend -------------------------------------------------------------------------
class CacheUnavailable(Exception):
    """The shared cache did not answer (refused, timed out, or marked down after a failure)."""


class _Breaker:
    """Per process: after a failure the cache is left alone for CACHE_RETRY_AFTER seconds, so a
    Redis that is down or hung costs one short timeout per interval, not one per request. Logged
    once when it goes down and once when it is back."""

    def __init__(self):
        self.down_until = 0.0

    def allow(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, error: Exception) -> None:
        if self.down_until == 0.0:
            logger.error(
                "Cache unavailable (%s): answering from the database until it is back",
                error.__class__.__name__,
            )
        self.down_until = time.monotonic() + settings.CACHE_RETRY_AFTER

    def succeeded(self) -> None:
        if self.down_until:
            self.down_until = 0.0
            logger.warning("Cache available again")
            _checked.clear()  # checked before the outage: check again, against the purges below
            _memo.clear()
            _entries.clear()
            _trust.token = None
            _replay_pending_purges()


_breaker = _Breaker()
# Keys whose purge could not be delivered: purged again, before anything else, once the cache
# answers again (see `purge`).
_pending_purges: set[str] = set()


def _replay_pending_purges() -> None:
    if _pending_purges:
        keys = frozenset(_pending_purges)
        _pending_purges.clear()
        _bump(keys)


class _RedisCacheClient(redis.RedisCacheClient):
    """One client per connection pool rather than a new one for every call (making a redis-py
    client costs more than the round trip to Redis that a hit is), and every call guarded: a
    Redis error is `CacheUnavailable`, and while the breaker is open no call is tried."""

    def get_client(self, key=None, *, write=False):
        if not _breaker.allow():
            raise CacheUnavailable("marked down")
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        if index not in clients:
            clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return clients[index]


def _guarded(name: str):
    method = getattr(redis.RedisCacheClient, name)

    def call(self, *args, **kwargs):
        try:
            result = method(self, *args, **kwargs)
        except CacheUnavailable:
            raise
        except Exception as error:  # redis-py's ConnectionError, TimeoutError, ...
            _breaker.failed(error)
            raise CacheUnavailable(str(error)) from error
        if _breaker.down_until:
            _breaker.succeeded()
        return result

    call.__name__ = name
    return call


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(_RedisCacheClient, _name, _guarded(_name))


class RedisCache(redis.RedisCache):
    """Django's Redis cache that degrades rather than fails. Reads of a cache that does not answer
    are misses (`get` gives the default, `get_many` nothing, `add` False); writes are dropped.
    Callers that must know (purges) use `strict()`. Connect and read timeouts are short
    (CACHE_TIMEOUT_SECONDS): a hung Redis delays one request per CACHE_RETRY_AFTER, not every one."""

    def __init__(self, server, params):
        timeout = settings.CACHE_TIMEOUT_SECONDS
        params = {
            **params,
            "OPTIONS": {
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                **params.get("OPTIONS", {}),
            },
        }
        super().__init__(server, params)
        self._class = _RedisCacheClient

    def _soft(self, name: str, default, *args, **kwargs):
        try:
            return getattr(super(), name)(*args, **kwargs)
        except CacheUnavailable:
            return default() if callable(default) else default

    def get(self, key, default=None, version=None):
        return self._soft("get", default, key, default, version)

    def get_many(self, keys, version=None):
        # Without Django's per-key validation (memcached's rules, checked character by
        # character): our keys are short ASCII, and a list page asks for a hundred at a time.
        key_map = {self.make_key(key, version=version): key for key in keys}
        try:
            found = self._cache.get_many(key_map.keys())
        except CacheUnavailable:
            return {}
        return {key_map[key]: value for key, value in found.items()}

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("set_many", list, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._soft("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._soft("delete_many", None, keys, version)

    def has_key(self, key, version=None):
        return self._soft("has_key", False, key, version)

    def strict(self) -> "StrictCache":
        return StrictCache(self)

    def increment(self, key, timeout: int, *, by: int = 1) -> int:
        """Add `by` to a counter made with the first count and gone `timeout` seconds after it, in
        one round trip (a quota's window). Raises `CacheUnavailable` when Redis does not answer."""
        key = self.make_key(key)
        client = self._cache.get_client(key, write=True)
        try:
            with client.pipeline(transaction=False) as pipe:
                pipe.set(key, 0, ex=timeout, nx=True)  # any Redis: EXPIRE ... NX needs 7
                pipe.incr(key, by)
                return pipe.execute()[1]
        except Exception as error:  # redis-py's ConnectionError, TimeoutError, ...
            _breaker.failed(error)
            raise CacheUnavailable(str(error)) from error


class StrictCache:
    """The same cache, raising `CacheUnavailable` instead of degrading: for purges."""

    def __init__(self, backend: RedisCache):
        self.backend = backend

    def set(self, key, value, timeout=DEFAULT_TIMEOUT):
        return redis.RedisCache.set(self.backend, key, value, timeout)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT):
        return redis.RedisCache.set_many(self.backend, data, timeout)


def _strict_cache():
    """The cache for purges: raising when it does not answer (any backend but ours raises anyway)."""
    return cache.strict() if hasattr(cache, "strict") else cache
