from rest_framework import viewsets

from articles.models import latest_public_content
from cms.caching import SurrogateKeyMixin
from cms.fields import FieldSelectionMixin

from .models import Section, Topic
from .serializers import SectionDetailSerializer, SectionSerializer, TopicDetailSerializer, TopicSerializer


class SectionViewSet(SurrogateKeyMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Sections in navigation order. The detail lists the section's newest published content."""

    detail_keys = ("articles", "videos")  # which are the newest changes with any of them

    lookup_field = "slug"
    queryset = Section.objects.all()

    def get_serializer_class(self):
        return SectionSerializer if self.action == "list" else SectionDetailSerializer

    def get_object(self):
        section = super().get_object()
        section.latest = latest_public_content(section=section)
        return section


class TopicViewSet(SurrogateKeyMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Active topics, by name. The detail lists the topic's newest published content."""

    detail_keys = ("articles", "videos")  # which are the newest changes with any of them

    lookup_field = "slug"

    def get_queryset(self):
        return Topic.objects.active().for_api()

    def get_serializer_class(self):
        return TopicSerializer if self.action == "list" else TopicDetailSerializer

    def get_object(self):
        topic = super().get_object()
        topic.latest = latest_public_content(topics=topic)
        return topic
