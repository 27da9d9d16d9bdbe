"""The change log follows every save, however an item is saved (admin, restore, seed loader)."""

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_save

from cms.publishing import PUBLISHING_FIELDS

from . import changes


def read_state_before_save(sender, instance, **kwargs):
    # Whether the public could see the item before this save is judged from the stored row.
    stored = None
    if instance.pk is not None:
        stored = sender._base_manager.filter(pk=instance.pk).only("slug", *PUBLISHING_FIELDS).first()
    instance._stored_before_save = stored


def log_save(sender, instance, **kwargs):
    changes.record_save(obj=instance, before=instance.__dict__.pop("_stored_before_save", None))


def log_delete(sender, instance, **kwargs):
    changes.record_delete(obj=instance)


def connect() -> None:
    for label in changes.SYNCED_MODELS.values():
        model = apps.get_model(label)
        pre_save.connect(read_state_before_save, sender=model, dispatch_uid=f"editorial-state-{label}")
        post_save.connect(log_save, sender=model, dispatch_uid=f"editorial-log-save-{label}")
        post_delete.connect(log_delete, sender=model, dispatch_uid=f"editorial-log-delete-{label}")
