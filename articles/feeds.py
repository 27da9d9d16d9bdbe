"""RSS 2.0, Atom and JSON Feed 1.1 of the newest publicly visible articles and videos: for the whole
site, a section or a topic. Items link to the frontend's pages (cms/frontend.py); their ids are
stable tag URIs, so renaming a slug does not make readers see an item twice.

One loader (`load_channel`) does every query; the three formats only write what it returns."""

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import cached_property
from html import escape
from io import StringIO

import orjson
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import http_date
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe
from rest_framework import serializers

from cms.caching import Renderings, add_surrogate_keys, keys_of
from cms.frontend import frontend_host, frontend_url
from cms.representation import ABSOLUTE_PREFIX, absolute, iso
from cms.text import xml_text
from topics.models import Section, Topic

from .blocks import referenced_ids
from .corrections import corrections_html
from .embeds import embed_keys, load_body_embeds
from .listing import HOST_MARK, kept, latest_public_content, with_host
from .models import Article, LivePost, Video
from .richtext import blocks_to_html
from .rights import rights_data, rights_notice
from .serializers import BodyField, VideoEmbedSerializer, body_data

FEED_LENGTH = 50  # items per feed, newest first
FEED_LIVE_POSTS = 10  # a live page's newest posts, above its body
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
    rights: dict = field(default_factory=dict)  # articles.rights.rights_data


@dataclass
class Channel:
    """A feed's metadata and items, whatever format writes it."""

    title: str
    description: str
    home_page_url: str
    feed_id: str
    texts: list[str]  # the items' stored texts (FEED_ITEMS), newest first
    host: str  # that their links start with
    shown: list = field(default_factory=list)  # the model objects in it, for its surrogate keys
    keys: set[str] = field(default_factory=set)  # and the keys of what it shows without loading

    @cached_property
    def items(self) -> list[FeedItem]:
        return [_served(text, self.host) for text in self.texts]

    @cached_property
    def updated(self) -> datetime | None:
        """When its newest change was: the XML feeds say so when they write their items."""
        return max((item.updated for item in self.items), default=None)


def stable_id(kind: str, pk: int | str) -> str:
    return f"tag:{frontend_host()},{TAG_DATE}:{kind}/{pk}"


class _BodySerializer(serializers.Serializer):
    """The body blocks exactly as the article detail serves them (embeds resolved, hidden ones gone)."""

    body = BodyField()


def _image_url(context: dict, image) -> str | None:
    return absolute(context, image.file.url) if image is not None and image.file else None


def _article_items(articles: list[Article]) -> dict[int, tuple[FeedItem, set[str]]]:
    """Feed items of `articles`, with the keys of what each shows: two queries for their embeds."""
    embeds = load_body_embeds(articles)
    context = {ABSOLUTE_PREFIX: HOST_MARK, "embeds": embeds}
    bodies = _BodySerializer(articles, many=True, context=context).data
    updates, update_embeds = _live_updates([article for article in articles if article.live_status])
    made = {}
    for article, served in zip(articles, bodies, strict=True):
        images, videos = referenced_ids([article.body], "image"), referenced_ids([article.body], "video")
        own_embeds = {
            "image": {pk: image for pk, image in embeds["image"].items() if pk in images},
            "video": {pk: video for pk, video in embeds["video"].items() if pk in videos},
            "hidden": embeds["hidden"] & videos,
        }
        item = FeedItem(
            id=stable_id("article", article.pk),
            url=frontend_url(article),
            title=article.headline,
            summary=article.standfirst,
            content_html=updates.get(article.pk, "")
            + blocks_to_html(served["body"])
            + corrections_html(article.corrections.all()),
            image=_image_url(context, article.hero_image),
            published=article.published_at,
            updated=max(article.published_at, article.updated_at),
            authors=[author.name for author in article.authors.all()],
            tags=[topic.name for topic in article.topics.all()],
            rights=rights_data(article),
        )
        keys = keys_of([article]) | embed_keys(own_embeds)
        if article.pk in updates:  # the embeds of its posts too: one published or hidden changes it
            keys |= embed_keys(update_embeds)
        made[article.pk] = (item, keys)
    return made


def _live_updates(live_pages: list[Article]) -> tuple[dict[int, str], dict]:
    """The newest posts of live pages, as HTML above their body, and what the posts embed: a live
    page's item changes with every post (a post touches its article: articles.models.touch). Two
    queries or three, only when the feed holds live pages."""
    if not live_pages:
        return {}, {}
    newest = LivePost.objects.public().select_related("author").order_by("-published_at", "-pk")
    newest = Prefetch("live_posts", queryset=newest[:FEED_LIVE_POSTS], to_attr="newest_posts")
    prefetch_related_objects(live_pages, newest)
    posts = [post for article in live_pages for post in article.newest_posts]
    embeds = load_body_embeds(posts)
    context = {ABSOLUTE_PREFIX: HOST_MARK, "embeds": embeds}
    updates = {}
    for article in live_pages:
        entries = "".join(
            f"<li><time>{post.published_at:%H:%M} UTC</time> "
            + (f"<strong>{escape(post.title)}</strong> " if post.title else "")
            + blocks_to_html(body_data(post.body, context))
            + "</li>"
            for post in article.newest_posts
        )
        status = escape(article.get_live_status_display())
        updates[article.pk] = (
            f'<section class="live"><h2>{status}: latest updates</h2><ul>{entries}</ul></section>'
        )
    return updates, embeds


