from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve

from articles.feeds import AtomFeed, RssFeed, json_feed
from articles.live import LivePostsView
from articles.models import Article, Video
from articles.ninjs.views import ArticleNinjsViewSet, NinjsDraftView, VideoNinjsViewSet
from articles.preview import PreviewView
from articles.sitemaps import news_sitemap, sitemap_index, sitemap_section, video_sitemap
from cms import exceptions
from editorial.views import DraftView

from .api import router
from .docs import RedocView, SchemaView, SwaggerView
from .health import health, ready


def index(request):
    """A map for whoever opens the root URL."""
    return JsonResponse(
        {
            "name": "Newsroom Content API",
            "api": request.build_absolute_uri("/api/v1/"),
            "schema": request.build_absolute_uri("/api/schema/"),
            "docs": request.build_absolute_uri("/api/docs/"),
            "redoc": request.build_absolute_uri("/api/redoc/"),
            "admin": request.build_absolute_uri("/admin/"),
            "feeds": request.build_absolute_uri("/feeds/rss/"),
            "sitemap": request.build_absolute_uri("/sitemap.xml"),
        }
    )


@exceptions.read_only
def api_index(request):
    return JsonResponse(
        {name: request.build_absolute_uri(f"/api/v1/{prefix}/") for prefix, _, name in router.registry}
    )


urlpatterns = [
    path("", index),
    path("admin/", admin.site.urls),
    path("api/health/", health, name="health"),
    path("api/ready/", ready, name="ready"),
    path("api/v1/", api_index, name="api-root"),
    path("api/v1/articles/<slug:slug>/posts/", LivePostsView.as_view(), name="article-live-posts"),
    # IPTC ninjs (articles/ninjs/): the public item, and an item in any state for staging systems.
    path(
        "api/v1/articles/<slug:slug>/ninjs/",
        ArticleNinjsViewSet.as_view({"get": "retrieve"}, basename="article-ninjs"),
        name="article-ninjs-detail",
    ),
    path(
        "api/v1/videos/<slug:slug>/ninjs/",
        VideoNinjsViewSet.as_view({"get": "retrieve"}, basename="video-ninjs"),
        name="video-ninjs-detail",
    ),
    path("api/v1/", include(router.urls)),
    path("api/v1/preview/<str:token>/", PreviewView.as_view(), name="preview"),
    path("api/v1/drafts/articles/<slug:slug>/", DraftView.as_view(model=Article), name="draft-article"),
    path("api/v1/drafts/videos/<slug:slug>/", DraftView.as_view(model=Video), name="draft-video"),
    path(
        "api/v1/drafts/articles/<slug:slug>/ninjs/",
        NinjsDraftView.as_view(model=Article),
        name="draft-article-ninjs",
    ),
    path(
        "api/v1/drafts/videos/<slug:slug>/ninjs/",
        NinjsDraftView.as_view(model=Video),
        name="draft-video-ninjs",
    ),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    # Feeds and sitemaps (articles/feeds.py, articles/sitemaps.py): plain Django views, not in the schema.
    path("feeds/rss/", RssFeed(), name="feed-rss"),
    path("feeds/atom/", AtomFeed(), name="feed-atom"),
    path("feeds/json/", json_feed, name="feed-json"),
    path("feeds/sections/<slug:section>/rss/", RssFeed(), name="section-feed-rss"),
    path("feeds/sections/<slug:section>/atom/", AtomFeed(), name="section-feed-atom"),
    path("feeds/sections/<slug:section>/json/", json_feed, name="section-feed-json"),
    path("feeds/topics/<slug:topic>/rss/", RssFeed(), name="topic-feed-rss"),
    path("feeds/topics/<slug:topic>/atom/", AtomFeed(), name="topic-feed-atom"),
    path("feeds/topics/<slug:topic>/json/", json_feed, name="topic-feed-json"),
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemaps/<str:section>.xml", sitemap_section, name="sitemap-section"),
    path("sitemap-news.xml", news_sitemap, name="sitemap-news"),
    path("sitemap-video.xml", video_sitemap, name="sitemap-video"),
    # Newsletter email links (pages) and newsletter API routes outside the router.
    path("", include("newsletters.urls")),
]
if settings.SERVE_MEDIA:  # production serves uploads from a CDN or object storage instead
    # MEDIA_ROOT is read per request rather than at import, so that tests' temporary one is served.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", lambda request, path: serve(request, path, settings.MEDIA_ROOT))
    )
# Unknown API URLs answer in the error format even when DEBUG shows HTML pages elsewhere, and
# whatever the method: a POST to one is a 404, not a CSRF refusal.
urlpatterns.append(re_path(r"^api/", csrf_exempt(exceptions.not_found)))

handler400 = exceptions.bad_request
handler403 = exceptions.permission_denied
handler404 = exceptions.not_found
handler500 = exceptions.server_error
