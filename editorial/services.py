"""History: what an item looked like after each save, and putting an earlier state back."""

from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from cms.publishing import PUBLISHING_FIELDS, Publishable

from .models import Revision

# Rows that belong to an item and are edited with it (admin inlines), by model label:
# relation name -> the fields kept in a revision. Models join the history by adding a line.
CHILD_ROWS: dict[str, dict[str, tuple[str, ...]]] = {
    "articles.article": {"related_items": ("position", "target_article", "target_video")},
}

# Whether an item is public is decided by publishing and unpublishing it, never by a restore:
# an old revision brings back the content, not the state the item was in back then.


class RestoreError(Exception):
    """A revision cannot be put back; nothing was written."""


# --- Snapshots -----------------------------------------------------------------------------
def _fields(model) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.editable and not field.primary_key]


def _child_rows(model) -> dict[str, tuple[str, ...]]:
    return CHILD_ROWS.get(model._meta.label_lower, {})


def _json(field: models.Field, obj: models.Model) -> Any:
    value = field.value_from_object(obj)
    if isinstance(value, datetime):
        # One spelling for one instant, whatever time zone it was read in. Whole seconds, as the
        # admin shows and posts them: a form saved unchanged drops the microseconds that
        # publish() stored, and that is not a change an editor made.
        value = value.astimezone(UTC) if value.tzinfo else value
        return value.replace(microsecond=0).isoformat()
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return field.value_to_string(obj)  # dates, durations, decimals, UUIDs, files


def take_snapshot(obj: models.Model) -> dict[str, Any]:
    """The item's editable fields (foreign keys as ids), many-to-many ids and child rows, as JSON."""
    snapshot = {field.name: _json(field, obj) for field in _fields(type(obj))}
    # Read from the tables, never from the related managers: an API queryset may have left a
    # filtered prefetch (only active topics, only public related items) on the instance.
    for field in obj._meta.many_to_many:
        links = field.remote_field.through._base_manager.filter(**{field.m2m_field_name(): obj.pk})
        snapshot[field.name] = sorted(links.values_list(field.m2m_reverse_field_name(), flat=True))
    for relation, names in _child_rows(type(obj)).items():
        rel = obj._meta.get_field(relation)
        rows = rel.related_model._base_manager.filter(**{rel.field.name: obj.pk})
        fields = [rel.related_model._meta.get_field(name) for name in names]
        snapshot[relation] = [{field.name: _json(field, row) for field in fields} for row in rows]
    return snapshot


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    if old is None:  # a new item: what was filled in
        return [name for name, value in new.items() if value not in (None, "", [], {})]
    return [name for name in new if old.get(name) != new[name]]


def restorable_fields(model) -> list[str]:
    """The names a restore writes back: everything in a snapshot except the publishing state."""
    kept = PUBLISHING_FIELDS if issubclass(model, Publishable) else ()
    names = [field.name for field in _fields(model)] + [field.name for field in model._meta.many_to_many]
    return [name for name in [*names, *_child_rows(model)] if name not in kept]


# --- Revisions -----------------------------------------------------------------------------
def _create_revision(*, obj, snapshot, previous, user, comment, changed=None) -> Revision:
    if changed is None:
        changed = changed_fields(previous.snapshot if previous else None, snapshot)
    return Revision.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        user=user,
        comment=comment,
        snapshot=snapshot,
        changed_fields=changed,
    )


