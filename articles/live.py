"""The posts of a live page: `GET /api/v1/articles/{slug}/posts/`, newest first, older pages by
`?cursor=`, and what changed `?since=` a revision, for polling.

Every change readers see in the posts (models.LivePost.save) gives the article a new live
revision and purges its key: a poll of `?since=<the newest revision>` is then one cached answer
(a 304 to a client that sends its ETag), the same for every reader, that a CDN can hold until the
next post. Answers take three queries at most (the article, the posts with their authors, and
their embeds)."""

from base64 import urlsafe_b64decode
from collections import namedtuple
from datetime import UTC, datetime

import orjson
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.caching import Renderings, add_surrogate_keys, keys_of, object_key
from cms.compiled import CompiledQuery
from cms.pagination import bounded_page_size
from cms.representation import ABSOLUTE_PREFIX

from .blocks import referenced_ids
from .embeds import embed_keys, load_body_embeds
from .listing import HOST_MARK, kept, with_host
from .models import Article, LivePost, LiveStatus
from .serializers import (
    LIVE_MAX_PAGE_SIZE,
    LIVE_PAGE_SIZE,
    LivePostSerializer,
    live_post_data,
    live_posts_url,
    older_cursor,
)

SINCE_MAX = 200  # changes per answer to a poll; `has_more` says to ask again at once


class LivePostsPageSerializer(serializers.Serializer):
    """A page of a live page's posts, or what changed since a revision."""

    status = serializers.ChoiceField(choices=LiveStatus.choices, help_text="upcoming, live or ended.")
    results = LivePostSerializer(
        many=True,
        help_text="Posts, newest first. With `since`: the posts published or edited since then.",
    )
    removed = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="With `since`: ids of posts taken down since then (deleted or unpublished); "
        "remove them. Otherwise empty.",
    )
    next = serializers.URLField(
        allow_null=True, help_text="The page of older posts; null at the oldest, and with `since`."
    )
    since = serializers.CharField(help_text="Where this answer leaves the stream: poll with `?since=` it.")
    poll = serializers.URLField(help_text="The URL to poll next (`?since=`).")
    has_more = serializers.BooleanField(
        help_text="With `since`: more changes are waiting than one answer holds; poll `poll` at once."
    )


# The view's queries, compiled once (cms.compiled): building them was most of an answer's cost.
LivePage = namedtuple("LivePage", "pk slug live_status live_revision")
LIVE_PAGE = CompiledQuery(
    lambda now, slug: (
        Article.objects.published(now)
        .filter(slug=slug)
        .exclude(live_status="")
        .values_list(*LivePage._fields)
    ),
    now=datetime,
    slug=str,
)
NEWEST_POSTS = CompiledQuery(
    lambda article: LivePost.objects.newest(article).values_list("pk", "published_at"), article=int
)
OLDER_POSTS = CompiledQuery(
    lambda article, at, pk: LivePost.objects.newest(article, before=(at, pk)).values_list(
        "pk", "published_at"
    ),
    article=int,
    at=datetime,
    pk=int,
)
CHANGED_POSTS = CompiledQuery(
    lambda article, revision: LivePost.objects.changed_since(article, revision).values_list(
        "pk", "status", "deleted_at", "published_at", "revision"
    ),
    article=int,
    revision=int,
)


