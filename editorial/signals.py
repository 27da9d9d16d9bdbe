"""Slug redirects and the change log follow every save, however an item is saved (admin,
restore, seed loader)."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save, pre_save

from cms.publishing import PUBLISHING_FIELDS

from . import changes
from .models import SlugRedirect
from .services import claim_slug, remember_old_slug

# Models whose detail URL is their slug and whose old slugs keep answering.
REDIRECTED_MODELS = ["articles.Article", "articles.Video"]


def read_slug_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "slug" not in update_fields):
        return
    instance._slug_before_save = (
        sender._base_manager.filter(pk=instance.pk).values_list("slug", flat=True).first()
    )


def redirect_old_slug(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    old_slug = instance.__dict__.pop("_slug_before_save", None)
    if old_slug and old_slug != instance.slug:
        remember_old_slug(obj=instance, old_slug=old_slug)
    if created or (old_slug and old_slug != instance.slug):
        claim_slug(obj=instance)


def forget_redirects(sender, instance, **kwargs):
    content_type = ContentType.objects.get_for_model(sender)
    SlugRedirect.objects.filter(content_type=content_type, object_id=instance.pk).delete()


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
    for label in REDIRECTED_MODELS:
        model = apps.get_model(label)
        pre_save.connect(read_slug_before_save, sender=model, dispatch_uid=f"editorial-slug-{label}")
        post_save.connect(redirect_old_slug, sender=model, dispatch_uid=f"editorial-redirect-{label}")
        post_delete.connect(forget_redirects, sender=model, dispatch_uid=f"editorial-forget-{label}")
    for label in changes.SYNCED_MODELS.values():
        model = apps.get_model(label)
        pre_save.connect(read_state_before_save, sender=model, dispatch_uid=f"editorial-state-{label}")
        post_save.connect(log_save, sender=model, dispatch_uid=f"editorial-log-save-{label}")
        post_delete.connect(log_delete, sender=model, dispatch_uid=f"editorial-log-delete-{label}")
