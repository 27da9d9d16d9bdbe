from rest_framework import viewsets

from cms.caching import SurrogateKeyMixin
from cms.fields import FieldSelectionMixin

from .models import Newsletter
from .serializers import NewsletterSerializer


class NewsletterViewSet(SurrogateKeyMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Newsletters a reader can sign up to. Inactive newsletters are not listed."""

    lookup_field = "slug"
    serializer_class = NewsletterSerializer

    def get_queryset(self):
        return Newsletter.objects.active()
