"""The public archive of a newsletter: its sent editions, newest first, each with the stories it
carried that readers can still see. Anonymous and cacheable like every public GET; nothing about
subscribers or deliveries is in it."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound

from articles.teasers import TeaserSerializer
from cms.caching import SurrogateKeyMixin, add_surrogate_keys

from .editions import edition_stories
from .models import Edition, Newsletter

NEWSLETTER_SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Slug of the newsletter."
)
EDITION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Identifier of the edition."
)


class EditionSummarySerializer(serializers.ModelSerializer):
    """A sent edition of a newsletter, as the archive lists it."""

    newsletter = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Slug of the newsletter it is an edition of."
    )

    class Meta:
        model = Edition
        fields = ["id", "newsletter", "subject", "intro", "sent_at"]
        extra_kwargs = {
            "id": {"help_text": "Stable identifier."},
            "sent_at": {"help_text": "When it was sent to subscribers (UTC)."},
        }


class EditionSerializer(EditionSummarySerializer):
    """A sent edition with its stories."""

    items = TeaserSerializer(
        source="stories",
        many=True,
        read_only=True,
        help_text="The edition's articles and videos in the editor's order; only those still "
        "publicly visible (an unpublished one is left out).",
    )

    class Meta(EditionSummarySerializer.Meta):
        fields = [*EditionSummarySerializer.Meta.fields, "items"]


@extend_schema_view(get=extend_schema(parameters=[NEWSLETTER_SLUG]))
class EditionArchiveView(SurrogateKeyMixin, generics.ListAPIView):
    """The sent editions of an active newsletter, newest first. Unknown and inactive newsletters
    are a 404."""

    serializer_class = EditionSummarySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL to read
            return Edition.objects.none()
        newsletter = Newsletter.objects.active().filter(slug=self.kwargs["slug"]).first()
        if newsletter is None:
            raise NotFound("No active newsletter has this slug.")
        self.newsletter = newsletter
        return Edition.objects.sent().filter(newsletter=newsletter).order_by("-sent_at", "-pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # The list answers for the newsletter too: deactivating it must purge the 200 it was.
        add_surrogate_keys(response, [self.newsletter])
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        for edition in page or ():
            edition.newsletter = self.newsletter  # no query per row for the slug
        return page


@extend_schema_view(get=extend_schema(parameters=[NEWSLETTER_SLUG, EDITION_ID]))
class EditionArchiveDetailView(SurrogateKeyMixin, generics.RetrieveAPIView):
    """One sent edition of an active newsletter, with its stories as teaser cards."""

    serializer_class = EditionSerializer
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return (
            Edition.objects.sent()
            .filter(newsletter__slug=self.kwargs["slug"], newsletter__is_active=True)
            .select_related("newsletter")
            .prefetch_related("items")  # all of them: their articles and videos name the response
        )

    def get_object(self):
        try:
            edition = super().get_object()
        except Http404:
            raise NotFound("This newsletter has no sent edition with this id.") from None
        edition.stories = edition_stories(edition)
        return edition