def record_revision(
    *, obj, user=None, before: dict[str, Any] | None = None, comment: str = ""
) -> Revision | None:
    """Keep the state `obj` was saved in (with its many-to-many and child rows, so call this after
    those are saved too). Returns None when nothing changed since the last revision.

    `before` is the stored state just before this change, when the caller has it: if the history
    does not end in that state (an item from before history was kept, or one changed outside the
    admin), it is kept first, so the diff of this change shows only this change and the earlier
    state can be restored."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)  # as stored, not as the form left it in memory
    after = take_snapshot(fresh)
    latest = Revision.objects.for_object(obj).order_by("-pk").first()
    if after == (before if before is not None else latest and latest.snapshot):
        return None
    if before is not None and (latest is None or latest.snapshot != before):
        latest = _create_revision(
            obj=obj,
            snapshot=before,
            previous=latest,
            user=None,
            comment="Changed outside the admin" if latest else "Before history was kept",
            changed=None if latest else [],  # who changed what before then is not known
        )
    return _create_revision(obj=obj, snapshot=after, previous=latest, user=user, comment=comment)


def referenced_ids(model, snapshot: dict[str, Any]) -> dict[type[models.Model], set]:
    """The ids of the objects `snapshot` refers to (foreign keys, many-to-many, child rows'
    foreign keys), by model."""
    wanted: dict[type[models.Model], set] = {}
    for field in _fields(model):
        if field.is_relation and snapshot.get(field.name) is not None:
            wanted.setdefault(field.related_model, set()).add(snapshot[field.name])
    for field in model._meta.many_to_many:
        wanted.setdefault(field.related_model, set()).update(snapshot.get(field.name) or [])
    for relation, names in _child_rows(model).items():
        row_model = model._meta.get_field(relation).related_model
        for name in names:
            field = row_model._meta.get_field(name)
            if field.is_relation:
                ids = {row.get(name) for row in snapshot.get(relation) or []} - {None}
                wanted.setdefault(field.related_model, set()).update(ids)
    return wanted


def _missing_references(model, snapshot: dict[str, Any]) -> list[str]:
    missing = []
    for related_model, ids in referenced_ids(model, snapshot).items():
        found = set(related_model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
        missing += [f"{related_model._meta.verbose_name} #{pk}" for pk in sorted(ids - found)]
    return missing


def _messages(error: ValidationError, model) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for name, messages in error.message_dict.items():
        label = model._meta.get_field(name).verbose_name if name != "__all__" else ""
        parts += [f"{label}: {message}" if label else message for message in messages]
    return " ".join(parts)


def restore_revision(*, revision: Revision, user=None) -> Revision | None:
    """Write `revision`'s content back to its item (fields, many-to-many, child rows) and keep
    the result as a new revision. The publishing state and first publish time stay as they are.
    Raises RestoreError, having written nothing, when the item or anything the revision refers to
    is gone or the content breaks a rule (such as a slug another item has taken). Returns None
    when the item already matches the revision."""
    model = revision.content_type.model_class()
    names = [name for name in restorable_fields(model) if name in revision.snapshot]
    wanted = {name: revision.snapshot[name] for name in names}
    with transaction.atomic():
        obj = model._base_manager.select_for_update().filter(pk=revision.object_id).first()
        if obj is None:
            raise RestoreError("The item this revision belongs to has been deleted.")
        current = take_snapshot(obj)
        if all(current.get(name) == value for name, value in wanted.items()):
            return None
        missing = _missing_references(model, wanted)
        if missing:
            raise RestoreError(
                f"Revision {revision.pk} refers to items that have since been deleted: "
                f"{', '.join(missing)}. Nothing was restored."
            )

        for field in _fields(model):
            if field.name in wanted:
                setattr(obj, field.attname, field.to_python(wanted[field.name]))
        try:
            obj.full_clean()
        except ValidationError as error:
            raise RestoreError(
                f"Revision {revision.pk} cannot be restored: {_messages(error, model)}"
            ) from None
        obj.save()
        for field in model._meta.many_to_many:
            if field.name in wanted:
                getattr(obj, field.name).set(wanted[field.name])
        for relation in _child_rows(model):
            if relation in wanted:
                _restore_rows(obj, relation, wanted[relation], revision)
        return record_revision(obj=obj, user=user, before=current, comment=f"Restored revision {revision.pk}")


def _restore_rows(obj, relation: str, rows: list[dict[str, Any]], revision: Revision) -> None:
    field = obj._meta.get_field(relation)
    row_model, parent = field.related_model, field.field.name
    row_model._base_manager.filter(**{parent: obj}).delete()
    for values in rows:
        row = row_model(**{parent: obj})
        for name, value in values.items():
            row_field = row_model._meta.get_field(name)
            setattr(row, row_field.attname, row_field.to_python(value))
        try:
            row.full_clean()
            row.save()
        except (ValidationError, IntegrityError) as error:
            detail = _messages(error, row_model) if isinstance(error, ValidationError) else str(error)
            raise RestoreError(
                f"Revision {revision.pk} cannot be restored: {row_model._meta.verbose_name}: {detail}"
            ) from None
