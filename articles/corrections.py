"""The public correction log of articles and videos (models.Correction): its JSON shape, and
the rule that adding or retracting an entry is a change readers see."""

from html import escape

from django.db.models.signals import post_save
from rest_framework import serializers

from cms.representation import iso

from .models import Correction, touch


class CorrectionSerializer(serializers.ModelSerializer):
    """An entry of the correction log, as readers see it."""

    class Meta:
        model = Correction
        fields = ["id", "kind", "text", "at"]
        extra_kwargs = {
            "id": {"help_text": "Stable identifier."},
            "kind": {
                "help_text": "correction: a fact was wrong; clarification: it was unclear; "
                "update: news since."
            },
            "at": {"help_text": "When it was added (UTC)."},
        }

    def to_representation(self, entry):
        return correction_data(entry)


def correction_data(entry: Correction) -> dict:
    return {"id": entry.pk, "kind": entry.kind, "text": entry.text, "at": iso(entry.at)}


def _shown(sender, instance, created, update_fields=None, **kwargs):
    touch(instance.item)


def connect() -> None:
    post_save.connect(_shown, sender=Correction, dispatch_uid="articles-correction-shown")


def corrections_html(entries) -> str:
    """The log as HTML, for feeds that carry the full text."""
    if not entries:
        return ""
    lines = "".join(
        f"<li><strong>{escape(entry.get_kind_display())}</strong> ({entry.at:%d %B %Y %H:%M} UTC): "
        f"{escape(entry.text)}</li>"
        for entry in entries
    )
    return f'<aside class="corrections"><h2>Corrections and updates</h2><ul>{lines}</ul></aside>'