def _video_items(videos: list[Video]) -> dict[int, tuple[FeedItem, set[str]]]:
    context = {ABSOLUTE_PREFIX: HOST_MARK}
    made = {}
    for video in videos:
        player = blocks_to_html(
            [{"type": "video", "video": VideoEmbedSerializer(video, context=context).data, "caption": ""}]
        )
        description = f"<p>{escape(video.description)}</p>" if video.description else ""
        item = FeedItem(
            id=stable_id("video", video.pk),
            url=frontend_url(video),
            title=video.title,
            summary=video.description,
            content_html=player + description + corrections_html(video.corrections.all()),
            image=_image_url(context, video.thumbnail),
            published=video.published_at,
            updated=max(video.published_at, video.updated_at),
            tags=[topic.name for topic in video.topics.all()],
            rights=rights_data(video),
        )
        made[video.pk] = (item, keys_of([video]))
    return made


# Feed items are kept as renderings (cms.caching.Renderings): what they show comes and goes with
# the clock (embedded videos). The frontend's URLs they hold come from settings, which are part of
# the release.
FEED_SOURCES = {
    "article": lambda pks: _article_items(list(Article.objects.for_feed().filter(pk__in=pks))),
    "video": lambda pks: _video_items(list(Video.objects.for_feed().filter(pk__in=pks))),
}
FEED_ITEMS = {
    kind: (
        Renderings(f"feed-item-{kind}", timed=True),
        lambda pks, make=make: {pk: (_stored(item), sorted(keys)) for pk, (item, keys) in make(pks).items()},
    )
    for kind, make in FEED_SOURCES.items()
}


def _stored(item: FeedItem) -> str:
    data = {**asdict(item), "published": item.published.isoformat(), "updated": item.updated.isoformat()}
    return orjson.dumps(data).decode()


def _served(text: str, host: str) -> FeedItem:
    data = orjson.loads(with_host(text, host))
    published, updated = datetime.fromisoformat(data["published"]), datetime.fromisoformat(data["updated"])
    return FeedItem(**{**data, "published": published, "updated": updated})


def feed_texts(refs: list[tuple[str, int]]) -> tuple[list[str], set[str]]:
    """The stored feed items of the articles and videos `refs` names, in order, and the keys of
    what they show: each made once and kept until something it shows changes."""
    shown, texts, keys = kept(refs, FEED_ITEMS)
    return [texts[ref] for ref in shown], keys


def load_channel(request: HttpRequest, *, section: str | None = None, topic: str | None = None) -> Channel:
    """The newest publicly visible articles and videos of the site, a section or an active topic
    (404 for an unknown section or an unknown or inactive topic), at a fixed number of queries."""
    site = settings.SITE_NAME
    if section is not None:
        scope = get_object_or_404(Section, slug=section)
        relation, kind = "section", "sections"
    elif topic is not None:
        scope = get_object_or_404(Topic.objects.active(), slug=topic)
        relation, kind = "topics", "topics"
    else:
        scope, relation, kind = None, None, None

    refs = latest_public_content(relation, scope.pk if scope else None, limit=FEED_LENGTH)
    texts, keys = feed_texts(refs)
    host = request.build_absolute_uri("/")[:-1]
    # Any article or video published, changed or gone may change which are the newest.
    shown, keys = list(filter(None, [scope])), {"articles", "videos", *keys}

    if scope is None:
        return Channel(
            title=site,
            description=f"The latest articles and videos from {site}.",
            home_page_url=frontend_url(),
            feed_id=stable_id("feed", "site"),
            texts=texts,
            host=host,
            shown=shown,
            keys=keys,
        )
    return Channel(
        title=f"{scope.name} | {site}",
        description=scope.description or f"The latest on {scope.name} from {site}.",
        home_page_url=frontend_url(scope),
        feed_id=stable_id("feed", f"{kind}/{scope.slug}"),
        texts=texts,
        host=host,
        shown=shown,
        keys=keys,
    )


# --- RSS 2.0 and Atom: django.contrib.syndication, with the full text added ------------------
# Each item as a feed generator's items list holds it, its XML made: {"xml", "pubdate",
# "updateddate"}, by (generator class, host, stored text). The XML is a function of these alone,
# so it is made once per process, and a request only joins what is kept.
_ITEM_XML: dict[tuple, dict] = {}
# Characters of kept items (their stored text and XML) per process: a feed's items are the same for
# many requests; past this, everything kept is dropped and kept again as it is asked for.
ITEM_XML_KEPT_CHARS = 32_000_000
_kept_chars = 0


