from rest_framework import viewsets

from editorial.views import SlugRedirectMixin

from .blocks import referenced_ids
from .filters import ArticleFilter, VideoFilter
from .models import Article, Author, Image, Video
from .serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    AuthorDetailSerializer,
    AuthorSerializer,
    VideoDetailSerializer,
    VideoListSerializer,
)


def load_body_embeds(articles) -> dict[str, dict]:
    """The images and publicly visible videos embedded in the articles' bodies, by id: two queries
    at most, however many blocks there are."""
    bodies = [article.body for article in articles]
    image_ids, video_ids = referenced_ids(bodies, "image"), referenced_ids(bodies, "video")
    return {
        "image": Image.objects.in_bulk(image_ids) if image_ids else {},
        "video": Video.objects.published().select_related("thumbnail").in_bulk(video_ids)
        if video_ids
        else {},
    }


class ArticleViewSet(SlugRedirectMixin, viewsets.ReadOnlyModelViewSet):
    """Published articles, newest first. List items are teasers; the detail carries everything an
    article page needs: body blocks, lead video, section, topics, authors and related teasers."""

    lookup_field = "slug"
    filterset_class = ArticleFilter

    def get_queryset(self):
        # Built per request: published() reads the clock.
        articles = Article.objects.published()
        return articles.for_api() if self.action == "list" else articles.for_detail_api()

    def get_serializer_class(self):
        return ArticleListSerializer if self.action == "list" else ArticleDetailSerializer

    def get_serializer(self, instance=None, *args, **kwargs):
        if self.action == "retrieve" and instance is not None:
            kwargs["context"] = {**self.get_serializer_context(), "embeds": load_body_embeds([instance])}
        return super().get_serializer(instance, *args, **kwargs)


class VideoViewSet(SlugRedirectMixin, viewsets.ReadOnlyModelViewSet):
    """Published videos, newest first."""

    lookup_field = "slug"
    filterset_class = VideoFilter

    def get_queryset(self):
        return Video.objects.published().for_api()

    def get_serializer_class(self):
        return VideoListSerializer if self.action == "list" else VideoDetailSerializer


class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
    """Authors, by name. The detail lists their newest published articles."""

    lookup_field = "slug"
    queryset = Author.objects.all()

    def get_serializer_class(self):
        return AuthorSerializer if self.action == "list" else AuthorDetailSerializer

    def get_object(self):
        author = super().get_object()
        author.latest = Article.objects.published().filter(authors=author).select_related("hero_image")[:12]
        return author
