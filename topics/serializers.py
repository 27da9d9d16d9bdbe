from rest_framework import serializers

from articles.teasers import TeaserSerializer

from .models import Section, Topic


class SectionRefSerializer(serializers.ModelSerializer):
    """A section as embedded in other objects."""

    class Meta:
        model = Section
        fields = ["id", "slug", "name"]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}


class TopicRefSerializer(serializers.ModelSerializer):
    """A topic as embedded in other objects."""

    class Meta:
        model = Topic
        fields = ["id", "slug", "name"]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}


class SectionSerializer(SectionRefSerializer):
    """A section of the site, e.g. News."""

    class Meta(SectionRefSerializer.Meta):
        fields = [*SectionRefSerializer.Meta.fields, "description", "position"]


class SectionDetailSerializer(SectionSerializer):
    """A section and its newest content."""

    latest = TeaserSerializer(
        many=True, read_only=True, help_text="The newest published articles and videos in the section."
    )

    class Meta(SectionSerializer.Meta):
        fields = [*SectionSerializer.Meta.fields, "latest"]


class TopicSerializer(TopicRefSerializer):
    """A topic content is tagged with."""

    parent = TopicRefSerializer(read_only=True, allow_null=True, help_text="The broader topic, if any.")

    class Meta(TopicRefSerializer.Meta):
        fields = [*TopicRefSerializer.Meta.fields, "description", "parent"]


class TopicDetailSerializer(TopicSerializer):
    """A topic and its newest content."""

    latest = TeaserSerializer(
        many=True, read_only=True, help_text="The newest published articles and videos on the topic."
    )

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "latest"]
