"""The one router: every public resource of /api/v1/."""

from rest_framework.routers import DefaultRouter

from articles.views import SearchViewSet
from editorial.views import ChangeViewSet
from editorial.write_api import (  # the public resources: their reads, and the write API
    ArticleViewSet,
    AuthorViewSet,
    ImageViewSet,
    SectionViewSet,
    TopicViewSet,
    VideoViewSet,
)
from newsletters.views import NewsletterViewSet
from webhooks.api import EndpointViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("articles", ArticleViewSet, basename="article")
router.register("videos", VideoViewSet, basename="video")
router.register("authors", AuthorViewSet, basename="author")
router.register("sections", SectionViewSet, basename="section")
router.register("topics", TopicViewSet, basename="topic")
router.register("newsletters", NewsletterViewSet, basename="newsletter")
router.register("changes", ChangeViewSet, basename="change")
router.register("search", SearchViewSet, basename="search")
router.register("images", ImageViewSet, basename="image")
router.register("webhooks/endpoints", EndpointViewSet, basename="webhook-endpoint")