class LivePostsView(APIView):
    """The posts of a live page (an article with live coverage), newest first. Poll `poll` (the
    `?since=` URL) with `If-None-Match`: a 304 until something changes, then the posts published
    or edited since, and the ids of those taken down."""

    query_parameters = ("since", "cursor", "page_size")  # part of the cache key (cms.caching)
    serializer_class = LivePostsPageSerializer

    @extend_schema(
        operation_id="articles_posts_list",
        parameters=[
            OpenApiParameter("slug", str, OpenApiParameter.PATH, description="Slug of the live page."),
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description="A `since` token of an earlier answer: only what changed after it. "
                "Anything else, or a token ahead of the page, is a 400.",
            ),
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="Older posts: the `next` link of the previous page."
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": LIVE_MAX_PAGE_SIZE, "default": LIVE_PAGE_SIZE},
                description=f"Posts per page, from 1 to {LIVE_MAX_PAGE_SIZE}; default {LIVE_PAGE_SIZE}.",
            ),
        ],
        responses={200: LivePostsPageSerializer},
    )
    def get(self, request, slug):
        size = bounded_page_size(request, default=LIVE_PAGE_SIZE, maximum=LIVE_MAX_PAGE_SIZE)
        found = LIVE_PAGE.rows(limit=1, now=timezone.now(), slug=slug)
        if not found:
            raise NotFound("No live page has this slug.")
        article = LivePage(*found[0])
        context = {"request": request}
        since, cursor = request.query_params.get("since"), request.query_params.get("cursor")
        if since is not None and cursor is not None:
            raise ValidationError({"cursor": ["Give `since` or `cursor`, not both."]})
        if since is not None:
            data = self._since(article, _revision(since, article.live_revision), context)
        else:
            before = _position(cursor) if cursor is not None else None
            data = self._page(article, before, size, context)
        shown, texts, keys = kept([("post", pk) for pk in data["results"]], POSTS)
        host = request.build_absolute_uri("/")[:-1]
        data["results"] = [orjson.Fragment(with_host(texts[ref], host)) for ref in shown]
        response = Response({"status": article.live_status, **data})
        # article-N: every post's change purges it (articles.models.touch).
        add_surrogate_keys(response, keys={object_key(Article, article.pk), *keys})
        return response

    def _page(self, article, before, size, context):
        if before is None:
            found = NEWEST_POSTS.rows(limit=size + 1, article=article.pk)
        else:
            found = OLDER_POSTS.rows(limit=size + 1, article=article.pk, at=before[0], pk=before[1])
        rows = found[:size]
        since = str(article.live_revision)
        older = None
        if len(found) > size:  # where the next page starts: after the last post of this one
            last = LivePost(pk=rows[-1][0], published_at=rows[-1][1])
            older = live_posts_url(context, article.slug, cursor=older_cursor(last), page_size=size)
        return {
            "results": [pk for pk, _ in rows],
            "removed": [],
            "next": older,
            "since": since,
            "poll": live_posts_url(context, article.slug, since=since),
            "has_more": False,
        }

    def _since(self, article, revision, context):
        changed = CHANGED_POSTS.rows(limit=SINCE_MAX + 1, article=article.pk, revision=revision)
        more, changed = len(changed) > SINCE_MAX, changed[:SINCE_MAX]
        public = [row for row in changed if row[1] == LivePost.Status.PUBLISHED and row[2] is None]
        public.sort(key=lambda row: (row[3], row[0]), reverse=True)  # newest first
        since = str(changed[-1][4] if more else article.live_revision)
        return {
            "results": [row[0] for row in public],
            "removed": [row[0] for row in changed if row not in public],
            "next": None,
            "since": since,
            "poll": live_posts_url(context, article.slug, since=since),
            "has_more": more,
        }


def _make_posts(pks) -> dict:
    """make() for `kept`: posts as JSON (image URLs with the host marked), with the keys of what
    each shows: its own, its byline's, what its body embeds."""
    posts = list(LivePost.objects.filter(pk__in=pks).select_related("author"))
    embeds = load_body_embeds(posts)
    context = {ABSOLUTE_PREFIX: HOST_MARK, "embeds": embeds}
    made = {}
    for post in posts:
        images, videos = referenced_ids([post.body], "image"), referenced_ids([post.body], "video")
        own = {
            "image": {pk: image for pk, image in embeds["image"].items() if pk in images},
            "video": {pk: video for pk, video in embeds["video"].items() if pk in videos},
            "hidden": embeds["hidden"] & videos,
        }
        text = orjson.dumps(live_post_data(post, context)).decode()
        made[post.pk] = (text, sorted(keys_of([post]) | embed_keys(own)))
    return made


# Posts rendered once and kept until they change (their own key, their byline's, their embeds'), or
# an embedded video comes or goes with the clock: a poll after a new post renders only that one.
POSTS = {"post": (Renderings("live-post", timed=True), _make_posts)}


def _revision(value: str, newest: int) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValidationError({"since": ["Not a `since` token of this page."]})
    revision = int(value)
    if revision > newest:
        raise ValidationError(
            {"since": ["This token is ahead of the page: start again from the first page."]}
        )
    return revision


def _position(cursor: str) -> tuple[datetime, int]:
    try:
        at, _, pk = urlsafe_b64decode(cursor.encode("ascii")).decode().partition("|")
        at, pk = datetime.fromisoformat(at), int(pk)
        if at.tzinfo is None or not 0 < pk < 2**63:
            raise ValueError
        return at.astimezone(UTC), pk  # a time at the edge of the calendar overflows here
    except (ValueError, UnicodeError, OverflowError):
        raise ValidationError({"cursor": ["Not a cursor of this page: follow the `next` links."]}) from None
