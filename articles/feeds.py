"""RSS 2.0, Atom and JSON Feed 1.1 of the newest publicly visible articles and videos: for the whole
site, a section or a topic. Items link to the frontend's pages (cms/frontend.py); their ids are
stable tag URIs, so renaming a slug does not make readers see an item twice.

One loader (`load_channel`) does every query; the three formats only write what it returns."""

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from rest_framework import serializers

from cms.caching import add_surrogate_keys
from cms.frontend import frontend_host, frontend_url
from cms.representation import iso
from topics.models import Section, Topic

from .models import Article, Video
from .richtext import blocks_to_html
from .serializers import BodyField, VideoEmbedSerializer
from .views import embed_keys, load_body_embeds

FEED_LENGTH = 50  # items per feed, newest first
# RFC 4151 tag URIs need a date on which the authority (the frontend's host name) was ours; any
# fixed date will do, but it must never change, or every id changes with it.
TAG_DATE = "2025"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_CONTENT_TYPE = "application/feed+json"


@dataclass
class FeedItem:
    id: str
    url: str
    title: str
    summary: str  # plain text
    content_html: str
    image: str | None
    published: datetime
    updated: datetime
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Channel:
    """A feed's metadata and items, whatever format writes it."""

    title: str
    description: str
    home_page_url: str
    feed_id: str
    items: list[FeedItem]
    shown: list = field(default_factory=list)  # the model objects in it, for its surrogate keys
    keys: set[str] = field(default_factory=set)  # and the keys of what it shows without loading


def stable_id(kind: str, pk: int | str) -> str:
    return f"tag:{frontend_host()},{TAG_DATE}:{kind}/{pk}"


class _BodySerializer(serializers.Serializer):
    """The body blocks exactly as the article detail serves them (embeds resolved, hidden ones gone)."""

    body = BodyField()


def _image_url(request: HttpRequest, image) -> str | None:
    return request.build_absolute_uri(image.file.url) if image is not None and image.file else None


def _article_items(request: HttpRequest, articles: list[Article], embeds: dict) -> list[FeedItem]:
    context = {"request": request, "embeds": embeds}
    bodies = _BodySerializer(articles, many=True, context=context).data
    return [
        FeedItem(
            id=stable_id("article", article.pk),
            url=frontend_url(article),
            title=article.headline,
            summary=article.standfirst,
            content_html=blocks_to_html(served["body"]),
            image=_image_url(request, article.hero_image),
            published=article.published_at,
            updated=max(article.published_at, article.updated_at),
            authors=[author.name for author in article.authors.all()],
            tags=[topic.name for topic in article.topics.all()],
        )
        for article, served in zip(articles, bodies, strict=True)
    ]


def _video_items(request: HttpRequest, videos: list[Video]) -> list[FeedItem]:
    context = {"request": request}
    items = []
    for video in videos:
        player = blocks_to_html(
            [{"type": "video", "video": VideoEmbedSerializer(video, context=context).data, "caption": ""}]
        )
        description = f"<p>{escape(video.description)}</p>" if video.description else ""
        items.append(
            FeedItem(
                id=stable_id("video", video.pk),
                url=frontend_url(video),
                title=video.title,
                summary=video.description,
                content_html=player + description,
                image=_image_url(request, video.thumbnail),
                published=video.published_at,
                updated=max(video.published_at, video.updated_at),
                tags=[topic.name for topic in video.topics.all()],
            )
        )
    return items


