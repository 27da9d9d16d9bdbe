from rest_framework import serializers

from cms.fields import SelectableFieldsMixin

from .models import Section, Topic

ID_HELP = {"id": {"help_text": "Stable identifier."}}


# Sections and topics are embedded in most responses: these build their JSON directly.
def section_ref(section: Section) -> dict:
    return {"id": section.pk, "slug": section.slug, "name": section.name}


def section_data(section: Section) -> dict:
    return {**section_ref(section), "description": section.description, "position": section.position}


def topic_ref(topic: Topic) -> dict:
    return {"id": topic.pk, "slug": topic.slug, "name": topic.name}


def topic_data(topic: Topic) -> dict:
    parent = topic.parent
    return {
        **topic_ref(topic),
        "description": topic.description,
        "parent": topic_ref(parent) if parent is not None else None,
    }


class SectionRefSerializer(serializers.ModelSerializer):
    """A section as embedded in other objects."""

    class Meta:
        model = Section
        fields = ["id", "slug", "name"]
        extra_kwargs = ID_HELP

    def to_representation(self, section):
        return section_ref(section)


class TopicRefSerializer(serializers.ModelSerializer):
    """A topic as embedded in other objects."""

    class Meta:
        model = Topic
        fields = ["id", "slug", "name"]
        extra_kwargs = ID_HELP

    def to_representation(self, topic):
        return topic_ref(topic)


class SectionSerializer(SelectableFieldsMixin, SectionRefSerializer):
    """A section of the site, e.g. News."""

    class Meta(SectionRefSerializer.Meta):
        fields = [*SectionRefSerializer.Meta.fields, "description", "position"]

    def represent(self, section):
        return section_data(section)


class TopicSerializer(SelectableFieldsMixin, TopicRefSerializer):
    """A topic content is tagged with."""

    parent = TopicRefSerializer(read_only=True, allow_null=True, help_text="The broader topic, if any.")

    class Meta(TopicRefSerializer.Meta):
        fields = [*TopicRefSerializer.Meta.fields, "description", "parent"]

    def represent(self, topic):
        return topic_data(topic)
