"""Change sync for partners: everything that changed in the public content since a point, in
order, so that a partner can mirror it.

Two sources, read together:
- the change log (ChangeLog): one row per save of an article or video (signals.py), saying what
  the save did to its public visibility; `seq` orders it;
- changes by the clock, which happen with no write: a scheduled item going live at its publish
  time, an item expiring. They are read from the items' own publish and expiry times, leaving out
  those a later log row already accounts for.

A position in both is a signed token: the log row it started after, the last log row served, and
the last clock change served (its time, type and id). Every served change describes the item as
it is when it is served: an upsert carries the current public teaser, anything not publicly
visible now is a tombstone, so replaying an older row can never resurrect an item or leak a
draft's content. A tombstone is only served for an item that was publicly visible at some point
(with the slug it had then), so even a draft's slug stays unseen."""

from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.apps import apps
from django.core import signing
from django.db import connections, router, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.listing import teaser_cards
from cms.compiled import CompiledQuery, union_rows
from cms.publishing import State, Status

from .models import ChangeLog

# Models whose public state partners mirror, by the `type` the log and the API call them.
SYNCED_MODELS = {ChangeLog.Type.ARTICLE: "articles.Article", ChangeLog.Type.VIDEO: "articles.Video"}
TOKEN_SALT = "editorial.changes"


class InvalidSince(ValueError):
    """`since` is neither a token this API gave out nor an ISO 8601 time in the past."""


@dataclass(frozen=True)
class Position:
    """Everything up to here has been served: log rows from `origin` (where this partner started)
    up to `seq`; clock changes up to the key (time, type, id), type "" standing before any type.
    time None: from the beginning."""

    origin: int
    seq: int
    time: datetime | None = None
    type: str = ""
    id: int = 0
    # Just read as the newest log row (no `since`): the log has nothing after it worth a query;
    # rows written meanwhile are read from the next page's position. Not part of a token.
    newest: bool = False


@dataclass
class Change:
    type: str
    id: int
    slug: str
    change: str  # ChangeLog.Change.UPSERT or DELETE
    at: datetime
    item: object = None  # the teaser card of an upsert's article or video, as JSON (with_cards)


@dataclass
class ChangePage:
    changes: list[Change]
    position: Position  # where the next request goes on from
    has_more: bool  # more is waiting now: ask again at once rather than at the next poll


# --- Writing -------------------------------------------------------------------------------
def record_save(*, obj, before) -> None:
    """Log a save of `obj`. `before` is the row as stored just before it (None for a new item)."""
    with _log_writer(obj) as log:
        now = timezone.now()
        state = obj.state
        if state == State.LIVE:
            change, slug = ChangeLog.Change.UPSERT, obj.slug
        elif before is not None and _was_visible(before, since=_last_write(log, obj), until=now):
            change, slug = ChangeLog.Change.DELETE, before.slug  # the slug the public knew
        elif state == State.SCHEDULED:
            # Not served while hidden, but it makes sure the item's going live is not missed when
            # this save commits after a reader has already passed its publish time.
            change, slug = ChangeLog.Change.SCHEDULED, obj.slug
        else:
            # Kept so that the next save can tell whether the item was visible in between.
            change, slug = ChangeLog.Change.HIDDEN, obj.slug
        log.create(type=obj._meta.model_name, object_id=obj.pk, slug=slug, change=change, at=now)


def record_delete(*, obj) -> None:
    with _log_writer(obj) as log:
        now = timezone.now()
        if _was_visible(obj, since=_last_write(log, obj), until=now):
            log.create(
                type=obj._meta.model_name,
                object_id=obj.pk,
                slug=obj.slug,
                change=ChangeLog.Change.DELETE,
                at=now,
            )


def _was_visible(stored, *, since: datetime | None, until: datetime) -> bool:
    """Whether an item in the `stored` state (held from the previous save, `since`, to `until`) was
    publicly visible at any moment in between: published, publish time reached, not yet expired.
    With no previous save on record (content from before the log), from its publish time."""
    if stored.status != Status.PUBLISHED or stored.published_at is None or stored.published_at > until:
        return False
    start = stored.published_at if since is None else max(stored.published_at, since)
    return stored.expires_at is None or start < stored.expires_at


def _last_write(log, obj) -> datetime | None:
    rows = log.filter(type=obj._meta.model_name, object_id=obj.pk).order_by("-at", "-seq")
    return rows.values_list("at", flat=True).first()


