from rest_framework import serializers

from cms.fields import SelectableFieldsMixin

from .models import Newsletter


class NewsletterSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A newsletter a reader can sign up to."""

    class Meta:
        model = Newsletter
        fields = ["id", "slug", "name", "description", "frequency"]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}
