from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from articles.teasers import TeaserSerializer
from cms.representation import absolute, iso

from .models import ChangeLog

SLUG_MARK = "slug-of-the-item"  # slugs are letters, digits, - and _: put in the path as they are


def _detail_path(kind: str) -> str:
    """The detail path of an item of `kind`, with SLUG_MARK for its slug: reversed once a process."""
    key = (kind, get_script_prefix())
    if key not in _DETAIL_PATHS:
        _DETAIL_PATHS[key] = reverse(f"{kind}-detail", kwargs={"slug": SLUG_MARK})
    return _DETAIL_PATHS[key]


_DETAIL_PATHS: dict[tuple[str, str], str] = {}


class ChangeSerializer(serializers.Serializer):
    """One change: an item to add or replace (`upsert`), or one to remove (`delete`). Mirror by
    `type` and `id`; the slug can change."""

    change = serializers.ChoiceField(
        choices=[ChangeLog.Change.UPSERT, ChangeLog.Change.DELETE],
        help_text="`upsert`: the item is publicly visible now; store or replace it (fetch `url` for "
        "the whole item). `delete`: it no longer is (unpublished, archived, expired or deleted); "
        "remove it.",
    )
    type = serializers.ChoiceField(choices=ChangeLog.Type.values, help_text="Article or video.")
    id = serializers.IntegerField(help_text="Stable identifier of the article or video.")
    slug = serializers.SlugField(help_text="Its current slug; in a `delete`, the last slug the public saw.")
    at = serializers.DateTimeField(
        help_text="When it changed (UTC): the save, or, for changes by the clock, the publish or expiry time."
    )
    url = serializers.URLField(
        allow_null=True, help_text="The item's detail endpoint, with everything; null in a `delete`."
    )
    item = TeaserSerializer(
        allow_null=True, help_text="The item's public teaser as it is now; null in a `delete`."
    )

    def to_representation(self, change):
        upsert = change.change == ChangeLog.Change.UPSERT
        url = _detail_path(change.type).replace(SLUG_MARK, change.slug) if upsert else None
        return {
            "change": change.change,
            "type": change.type,
            "id": change.id,
            "slug": change.slug,
            "at": iso(change.at),
            "url": absolute(self.context, url) if upsert else None,
            "item": change.item if upsert else None,  # its teaser card (changes.with_cards)
        }


@extend_schema_serializer(many=False)  # one page object, although the endpoint is a list
class ChangePageSerializer(serializers.Serializer):
    """Changes after `since`, oldest first, each item at most once per page."""

    results = ChangeSerializer(many=True, help_text="The changes, oldest first.")
    next = serializers.URLField(
        help_text="This endpoint with `since` set to `next_since`: follow it at once while "
        "`has_more`, and poll it later once caught up."
    )
    next_since = serializers.CharField(
        help_text="Token for the position after this page: keep it, and pass it as `since` next time."
    )
    has_more = serializers.BooleanField(
        help_text="More changes are waiting now: follow `next` at once. False: caught up."
    )
