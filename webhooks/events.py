"""What endpoints are told, and when. One definition of each event's payload, made once and stored
(models.Event), then delivered to every endpoint that wants it (delivery.py).

- Articles and videos: the emitter reads the change log as a partner reads /changes/
  (editorial.changes), from a cursor of its own. So a scheduled item going live and an item
  expiring are told at their time though no save happens then (the worker runs the emitter at
  each scheduled time, and `manage.py emit_webhooks` every minute catches anything missed), and
  nothing but what the public sees is ever told: the item is its public teaser card, the same
  as /changes/ serves, and a hidden item is only ever a tombstone.
- Topics, sections and authors: their saves and deletes, once committed, with their public shape.
- Newsletter editions: `edition.sent` when one has been sent (its public archive entry).
- `cache.purge`, with each of the above that changes what readers see: the surrogate keys
  (cms.caching) and the API and frontend URLs it affects, for CDNs and frameworks' revalidation."""

import uuid
from datetime import datetime

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from articles.models import Author
from articles.serializers import AuthorSerializer
from cms.caching import keys_changed_by
from cms.frontend import frontend_page, frontend_url
from cms.representation import ABSOLUTE_PREFIX, iso
from editorial.changes import Position, position_since, read_changes, with_cards
from editorial.models import ChangeLog
from editorial.serializers import ChangeSerializer
from topics.models import Section, Topic
from topics.serializers import SectionSerializer, TopicSerializer

from .models import Cursor, Delivery, Endpoint, Event, ItemState

CONTENT_EVENTS = ["published", "updated", "unpublished", "deleted"]
TAXONOMY_EVENTS = ["created", "updated", "deleted"]
EVENT_TYPES = [
    *(f"{kind}.{what}" for kind in ("article", "video") for what in CONTENT_EVENTS),
    *(f"{kind}.{what}" for kind in ("topic", "section", "author") for what in TAXONOMY_EVENTS),
    "edition.sent",
    "cache.purge",
]
EMIT_PAGE = 200
MODEL_OF = {ChangeLog.Type.ARTICLE: "articles.article", ChangeLog.Type.VIDEO: "articles.video"}
TAXONOMY = {
    Topic: ("topic", TopicSerializer),
    Section: ("section", SectionSerializer),
    Author: ("author", AuthorSerializer),
}


# --- Events ---------------------------------------------------------------------------------------
def new_event(event_type: str, data: dict, *, at: datetime | None = None) -> Event:
    """Store an event and a pending delivery of it to each active endpoint that wants it."""
    at = at or timezone.now()
    event_id = f"msg_{uuid.uuid4().hex}"
    body = {"id": event_id, "type": event_type, "timestamp": iso(at), "data": data}
    event = Event.objects.create(id=event_id, type=event_type, created_at=at, payload=orjson.dumps(body))
    endpoints = [
        endpoint for endpoint in Endpoint.objects.filter(is_active=True) if endpoint.wants(event_type)
    ]
    Delivery.objects.bulk_create(
        [Delivery(event=event, endpoint=endpoint, next_attempt_at=at) for endpoint in endpoints]
    )
    return event


def _api_url(name: str, **kwargs) -> str:
    return settings.PUBLIC_BASE_URL + reverse(name, kwargs=kwargs)


def purge_data(obj, *, kind: str) -> dict:
    """The `cache.purge` data of a change to `obj`: its keys and the URLs that show it."""
    keys = sorted(keys_changed_by(obj))
    api = [_api_url(f"{kind}-list")]
    if getattr(obj, "slug", None):
        api.insert(0, _api_url(f"{kind}-detail", slug=obj.slug))
    frontend = [frontend_url(obj)] if obj._meta.label_lower != "articles.author" else []
    return {"keys": keys, "urls": {"api": api, "frontend": [*frontend, frontend_url(None)]}}


# --- Articles and videos: from the change log ------------------------------------------------------
def emit_pending(*, limit: int = EMIT_PAGE) -> int:
    """Turn what the change log holds after the cursor into events; returns how many. One emitter
    at a time (the cursor's row is locked)."""
    emitted = 0
    while True:
        with transaction.atomic():
            cursor = Cursor.objects.select_for_update().first() or start_cursor(Cursor)
            page = read_changes(since=_position(cursor.position), limit=limit)
            changes, _ = with_cards(page.changes, settings.PUBLIC_BASE_URL)
            for change in changes:
                _content_event(change)
            cursor.position = _stored(page.position)
            cursor.save(update_fields=["position"])
        emitted += len(changes)
        if not page.has_more:
            break
    if emitted:
        transaction.on_commit(_deliver_soon)
    return emitted


