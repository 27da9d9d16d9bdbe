"""The bench's yardstick: the article list as plain DRF builds it, with `ModelSerializer`s nested
as a DRF tutorial would and the usual select_related/prefetch_related, no caching at all. The
cold scenarios must beat it (bench/README.md). Served only by the bench's server (bench/urls.py)."""

from rest_framework import generics, pagination, serializers

from articles.models import Article, Author, Image
from topics.models import Section, Topic


class ImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Image
        fields = ["id", "file", "width", "height", "alt_text", "caption", "credit", "renditions"]


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["id", "slug", "name"]


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "slug", "name"]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "slug", "name", "role"]


class ArticleSerializer(serializers.ModelSerializer):
    section = SectionSerializer()
    topics = TopicSerializer(many=True)
    authors = AuthorSerializer(many=True)
    hero_image = ImageSerializer()

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "headline",
            "standfirst",
            "section",
            "topics",
            "authors",
            "hero_image",
            "lead_video",
            "published_at",
            "updated_at",
        ]


class Pagination(pagination.PageNumberPagination):
    page_size = 20


class ArticleList(generics.ListAPIView):
    serializer_class = ArticleSerializer
    pagination_class = Pagination
    authentication_classes = []
    permission_classes = []

    def get_queryset(self):
        return (
            Article.objects.published()
            .select_related("section", "hero_image")
            .prefetch_related("topics", "authors")
            .order_by("-published_at", "-pk")
        )