def load_channel(request: HttpRequest, *, section: str | None = None, topic: str | None = None) -> Channel:
    """The newest publicly visible articles and videos of the site, a section or an active topic
    (404 for an unknown section or an unknown or inactive topic), at a fixed number of queries."""
    site = settings.SITE_NAME
    if section is not None:
        scope = get_object_or_404(Section, slug=section)
        lookups, kind = {"section": scope}, "sections"
    elif topic is not None:
        scope = get_object_or_404(Topic.objects.active(), slug=topic)
        lookups, kind = {"topics": scope}, "topics"
    else:
        scope, lookups, kind = None, {}, None

    articles = list(Article.objects.published().filter(**lookups).for_feed()[:FEED_LENGTH])
    videos = list(Video.objects.published().filter(**lookups).for_feed()[:FEED_LENGTH])
    newest = sorted([*articles, *videos], key=lambda item: (item.published_at, item.pk), reverse=True)
    newest = newest[:FEED_LENGTH]  # render only what is kept
    articles = [item for item in newest if isinstance(item, Article)]
    embeds = load_body_embeds(articles)
    ordered = sorted(
        [
            *_article_items(request, articles, embeds),
            *_video_items(request, [item for item in newest if isinstance(item, Video)]),
        ],
        key=lambda item: item.published,
        reverse=True,
    )
    # Any article or video published, changed or gone may change which are the newest.
    shown, keys = [*newest, *filter(None, [scope])], {"articles", "videos", *embed_keys(embeds)}

    if scope is None:
        return Channel(
            title=site,
            description=f"The latest articles and videos from {site}.",
            home_page_url=frontend_url(),
            feed_id=stable_id("feed", "site"),
            items=ordered,
            shown=shown,
            keys=keys,
        )
    return Channel(
        title=f"{scope.name} | {site}",
        description=scope.description or f"The latest on {scope.name} from {site}.",
        home_page_url=frontend_url(scope),
        feed_id=stable_id("feed", f"{kind}/{scope.slug}"),
        items=ordered,
        shown=shown,
        keys=keys,
    )


# --- RSS 2.0 and Atom: django.contrib.syndication, with the full text added ------------------
class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with the whole item as HTML in `content:encoded` (the description is the summary)."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": "http://purl.org/rss/1.0/modules/content/"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])


class AtomWithContent(Atom1Feed):
    """Atom with the whole entry as HTML in `content` (the summary is the standfirst)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


class RssFeed(Feed):
    """The newest articles and videos as RSS 2.0. URL kwargs `section` or `topic` narrow it."""

    feed_type = RssWithContent
    item_guid_is_permalink = False  # the guid is a stable tag URI; the link is the page

    def __call__(self, request, *args, **kwargs):
        response = require_safe(super().__call__)(request, *args, **kwargs)
        channel = getattr(request, "feed_channel", None)  # not for a 404 or a 405
        if channel is not None and response.status_code == 200:
            add_surrogate_keys(response, channel.shown, channel.keys)
        return response

    def get_object(self, request, section=None, topic=None):
        request.feed_channel = load_channel(request, section=section, topic=topic)
        return request.feed_channel

    def title(self, channel):
        return channel.title

    def description(self, channel):
        return channel.description

    subtitle = description  # Atom's name for it

    def link(self, channel):
        return channel.home_page_url

    def feed_guid(self, channel):
        return channel.feed_id

    def author_name(self, channel):
        return settings.SITE_NAME  # Atom requires an author for the feed or every entry

    def items(self, channel):
        return channel.items

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return escape(item.summary)  # the description is HTML in both RSS and Atom

    def item_link(self, item):
        return item.url

    def item_guid(self, item):
        return item.id

    def item_pubdate(self, item):
        return item.published

    def item_updateddate(self, item):
        return item.updated

    def item_author_name(self, item):
        return ", ".join(item.authors) or None

    def item_categories(self, item):
        return item.tags

    def item_extra_kwargs(self, item):
        return {"content_html": item.content_html}


class AtomFeed(RssFeed):
    """The newest articles and videos as Atom 1.0."""

    feed_type = AtomWithContent


# --- JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) -----------------------------------
def _json_item(item: FeedItem) -> dict:
    data = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html,
        "summary": item.summary,
        "date_published": iso(item.published),
        "date_modified": iso(item.updated),
    }
    if item.image:
        data["image"] = item.image
    if item.authors:
        data["authors"] = [{"name": name} for name in item.authors]
    if item.tags:
        data["tags"] = item.tags
    return data


@require_safe
def json_feed(request: HttpRequest, section: str | None = None, topic: str | None = None) -> JsonResponse:
    """The newest articles and videos as JSON Feed 1.1."""
    channel = load_channel(request, section=section, topic=topic)
    body = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.home_page_url,
        "feed_url": request.build_absolute_uri(request.path),
        "description": channel.description,
        "language": settings.LANGUAGE_CODE,
        "authors": [{"name": settings.SITE_NAME, "url": frontend_url()}],
        "items": [_json_item(item) for item in channel.items],
    }
    response = JsonResponse(body, content_type=JSON_FEED_CONTENT_TYPE)
    add_surrogate_keys(response, channel.shown, channel.keys)
    if channel.items:  # as the XML feeds do, for conditional GETs
        response.headers["Last-Modified"] = http_date(max(item.updated for item in channel.items).timestamp())
    return response