def start_cursor(model, now=None):
    """The emitter's cursor, from now: what changed before the webhooks were is not told (the
    migration that adds them makes it; `model` may be the migration's historical one)."""
    now = now or timezone.now()
    since = position_since(now.isoformat())
    return model.objects.create(position=_stored(since), started_at=now)


def _stored(position: Position) -> dict:
    return {
        "origin": position.origin,
        "seq": position.seq,
        "time": position.time.isoformat() if position.time else None,
        "type": position.type,
        "id": position.id,
    }


def _position(stored: dict) -> Position:
    time = stored["time"]
    return Position(
        origin=stored["origin"],
        seq=stored["seq"],
        time=datetime.fromisoformat(time) if time else None,
        type=stored["type"],
        id=stored["id"],
    )


def _content_event(change) -> None:
    """The event of one change of an article or video, and its cache.purge. Whether it is
    `published` or `updated` is what the endpoints were told last (ItemState: the migration that
    started the webhooks recorded every item visible then). A purge names the pages by the slugs
    the public knew (never a hidden item's new one)."""
    state = ItemState.objects.filter(type=change.type, object_id=change.id).first()
    if state is None:
        # Unknown: new since the webhooks started, or (a tombstone: change logs only write those
        # for items once visible) there before them.
        state = ItemState(
            type=change.type, object_id=change.id, visible=change.change != ChangeLog.Change.UPSERT
        )
    upsert = change.change == ChangeLog.Change.UPSERT
    if upsert:
        what = "updated" if state.visible else "published"
    else:
        if not state.visible:
            return  # told nothing of it yet: nothing to take back
        exists = _model(MODEL_OF[change.type]).objects.filter(pk=change.id).exists()
        what = "unpublished" if exists else "deleted"
    told_slugs = {slug for slug in (state.slug, change.slug) if slug}
    state.visible, state.slug = upsert, change.slug
    state.save()
    context = {"request": None, ABSOLUTE_PREFIX: settings.PUBLIC_BASE_URL}
    data = orjson.loads(orjson.dumps(ChangeSerializer(context=context).to_representation(change)))
    new_event(f"{change.type}.{what}", data, at=change.at)
    new_event("cache.purge", content_purge(change, told_slugs), at=change.at)


def content_purge(change, slugs: set[str]) -> dict:
    """What readers may have cached of an article or video: its keys, its pages (detail, ninjs, a
    live page's posts) under every slug the public knew, the lists and the pages of its section and topics."""
    kind = change.type
    item = _model(MODEL_OF[kind]).objects.filter(pk=change.id).first()
    keys = sorted(keys_changed_by(item)) if item is not None else sorted({f"{kind}-{change.id}", f"{kind}s"})
    api, frontend = [], []
    for slug in sorted(slugs):
        api += [_api_url(f"{kind}-detail", slug=slug), _api_url(f"{kind}-ninjs-detail", slug=slug)]
        if getattr(item, "live_status", ""):  # a live page: its posts, which pollers and CDNs hold
            api.append(_api_url("article-live-posts", slug=slug))
        frontend.append(frontend_page(MODEL_OF[kind], slug=slug, pk=change.id))
    api.append(_api_url(f"{kind}-list"))
    if item is not None:
        for holder, name in ((item.section, "section"), *((topic, "topic") for topic in item.topics.all())):
            if holder is not None and (name != "topic" or holder.is_active):
                api.append(_api_url(f"{name}-detail", slug=holder.slug))
                frontend.append(frontend_url(holder))
    frontend.append(frontend_url(None))
    return {
        "keys": keys,
        "urls": {"api": list(dict.fromkeys(api)), "frontend": list(dict.fromkeys(frontend))},
    }


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


# --- Taxonomy and editions: from their saves -------------------------------------------------------
def _taxonomy_saved(sender, instance, created, raw=False, **kwargs):
    """A topic, section or author saved: told by the worker once it commits (nothing is read here)."""
    if raw:
        return
    if sender is Topic and not instance.is_active:
        what = "deleted" if getattr(instance, "was_active", None) else None  # hidden from the public
    else:
        what = "created" if created or (sender is Topic and instance.was_active is False) else "updated"
    if what is None:
        return
    from .tasks import emit_taxonomy

    label, pk = sender._meta.label, instance.pk
    transaction.on_commit(lambda: emit_taxonomy.enqueue(label, pk, what))


