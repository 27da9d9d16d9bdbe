"""Slug redirects: an item's old slugs keep answering, with a permanent redirect to its current
one. Every save of an article or video is followed (admin, restore, seed loader): the slug it
leaves behind is remembered, and the slug it takes is no longer another item's old one."""

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse

from cms.schema import AutoSchema

from .models import Article, SlugRedirect, Video

# Models whose detail URL is their slug and whose old slugs keep answering.
REDIRECTED_MODELS = [Article, Video]


def remember_old_slug(*, obj, old_slug: str) -> None:
    """`obj` has left `old_slug` behind: requests for it are redirected to `obj` from now on.
    Older slugs of `obj` already point at it, so chains (a -> b -> c) end at the current slug."""
    SlugRedirect.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(obj),
        old_slug=old_slug,
        defaults={"object_id": obj.pk},
    )


def claim_slug(*, obj) -> None:
    """`obj` has its slug: an item that had it before no longer answers to it."""
    content_type = ContentType.objects.get_for_model(obj)
    SlugRedirect.objects.filter(content_type=content_type, old_slug=obj.slug).delete()


def redirect_target_id(*, model, slug: str) -> int | None:
    """The id of the item that used to have `slug`, if any."""
    content_type = ContentType.objects.get_for_model(model)
    return (
        SlugRedirect.objects.filter(content_type=content_type, old_slug=slug)
        .values_list("object_id", flat=True)
        .first()
    )


# --- Following saves ------------------------------------------------------------------------
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


def connect() -> None:
    for model in REDIRECTED_MODELS:
        label = model._meta.label
        pre_save.connect(read_slug_before_save, sender=model, dispatch_uid=f"articles-slug-{label}")
        post_save.connect(redirect_old_slug, sender=model, dispatch_uid=f"articles-redirect-{label}")
        post_delete.connect(forget_redirects, sender=model, dispatch_uid=f"articles-forget-{label}")


# --- Answering old slugs ----------------------------------------------------------------------
class SlugRedirectSchema(AutoSchema):
    """Documents the permanent redirect a detail endpoint answers for an old slug."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET" and getattr(self.view, "action", None) == "retrieve":
            responses["301"] = {
                "description": "The slug is an old one: the item has been renamed. Follow `Location`.",
                "headers": {
                    "Location": {
                        "description": "The item's detail URL under its current slug, with the same "
                        "query string.",
                        "schema": {"type": "string", "format": "uri-reference"},
                    }
                },
            }
        return responses


class SlugRedirectMixin:
    """Detail views answer an item's old slug with a 301 to its current one, if the item is
    one the view would serve (so a redirect never reveals a draft). The lookup runs only when the
    slug is not found, so the normal path costs nothing extra."""

    schema = SlugRedirectSchema()

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            location = self.get_redirect_location(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            if location is None:
                raise
            return HttpResponsePermanentRedirect(location)

    def get_redirect_location(self, slug):
        queryset = self.get_queryset()
        target_id = redirect_target_id(model=queryset.model, slug=slug)
        if target_id is None:
            return None
        # The view's own queryset: only an item it would serve is worth redirecting to.
        target = queryset.prefetch_related(None).filter(pk=target_id)
        current = target.values_list(self.lookup_field, flat=True).first()
        if current is None or current == slug:
            return None
        url = reverse(f"{self.basename}-detail", kwargs={self.lookup_url_kwarg or self.lookup_field: current})
        query = self.request.META.get("QUERY_STRING", "")
        return f"{url}?{query}" if query else url
