"""The rights of an article or video as every surface serves them (API, feeds, JSON-LD, ninjs):
the item's own, else the publisher's defaults (SITE_NAME, DEFAULT_USAGE_TERMS)."""

from django.conf import settings
from rest_framework import serializers


class RightsSerializer(serializers.Serializer):
    """Who owns the item and what others may do with it."""

    copyright_holder = serializers.CharField(help_text="Who holds the copyright; the publisher by default.")
    copyright_notice = serializers.CharField(help_text="The notice to show, e.g. `© 2026 Newsroom`.")
    copyright_year = serializers.IntegerField(
        allow_null=True, help_text="The year of first publication; null until it is published."
    )
    credit = serializers.CharField(help_text="Credit to show with it (e.g. a wire agency); empty if none.")
    usage_terms = serializers.CharField(
        help_text="What partners may do with it; the publisher's default terms unless the item has its own."
    )


def rights_data(item) -> dict:
    holder = item.copyright_holder or settings.SITE_NAME
    published = item.first_published_at or item.published_at
    year = published.year if published is not None else None
    return {
        "copyright_holder": holder,
        "copyright_notice": f"© {year} {holder}" if year is not None else f"© {holder}",
        "copyright_year": year,
        "credit": item.credit_line,
        "usage_terms": item.usage_terms or settings.DEFAULT_USAGE_TERMS,
    }


def rights_notice(rights: dict) -> str:
    """`rights_data` as one line of text, for feeds: "© 2026 Newsroom. Credit: Reuters. Terms."."""
    parts = [rights["copyright_notice"] + "."]
    if rights["credit"]:
        parts.append(f"Credit: {rights['credit']}.")
    if rights["usage_terms"]:
        parts.append(rights["usage_terms"])
    return " ".join(parts)