@contextmanager
def _log_writer(obj):
    using = router.db_for_write(ChangeLog, instance=obj)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            # One writer at a time until commit, so rows become visible in `seq` order: otherwise a
            # reader could see row 11 before row 10 commits, move its token past 10 and miss it.
            # Readers are not blocked. (SQLite serialises all writers anyway.)
            table = connection.ops.quote_name(ChangeLog._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        yield ChangeLog.objects.using(using)


# --- Positions and tokens ------------------------------------------------------------------
def make_token(position: Position) -> str:
    time = position.time.isoformat() if position.time is not None else None
    payload = {"o": position.origin, "s": position.seq, "t": time, "k": [position.type, position.id]}
    return signing.Signer(salt=TOKEN_SALT).sign_object(payload)


def position_since(value: str | None) -> Position:
    """The position a `since` value stands for: a token, an ISO 8601 time (changes at or after it),
    or nothing (from the beginning: every publicly visible item, then what changes from now on)."""
    if not value:
        latest = LATEST_SEQ.rows(limit=1)
        latest = latest[0][0] if latest else 0
        return Position(origin=latest, seq=latest, newest=True)
    moment = _parse_time(value)
    if moment is not None:
        if moment > timezone.now():
            raise InvalidSince("Must not be in the future.")
        before = ChangeLog.objects.filter(at__lt=moment).order_by("-at", "-seq")
        seq = before.values_list("seq", flat=True).first() or 0
        return Position(origin=seq, seq=seq, time=moment)
    try:
        payload = signing.Signer(salt=TOKEN_SALT).unsign_object(value)
        time, (type_, id_) = payload["t"], payload["k"]
        return Position(
            origin=int(payload["o"]),
            seq=int(payload["s"]),
            time=None if time is None else datetime.fromisoformat(time),
            type=str(type_),
            id=int(id_),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidSince(
            "Give the `next_since` token of an earlier response, as it was, or an ISO 8601 time such "
            "as 2025-01-31T08:00:00Z (in a URL, write a `+` offset as %2B)."
        ) from None


def _parse_time(value: str) -> datetime | None:
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None  # well formed but impossible, e.g. month 13: not a time, nor a token
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC) if moment is not None else None
    except OverflowError:
        return None  # before year 1 or after 9999 once in UTC


# --- Reading -------------------------------------------------------------------------------
def read_changes(*, since: Position, limit: int) -> ChangePage:
    """At most `limit` changes after `since`, oldest first, each item at most once: log rows
    first, then, once the log is read to its end, changes by the clock up to now. A fixed number
    of queries: the log, the items its rows name (one per type), and the clock changes (two per
    type)."""
    now = timezone.now()
    rows = [] if since.newest else [LogRow(*row) for row in LOG_ROWS.rows(limit=limit + 1, seq=since.seq)]
    log_more, rows = len(rows) > limit, rows[:limit]
    changes: dict[tuple[str, int], Change] = {}
    for change in _resolve(rows):
        changes.pop((change.type, change.id), None)  # the latest word on an item comes last
        changes[change.type, change.id] = change
    position = replace(since, seq=rows[-1].seq) if rows else since
    budget = limit - len(rows)
    if log_more or budget == 0:
        return ChangePage(list(changes.values()), position, has_more=True)

    timed = _clock_changes(since, until=now, limit=budget + 1)
    timed_more, timed = len(timed) > budget, timed[:budget]
    for change in timed:
        changes.pop((change.type, change.id), None)
        changes[change.type, change.id] = change
    if timed_more:
        last = timed[-1]
        position = replace(position, time=last.at, type=last.type, id=last.id)
    elif changes or position != since:
        # Every clock change before `now` is served; the next window starts at `now` itself.
        position = replace(position, time=now, type="", id=0)
    # else nothing changed: the position stays, and so does the answer (its ETag answers 304s).
    # The next window starts where this one did; what it found is nothing, and that only grows.
    return ChangePage(list(changes.values()), position, has_more=timed_more)


LOG_COLUMNS = ("seq", "type", "object_id", "slug", "change", "at")
LogRow = namedtuple("LogRow", LOG_COLUMNS)
SERVED = [ChangeLog.Change.UPSERT, ChangeLog.Change.DELETE, ChangeLog.Change.SCHEDULED]
LOG_ROWS = CompiledQuery(
    lambda seq: (
        ChangeLog.objects.filter(seq__gt=seq, change__in=SERVED).order_by("seq").values_list(*LOG_COLUMNS)
    ),
    seq=int,
)
LATEST_SEQ = CompiledQuery(lambda: ChangeLog.objects.order_by("-seq").values_list("seq"))


def _resolve(rows: list[LogRow]) -> list[Change]:
    """Log rows as changes, each describing its item as it is now."""
    public = {}
    for type_, label in SYNCED_MODELS.items():
        ids = {row.object_id for row in rows if row.type == type_}
        if ids:
            items = apps.get_model(label).objects.published().filter(pk__in=ids).values_list("pk", "slug")
            public[type_] = dict(items)
    changes = []
    for row in rows:
        slug = public.get(row.type, {}).get(row.object_id)
        if slug is not None:
            changes.append(Change(row.type, row.object_id, slug, ChangeLog.Change.UPSERT, row.at))
        elif row.change != ChangeLog.Change.SCHEDULED:  # it was visible once: the public may hold it
            changes.append(Change(row.type, row.object_id, row.slug, ChangeLog.Change.DELETE, row.at))
        # A scheduled item still hidden: nothing to say yet, and nothing to give away.
    return changes


def _clock_changes(since: Position, *, until: datetime, limit: int) -> list[Change]:
    """Items that went live (publish time) or stopped being visible (expiry time) after `since`
    and before `until`, with no save since that the log already reports: the first `limit`, by
    (time, type, id). Compiled queries (cms.compiled), a live and an expired one per type, in one
    round trip."""
    runs, changes = [], []
    for type_ in SYNCED_MODELS:
        after = _after_shape(since, type_)
        position = {} if after is None else {"at": since.time}
        position.update({"pk": since.id} if after == "id" else {})
        runs.append((LIVE[type_, after], {"until": until, "origin": since.origin, **position}))
        runs.append((EXPIRED[type_, after], {"until": until, **position}))
        changes += [(type_, ChangeLog.Change.UPSERT), (type_, ChangeLog.Change.DELETE)]
    found = [
        Change(type_, pk, slug, change, at)
        for (type_, change), rows in zip(changes, union_rows(runs, limit=limit), strict=True)
        for pk, slug, at in rows
    ]
    found.sort(key=lambda change: (change.at, change.type, change.id))
    return found[:limit]


def _after_shape(since: Position, type_: str) -> str | None:
    """How a type's clock changes come after the position's key (time, type, id): from the
    beginning (None), from its time on ("at"), after it ("later"), or after its id at its time
    ("id")."""
    if since.time is None:
        return None
    return "at" if type_ > since.type else "id" if type_ == since.type else "later"


def _after(shape: str | None, field: str, at, pk) -> Q:
    if shape is None:
        return Q()
    later = Q(**{f"{field}__gt": at})
    if shape == "at":
        return later | Q(**{field: at})
    if shape == "id":
        return later | Q(**{field: at, "pk__gt": pk})
    return later


def _live_query(type_: str, shape: str | None) -> CompiledQuery:
    def build(until, origin, at=None, pk=None):
        model = apps.get_model(SYNCED_MODELS[type_])
        rows = ChangeLog.objects.filter(type=type_, object_id=OuterRef("pk"))
        # A save at or after the publish time that this partner is served says it all (the latest
        # save made it live: an upsert row).
        return (
            model.objects.published(until)
            .filter(_after(shape, "published_at", at, pk), published_at__lt=until)
            .exclude(Exists(rows.filter(at__gte=OuterRef("published_at"), seq__gt=origin)))
            .order_by("published_at", "pk")
            .values_list("pk", "slug", "published_at")
        )

    return _compiled(build, shape, origin=int)


def _expired_query(type_: str, shape: str | None) -> CompiledQuery:
    def build(until, at=None, pk=None):
        model = apps.get_model(SYNCED_MODELS[type_])
        rows = ChangeLog.objects.filter(type=type_, object_id=OuterRef("pk"))
        # Visible until its expiry: published then, with a publish time before it, and not saved
        # since (a save after the expiry logs the tombstone itself, if one is due).
        return (
            model.objects.filter(
                _after(shape, "expires_at", at, pk),
                status=Status.PUBLISHED,
                published_at__lt=F("expires_at"),
                expires_at__lt=until,
            )
            .exclude(Exists(rows.filter(at__gte=OuterRef("expires_at"))))
            .order_by("expires_at", "pk")
            .values_list("pk", "slug", "expires_at")
        )

    return _compiled(build, shape)


def _compiled(build, shape: str | None, **kinds) -> CompiledQuery:
    kinds = {"until": datetime, **kinds}
    if shape is not None:
        kinds.update(at=datetime, **({"pk": int} if shape == "id" else {}))
    return CompiledQuery(build, **kinds)


SHAPES = (None, "at", "id", "later")
LIVE = {(type_, shape): _live_query(type_, shape) for type_ in SYNCED_MODELS for shape in SHAPES}
EXPIRED = {(type_, shape): _expired_query(type_, shape) for type_ in SYNCED_MODELS for shape in SHAPES}


def with_cards(changes: list[Change], host: str) -> tuple[list[Change], set[str]]:
    """The changes with their upserts' teaser cards (kept as renderings: articles.listing), and
    the keys of what those show. An item gone since it was found is served as its tombstone."""
    upserts = [(change.type, change.id) for change in changes if change.change == ChangeLog.Change.UPSERT]
    cards, keys = teaser_cards(upserts, host)
    served = []
    for change in changes:
        if change.change == ChangeLog.Change.UPSERT:
            card = cards.get((change.type, change.id))
            change = replace(change, item=card) if card else replace(change, change=ChangeLog.Change.DELETE)
        served.append(change)
    return served, keys