def taxonomy_event(label: str, pk: int, what: str) -> None:
    """The event of a saved topic, section or author, as it is now (the worker's side)."""
    model = _model(label)
    kind, serializer = TAXONOMY[model]
    instance = model.objects.filter(pk=pk).first()
    if instance is None:
        return  # deleted since: its deletion is told
    if model is Topic and not instance.is_active and what != "deleted":
        return  # hidden since: what it was meanwhile is not told (its hiding is)
    item = None if what == "deleted" else _public_shape(serializer, instance)
    with transaction.atomic():
        new_event(f"{kind}.{what}", {"type": kind, "id": pk, "slug": instance.slug, "item": item})
        new_event("cache.purge", purge_data(instance, kind=kind))
    transaction.on_commit(_deliver_soon)


def _taxonomy_deleted(sender, instance, **kwargs):
    kind, _ = TAXONOMY[sender]
    if sender is Topic and not instance.is_active:
        return  # the public never saw it
    from .tasks import emit_event

    data = {"type": kind, "id": instance.pk, "slug": instance.slug, "item": None}
    purge = purge_data(instance, kind=kind)  # now: once deleted, it has no id
    transaction.on_commit(lambda: emit_event.enqueue([[f"{kind}.deleted", data], ["cache.purge", purge]]))


def _public_shape(serializer, instance) -> dict:
    return orjson.loads(orjson.dumps(serializer(instance, context={"request": None}).data))


def emit_events_now(events: list) -> None:
    """Events made elsewhere ([type, data] pairs), stored and delivered (the worker's side)."""
    with transaction.atomic():
        for event_type, data in events:
            new_event(event_type, data)
    transaction.on_commit(_deliver_soon)


def _edition_saved(sender, instance, **kwargs):
    """An edition sent: told once (its ItemState row says it was), with its public archive entry."""
    if instance.status != "sent":
        return
    _, first = ItemState.objects.get_or_create(
        type="edition", object_id=instance.pk, defaults={"visible": True}
    )
    if not first:
        return
    data = {
        "type": "edition",
        "id": instance.pk,
        "newsletter": instance.newsletter.slug,
        "subject": instance.subject,
        "sent_at": iso(instance.sent_at) if instance.sent_at else None,
        "url": _api_url("newsletter-edition-detail", slug=instance.newsletter.slug, id=instance.pk),
    }
    archive = _api_url("newsletter-edition-list", slug=instance.newsletter.slug)
    purge = {
        "keys": sorted(keys_changed_by(instance)),
        "urls": {"api": [data["url"], archive], "frontend": []},
    }
    from .tasks import emit_event

    transaction.on_commit(lambda: emit_event.enqueue([["edition.sent", data], ["cache.purge", purge]]))


# --- Wiring ---------------------------------------------------------------------------------------
def _log_written(sender, instance, created, **kwargs):
    """A change log row: emitted once it commits; a scheduled item, again at its publish time."""
    from .tasks import emit_events, emit_events_at

    transaction.on_commit(emit_events.enqueue)
    if instance.change == ChangeLog.Change.SCHEDULED:
        model = _model(MODEL_OF[instance.type])
        when = model.objects.filter(pk=instance.object_id).values_list("published_at", flat=True).first()
        if when is not None:
            transaction.on_commit(lambda: emit_events_at(when))


def _deliver_soon() -> None:
    from .tasks import deliver_due

    deliver_due.enqueue()


def connect() -> None:
    post_save.connect(_log_written, sender=ChangeLog, dispatch_uid="webhooks-change-log")
    for model in TAXONOMY:
        post_save.connect(_taxonomy_saved, sender=model, dispatch_uid=f"webhooks-saved-{model._meta.label}")
        post_delete.connect(
            _taxonomy_deleted, sender=model, dispatch_uid=f"webhooks-deleted-{model._meta.label}"
        )
    from django.apps import apps

    edition = apps.get_model("newsletters", "Edition")
    post_save.connect(_edition_saved, sender=edition, dispatch_uid="webhooks-edition")
