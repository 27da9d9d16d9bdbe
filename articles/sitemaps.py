"""sitemap.xml (an index of one sitemap per kind of page, each split in pages of SITEMAP_PAGE_SIZE
URLs by django.contrib.sitemaps, so that no request renders more), a Google News sitemap of the
articles of the last two days and a Google video sitemap, paged the same way and listed in the
index. Only publicly visible articles and videos, and active topics; URLs are the frontend's pages."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.contrib.sitemaps.views import SitemapIndexItem
from django.db.models import Max, OuterRef, Prefetch, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from cms.caching import add_surrogate_keys
from cms.exceptions import PROBLEM_CONTENT_TYPE, problem
from cms.frontend import frontend_url
from cms.pagination import positive_int
from cms.representation import ABSOLUTE_PREFIX, absolute, iso
from cms.text import xml_text
from topics.models import Section, Topic

from .models import Article, Image, Video
from .players import PLAYABLE, source_is_media
from .teasers import media_url

NEWS_WINDOW = timedelta(days=2)  # Google News reads articles of the last two days only
NEWS_LIMIT = 1000  # and at most 1,000 URLs per news sitemap
SITEMAP_PAGE_SIZE = 2000  # URLs per page (search engines take up to 50,000)


class FrontendSitemap(Sitemap):
    """Locations on the frontend's host, whatever host serves the sitemap."""

    limit = SITEMAP_PAGE_SIZE

    def get_protocol(self, protocol=None):
        return urlsplit(settings.FRONTEND_BASE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.FRONTEND_BASE_URL).netloc

    def location(self, item):
        parts = urlsplit(frontend_url(item))
        return parts.path + (f"?{parts.query}" if parts.query else "")


class PublishableSitemap(FrontendSitemap):
    model = None

    def items(self):
        # Oldest first, so that new items land on the last page and the others stay put.
        return self.model.objects.published().only("pk", "slug", "published_at", "updated_at").order_by("pk")

    def lastmod(self, item):
        return max(item.published_at, item.updated_at)

    def get_latest_lastmod(self):
        newest = self.model.objects.published().aggregate(Max("published_at"), Max("updated_at"))
        return max(filter(None, newest.values()), default=None)


class ArticleSitemap(PublishableSitemap):
    model = Article


class VideoSitemap(PublishableSitemap):
    model = Video


def _newest_content(lookup: str):
    """Annotations: when the newest publicly visible article and video under each row changed."""
    return {
        f"{model._meta.model_name}_updated": Subquery(
            model.objects.published()
            .filter(**{lookup: OuterRef("pk")})
            .order_by("-updated_at")
            .values("updated_at")[:1]
        )
        for model in (Article, Video)
    }


class TaxonomySitemap(FrontendSitemap):
    """Sections and topics: last modified when their newest content was."""

    def lastmod(self, item):
        return max(filter(None, [item.article_updated, item.video_updated]), default=None)

    def get_latest_lastmod(self):
        return max(filter(None, [self.lastmod(item) for item in self.items()]), default=None)


class SectionSitemap(TaxonomySitemap):
    def items(self):
        return Section.objects.annotate(**_newest_content("section")).order_by("pk")


class TopicSitemap(TaxonomySitemap):
    def items(self):
        return Topic.objects.active().annotate(**_newest_content("topics")).order_by("pk")


class NewsSitemap(FrontendSitemap):
    """Google News: https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap"""

    limit = NEWS_LIMIT

    def items(self):
        recent = Article.objects.published().filter(published_at__gte=timezone.now() - NEWS_WINDOW)
        return recent.only("pk", "slug", "headline", "published_at", "updated_at")[:NEWS_LIMIT]

    def lastmod(self, item):
        return max(item.published_at, item.updated_at)

    def get_urls(self, page=1, site=None, protocol=None):
        publication = {
            "name": xml_text(settings.SITE_NAME),
            "language": news_language(settings.LANGUAGE_CODE),
        }
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            article = url["item"]
            url["news"] = {
                "publication": publication,
                "publication_date": iso(article.published_at),
                "title": xml_text(article.headline),
            }
        return urls


# Google's limits for a video sitemap entry.
VIDEO_DESCRIPTION_LENGTH = 2048
VIDEO_MAX_SECONDS = 28800
VIDEO_TAGS = 32