def kept_item(feed_type, host: str, text: str) -> dict | None:
    return _ITEM_XML.get((feed_type, host, text))


class ItemXmlKept:
    """Writes each item's XML once per process (see _ITEM_XML): an item added with `kept_as`, its
    key there, is written and kept; one appended from there is written as it was made."""

    item_element = "item"

    def write_items(self, handler):
        for item in self.items:
            # Written as is (SAX's ignorableWhitespace writes its text unescaped): the same
            # generator made it, escaping and checking as it writes any element.
            handler.ignorableWhitespace(item["xml"] if "xml" in item else self._item_xml(item))

    def _item_xml(self, item: dict) -> str:
        out = StringIO()
        handler = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
        handler.startElement(self.item_element, self.item_attributes(item))
        self.add_item_elements(handler, item)
        handler.endElement(self.item_element)
        xml = out.getvalue()
        global _kept_chars
        size = len(xml) + len(item["kept_as"][-1])
        if _kept_chars + size > ITEM_XML_KEPT_CHARS:
            _ITEM_XML.clear()
            _kept_chars = 0
        _kept_chars += size
        _ITEM_XML[item["kept_as"]] = {
            "xml": xml,
            "pubdate": item["pubdate"],
            "updateddate": item["updateddate"],
        }
        return xml


class RssWithContent(ItemXmlKept, Rss201rev2Feed):
    """RSS 2.0 with the whole item as HTML in `content:encoded` (the description is the summary)."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            "xmlns:dc": "http://purl.org/dc/elements/1.1/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])
        if item["rights"]:
            handler.addQuickElement("dc:rights", item["rights"])


class AtomWithContent(ItemXmlKept, Atom1Feed):
    """Atom with the whole entry as HTML in `content` (the summary is the standfirst)."""

    item_element = "entry"

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})
        if item["rights"]:
            handler.addQuickElement("rights", item["rights"])


class RssFeed(Feed):
    """The newest articles and videos as RSS 2.0. URL kwargs `section` or `topic` narrow it."""

    feed_type = RssWithContent

    def __call__(self, request, *args, **kwargs):
        response = require_safe(super().__call__)(request, *args, **kwargs)
        # The generator wrote the feed in pieces, which a WSGI server would send one by one.
        response.content = response.content
        channel = getattr(request, "feed_channel", None)  # not for a 404 or a 405
        if channel is not None and response.status_code == 200:
            add_surrogate_keys(response, channel.shown, channel.keys)
            if channel.updated:  # for conditional GETs, as the JSON feed
                response.headers["Last-Modified"] = http_date(channel.updated.timestamp())
        return response

    def get_object(self, request, section=None, topic=None):
        request.feed_channel = load_channel(request, section=section, topic=topic)
        return request.feed_channel

    def title(self, channel):
        return xml_text(channel.title)

    def description(self, channel):
        return xml_text(channel.description)

    subtitle = description  # Atom's name for it

    def link(self, channel):
        return channel.home_page_url

    def feed_guid(self, channel):
        return channel.feed_id

    def feed_copyright(self, channel):
        return xml_text(f"© {settings.SITE_NAME}")

    def author_name(self, channel):
        return settings.SITE_NAME  # Atom requires an author for the feed or every entry

    def items(self, channel):
        return channel.items

    def get_feed(self, obj, request):
        # The channel as django.contrib.syndication makes it; the items added here directly: its
        # per-item attribute lookups cost more than writing an item that is kept (ItemXmlKept).
        feed = super().get_feed(replace(obj, texts=[]), request)
        for text in obj.texts:
            if (written := kept_item(self.feed_type, obj.host, text)) is not None:
                feed.items.append(written)
                continue
            item = _served(text, obj.host)
            # Text as XML can hold it, whatever editors pasted (cms.text).
            feed.add_item(
                title=xml_text(item.title),
                link=item.url,
                description=xml_text(escape(item.summary)),  # HTML in both RSS and Atom
                unique_id=item.id,
                unique_id_is_permalink=False,  # the guid is a stable tag URI; the link is the page
                pubdate=item.published,
                updateddate=item.updated,
                author_name=xml_text(", ".join(item.authors)) or None,
                categories=[xml_text(tag) for tag in item.tags],
                content_html=xml_text(item.content_html),
                rights=xml_text(rights_notice(item.rights)) if item.rights else "",
                kept_as=(self.feed_type, obj.host, text),
            )
        obj.updated = max((item["updateddate"] for item in feed.items), default=None)
        return feed


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
    if item.rights:
        data["_rights"] = item.rights  # an extension (JSON Feed 1.1: names starting with `_`)
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
    if channel.updated:  # as the XML feeds do, for conditional GETs
        response.headers["Last-Modified"] = http_date(channel.updated.timestamp())
    return response
