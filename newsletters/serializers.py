from rest_framework import serializers

from .models import Newsletter


class NewsletterSerializer(serializers.ModelSerializer):
    """A newsletter a reader can sign up to."""

    class Meta:
        model = Newsletter
        fields = ["id", "slug", "name", "description", "frequency"]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}