class GoogleVideoSitemap(FrontendSitemap):
    """Google's video sitemap: https://developers.google.com/search/docs/crawling-indexing/sitemaps/video-sitemaps
    Each publicly visible video Google can show (it needs a thumbnail, and the file or a player),
    on its page on the frontend. `prefix`: the scheme and host that image URLs start with."""

    def __init__(self, prefix: str = ""):
        self.context = {ABSOLUTE_PREFIX: prefix}

    def items(self):
        shown = Video.objects.published().filter(PLAYABLE, thumbnail__isnull=False)
        return (
            shown.select_related("thumbnail")
            .prefetch_related(Prefetch("topics", queryset=Topic.objects.active()))
            .defer("transcript")
            .order_by("pk")  # oldest first, as the other sitemaps: new ones land on the last page
        )

    def lastmod(self, item):
        return max(item.published_at, item.updated_at)

    def get_latest_lastmod(self):
        shown = Video.objects.published().filter(PLAYABLE, thumbnail__isnull=False)
        newest = shown.aggregate(Max("published_at"), Max("updated_at"))
        return max(filter(None, newest.values()), default=None)

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["video"] = self.video(url["item"])
        return urls

    def video(self, video: Video) -> dict:
        seconds = video.duration_seconds
        description = video.description or video.seo_description or video.title
        return {
            "thumbnail_loc": absolute(self.context, media_url(best_rendition(video.thumbnail))),
            "title": xml_text(video.title),
            "description": xml_text(description[:VIDEO_DESCRIPTION_LENGTH]),
            "content_loc": video.source_url if source_is_media(video) else None,
            "player_loc": video.embed_url or None,
            "duration": seconds if seconds is not None and 1 <= seconds <= VIDEO_MAX_SECONDS else None,
            "publication_date": iso(video.published_at),
            "expiration_date": iso(video.expires_at),
            "tags": [xml_text(topic.name) for topic in video.topics.all()][:VIDEO_TAGS],
        }


def best_rendition(image: Image) -> str:
    """The stored name of an image's widest copy (the original if it has none)."""
    return max(image.renditions, key=lambda r: r["width"])["path"] if image.renditions else image.file.name


def news_language(language_code: str) -> str:
    """Google News wants an ISO 639 code: `en` for `en-gb`; Chinese keeps its script (zh-cn, zh-tw)."""
    code = language_code.lower()
    return code if code in ("zh-cn", "zh-tw") else code.split("-")[0]


SITEMAPS = {
    "articles": ArticleSitemap,
    "videos": VideoSitemap,
    "sections": SectionSitemap,
    "topics": TopicSitemap,
}
# The list keys (cms.caching) of what each shows: sections and topics are dated by their content.
SITEMAP_KEYS = {
    "articles": {"articles"},
    "videos": {"videos"},
    "sections": {"sections", "articles", "videos"},
    "topics": {"topics", "articles", "videos"},
}
# The video sitemap shows thumbnails (and which videos have one) and topics' names too.
VIDEO_SITEMAP_KEYS = {"videos", "images", "topics"}


def _named(response: HttpResponse, keys: set[str]) -> HttpResponse:
    if response.status_code == 200:
        add_surrogate_keys(response, keys=keys)
    return response


def _invalid_page(request: HttpRequest) -> JsonResponse | None:
    """A 400 problem document for a `?p=` that is not a page number as the index writes them
    (Django's view would 404): `01` or `+1` would render page 1 again under another cache key."""
    page = request.GET.get("p", "1")
    if positive_int(page) is not None:
        return None
    error = {"detail": f"Must be a whole number of at least 1, not {page[:40]!r}.", "parameter": "p"}
    body = problem(400, "One or more query parameters are invalid.", code="invalid", errors=[error])
    return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """/sitemap.xml: every page of every sitemap below, the video sitemap's too, with its last
    modification."""
    index = sitemap_views.index(request, SITEMAPS, sitemap_url_name="sitemap-section")
    videos = GoogleVideoSitemap()
    location = request.build_absolute_uri(reverse("sitemap-video"))
    lastmod = videos.get_latest_lastmod()  # never after the videos sitemap's: the index's date holds
    index.context_data["sitemaps"] += [
        SitemapIndexItem(location if page == 1 else f"{location}?p={page}", lastmod)
        for page in videos.paginator.page_range
    ]
    return _named(index, set().union(*SITEMAP_KEYS.values(), VIDEO_SITEMAP_KEYS))


@require_safe
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    """One page (`?p=`, from 1) of the sitemap of articles, videos, sections or topics."""
    if invalid := _invalid_page(request):
        return invalid
    return _named(sitemap_views.sitemap(request, SITEMAPS, section=section), SITEMAP_KEYS[section])


@require_safe
def news_sitemap(request: HttpRequest) -> HttpResponse:
    """/sitemap-news.xml: articles published in the last two days, newest first."""
    if invalid := _invalid_page(request):
        return invalid
    news = sitemap_views.sitemap(request, {"news": NewsSitemap}, template_name="articles/sitemap_news.xml")
    return _named(news, {"articles"})


@require_safe
def video_sitemap(request: HttpRequest) -> HttpResponse:
    """/sitemap-video.xml: one page (`?p=`, from 1) of the Google video sitemap, oldest first."""
    if invalid := _invalid_page(request):
        return invalid
    videos = GoogleVideoSitemap(request.build_absolute_uri("/")[:-1])
    page = sitemap_views.sitemap(request, {"video": videos}, template_name="articles/sitemap_video.xml")
    return _named(page, VIDEO_SITEMAP_KEYS)
