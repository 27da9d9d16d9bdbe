import re
from datetime import datetime
from functools import partial
from itertools import product

import orjson
from django import forms
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404
from django.utils import timezone
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cms.caching import Renderings, SurrogateKeyMixin, add_surrogate_keys, cached_value, keys_of, list_keys
from cms.compiled import CompiledQuery
from cms.fields import FieldSelectionMixin
from cms.filtering import FilterBackend, translate_validation
from cms.ordering import OrderingFilter
from cms.pagination import FeedPagination, PageNumberPagination
from cms.representation import ABSOLUTE_PREFIX
from topics.models import Section, Topic
from topics.serializers import SectionSerializer, TopicSerializer

from . import listing, search
from .embeds import embed_keys, load_body_embeds
from .filters import ArticleFilter, SearchFilter, VideoFilter
from .models import Article, Author, Video, has_public_lead_video
from .redirects import SlugRedirectMixin
from .serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    AuthorDetailSerializer,
    AuthorSerializer,
    SearchResultSerializer,
    SectionDetailSerializer,
    TopicDetailSerializer,
    VideoDetailSerializer,
    VideoListSerializer,
)
from .throttling import SearchClientThrottle

# A list request with only these parameters is every live article in the default order.
UNFILTERED_PAGE_PARAMS = {"page", "page_size", "cursor", "fields", "expand"}
# The filters that narrow it to one topic or section (articles.filters): the id of the slug, in
# what they look in.
SCOPED = {
    "topic": (
        Topic,
        CompiledQuery(lambda slug: Topic.objects.active().filter(slug=slug).values_list("pk"), slug=str),
    ),
    "section": (
        Section,
        CompiledQuery(lambda slug: Section.objects.filter(slug=slug).values_list("pk"), slug=str),
    ),
}
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,200}")


class _Unknown(Exception):
    """No such object: nothing is kept (unknown slugs must not make cache entries)."""


class LatestContentPageMixin:
    """The detail of a section, a topic or an author: its own fields and its newest publicly
    visible content as teaser cards, all kept as renderings (articles.listing) by the rule of
    cached responses, the slug's id like a count while no object of its kind changes. A publish
    changes only which cards are newest: one query then."""

    relation: str  # what `latest_public_content` looks in: "section", "topics", "authors"
    model: type  # the page's (a queryset would be built for its model on every request)

    def retrieve(self, request, *args, **kwargs):
        fields = self.get_fields()  # checked first: a 400 for an unknown one
        slug = kwargs[self.lookup_field]
        try:
            pk = cached_value(
                f"api:slug:{self.basename}:{slug}",
                list_keys(self.model),
                lambda: self._pk(slug),
            )
        except _Unknown:
            raise Http404 from None
        own = ("own", pk)
        refs = [own, *listing.latest_public_content(self.relation, pk)]
        shown, texts, keys = listing.kept(
            refs, {**listing.TEASERS, "own": (_own_renderings(self), self._own)}
        )
        if own not in texts:
            raise Http404  # deleted since its id was kept
        self._served = ([], {*keys, *self.detail_keys})
        host = request.build_absolute_uri("/")[:-1]
        latest = ",".join(texts[ref] for ref in shown if ref != own)
        return Response(
            listing.chosen(listing.with_host(f'{texts[own][:-1]},"latest":[{latest}]}}', host), fields)
        )

    def _pk(self, slug: str) -> int:
        found = self.get_queryset().filter(slug=slug).first()
        if found is None:
            raise _Unknown
        self._found = found  # for _own(), which is about to need it
        return found.pk

    def _own(self, pks) -> dict:
        """make() for `kept`: the objects' own fields as JSON (image URLs with the host marked)."""
        context = {**self.get_serializer_context(), "fields": None, ABSOLUTE_PREFIX: listing.HOST_MARK}
        serializer = self.get_serializer_class()(context=context)
        loaded = getattr(self, "_found", None)
        if loaded is None or [loaded.pk] != list(pks):
            loaded = self.get_queryset().filter(pk__in=pks)
        else:
            loaded = [loaded]
        made = {}
        for found in loaded:
            found.latest = []
            data = serializer.represent(found)
            del data["latest"]
            made[found.pk] = (orjson.dumps(data).decode(), sorted(keys_of([found])))
        return made


_OWN_RENDERINGS: dict[str, Renderings] = {}


def _own_renderings(view) -> Renderings:
    if view.basename not in _OWN_RENDERINGS:
        _OWN_RENDERINGS[view.basename] = Renderings(f"{view.basename}-page", timed=False)
    return _OWN_RENDERINGS[view.basename]


class ArticleViewSet(
    SurrogateKeyMixin, SlugRedirectMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet
):
    """Published articles, newest first. List items are teasers; the detail carries everything an
    article page needs: body blocks, lead video, section, topics, authors and related teasers."""

    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SearchClientThrottle]  # searches: `q`

    lookup_field = "slug"
    filterset_class = ArticleFilter
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["published_at", "updated_at", "relevance"]
    ordering = "-published_at"
    pagination_class = FeedPagination  # ?page= or ?cursor=
    expandable = ["section", "topics", "authors", "lead_video", "related"]

    def get_queryset(self):
        # Built per request: published() reads the clock.
        articles = Article.objects.published()
        if self.action != "list":
            return articles.for_detail_api()
        if self._stored_items():
            return (
                articles.defer(None)
                .only(*listing.LIST_COLUMNS[:-1], "updated_at")  # updated_at: a cursor may follow it
                .annotate(has_video=has_public_lead_video())
            )
        return articles.for_api()  # the schema's

    def get_serializer_class(self):
        return ArticleListSerializer if self.action == "list" else ArticleDetailSerializer

    def _stored_items(self) -> bool:
        """Whether the response is served from the stored renderings (articles.listing): always,
        but for the schema's stand-in view."""
        return getattr(self, "request", None) is not None and not getattr(self, "swagger_fake_view", False)

    def list(self, request, *args, **kwargs):
        shape = {"expand": frozenset(self.get_expand()), "fields": self.get_fields()}  # checked first
        live = self._live_articles(request)
        if live is not None:
            rows = self.paginate_queryset(live)  # compiled SQL
        else:
            rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        items, keys = listing.list_items(rows, request.build_absolute_uri("/")[:-1], **shape)
        response = self.get_paginated_response(items)
        add_surrogate_keys(response, keys=keys)
        return response

    def _live_articles(self, request) -> listing.LiveArticles | None:
        """The busiest lists, served by compiled queries: the front page, and a list of one topic
        or one section with nothing else that filters. None for any other: the filters' path,
        which also answers every malformed or unknown value as it should."""
        filters = request.query_params.keys() - UNFILTERED_PAGE_PARAMS
        if not filters:
            return listing.LiveArticles()
        values = request.query_params.getlist(name := next(iter(filters)))
        if len(filters) > 1 or name not in SCOPED or len(values) != 1 or not SLUG.fullmatch(values[0]):
            return None
        slug, (model, query) = values[0], SCOPED[name]

        def scope_id() -> int:
            found = query.rows(limit=1, slug=slug)
            if not found:
                raise _Unknown
            return found[0][0]

        # Kept like a count, while no topic (or section) changes: one query fewer per list.
        try:
            return listing.LiveArticles(
                name, cached_value(f"api:scope:{name}:{slug}", list_keys(model), scope_id)
            )
        except _Unknown:
            return None  # the filters' path answers it

    def retrieve(self, request, *args, **kwargs):
        shape = {"expand": frozenset(self.get_expand()), "fields": self.get_fields()}
        # By slug alone, then the publication rule for the one row (Publishable.is_live): cheaper.
        row = listing.find(kwargs[self.lookup_field])
        if row is None or not row.is_live:
            return super().retrieve(request, *args, **kwargs)  # a 404, or an old slug's redirect
        host = request.build_absolute_uri("/")[:-1]
        body, keys = listing.detail(row, host, self.get_serializer_context(), **shape)
        response = Response(body)
        add_surrogate_keys(response, keys=keys)
        return response

    def get_serializer(self, instance=None, *args, **kwargs):
        if self.action == "retrieve" and instance is not None:
            embeds = load_body_embeds([instance])
            kwargs["context"] = {**self.get_serializer_context(), "embeds": embeds}
            self._served = ([instance], {*self.detail_keys, *embed_keys(embeds)})
        return super().get_serializer(instance, *args, **kwargs)


class VideoViewSet(SurrogateKeyMixin, SlugRedirectMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Published videos, newest first."""

    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SearchClientThrottle]  # searches: `q`

    lookup_field = "slug"
    filterset_class = VideoFilter
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["published_at", "updated_at", "relevance"]
    ordering = "-published_at"
    pagination_class = FeedPagination  # ?page= or ?cursor=
    expandable = ["section", "topics"]

    def get_queryset(self):
        videos = Video.objects.published()
        return videos.for_list_api() if self.action == "list" else videos.for_detail_api()

    def get_serializer_class(self):
        return VideoListSerializer if self.action == "list" else VideoDetailSerializer


class AuthorViewSet(
    SurrogateKeyMixin, LatestContentPageMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet
):
    """Authors, by name. The detail lists their newest published articles."""

    detail_keys = ("articles",)  # which are the newest changes with any article
    relation, model = "authors", Author

    lookup_field = "slug"
    queryset = Author.objects.all()

    def get_serializer_class(self):
        return AuthorSerializer if self.action == "list" else AuthorDetailSerializer


class SearchViewSet(viewsets.GenericViewSet):
    """Search across published articles and videos, best match first (`?q=`, required). Results
    are teaser cards with a relevance `rank` and a highlighted `snippet`. On PostgreSQL this is
    full-text search with English stemming (`troops` finds `troop`); on SQLite, whole words."""

    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SearchClientThrottle]  # searches: `q`

    serializer_class = SearchResultSerializer
    filterset_class = SearchFilter
    filter_backends = [FilterBackend, OrderingFilter]
    ordering_fields = ["published_at", "updated_at", "relevance"]
    ordering = "-published_at"
    # Numbered pages only: a relevance order has no position a cursor could resume from.
    pagination_class = PageNumberPagination
    count_keys = ("articles", "videos")

    def get_queryset(self):
        # What the filters are checked against and the schema reads; list() searches both models.
        return Article.objects.published()

    def list(self, request):
        plain = request.query_params.keys() <= PLAIN_SEARCH_PARAMS
        if plain:  # `q` alone: checked by its own field; building the filters' form cost more
            q, kind = _plain_q(request), ""
        filterset = None if plain else self._filterset(request)
        if not plain:
            q, kind = filterset.form.cleaned_data["q"], filterset.form.cleaned_data["type"]

        def searched():
            nonlocal filterset
            filterset = filterset or self._filterset(request)
            published = {"article": Article.objects.published(), "video": Video.objects.published()}
            rows = search.combine(
                {
                    name: filterset.filter_queryset(items)
                    for name, items in published.items()
                    if kind in ("", name)
                }
            )
            return rows.order_by(*OrderingFilter().get_ordering(request, rows, self), "type")

        rows = RankedMatches(q, searched) if plain and search.time_indexed(PLAIN_SEARCHED) else searched()
        page = self.paginate_queryset(rows)
        host = request.build_absolute_uri("/")[:-1]
        items, keys = search.load(page, q, {"article": Article, "video": Video}, host)
        response = self.get_paginated_response(items)
        add_surrogate_keys(response, keys=[*keys, "articles", "videos"])  # any change may change the results
        return response

    def _filterset(self, request) -> SearchFilter:
        filterset = SearchFilter(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset


def _plain_q(request) -> str:
    """`q` checked as the filters' form checks it (the same field, the same messages)."""
    field = SearchFilter.base_filters["q"].field
    try:
        return field.clean(field.widget.value_from_datadict(request.query_params, {}, "q"))
    except forms.ValidationError as error:
        raise translate_validation(ErrorDict({"q": ErrorList(error.error_list)})) from None


# Most searches: `q` alone (and a page), both types, best match first. Where the RUM index serves
# them (articles.search) their query is a function of `q` and the time: compiled once per process
# (cms.compiled), as building and compiling it cost Django about what PostgreSQL spends running it.
PLAIN_SEARCH_PARAMS = {"q", "page", "page_size"}
PLAIN_SEARCHED = (Article, Video)


def _ranked(q, now, articles, videos, *, walks):
    first, second = (
        search.newest_ranked(model.objects.published(now), q, kind, now=now, ranked=ranked, walk=walk)
        for kind, model, ranked, walk in (
            ("article", Article, articles, walks[0]),
            ("video", Video, videos, walks[1]),
        )
    )
    return first.union(second, all=True).order_by(f"-{search.RANK}", "-published_at", "-pk", "type")


# How many matches of each type are ranked (search.RANKED_MATCHES) are values too, one per type.
# Planned for its values: how common the words are decides the best plan. One query for each way
# of finding the newest matches of each type (search.walks).
RANKED = {
    walks: CompiledQuery(
        partial(_ranked, walks=walks), plan_each_run=True, q=str, now=datetime, articles=int, videos=int
    )
    for walks in product((False, True), repeat=2)
}


class RankedMatches:
    """The matches of a plain search, best first, as the rows `search.load()` takes: a sequence
    for the paginator, each slice one run of the compiled query. Counted by the ORM's union,
    which pagination keeps (cms.pagination)."""

    def __init__(self, q: str, searched):
        self.q, self.now, self.searched = q, timezone.now(), searched

    def count(self) -> int:
        return self.searched().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict]:
        start, stop = index.start or 0, index.stop
        ranked = search.RANKED_MATCHES
        values = {"q": self.q, "now": self.now, "articles": ranked, "videos": ranked}
        walks = tuple(search.walks(model.objects.all(), self.q, ranked) for model in PLAIN_SEARCHED)
        rows = RANKED[walks].rows(limit=max(stop - start, 0), offset=start, **values)
        return [dict(zip(search.COMBINED_COLUMNS, row, strict=True)) for row in rows]


# --- The pages of sections and topics, which list their newest content ---------------------
class SectionViewSet(
    SurrogateKeyMixin, LatestContentPageMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet
):
    """Sections in navigation order. The detail lists the section's newest published content."""

    detail_keys = ("articles", "videos")  # which are the newest changes with any of them
    relation, model = "section", Section

    lookup_field = "slug"
    queryset = Section.objects.all()

    def get_serializer_class(self):
        return SectionSerializer if self.action == "list" else SectionDetailSerializer


class TopicViewSet(
    SurrogateKeyMixin, LatestContentPageMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet
):
    """Active topics, by name. The detail lists the topic's newest published content."""

    detail_keys = ("articles", "videos")  # which are the newest changes with any of them
    relation, model = "topics", Topic

    lookup_field = "slug"

    def get_queryset(self):
        return Topic.objects.active().for_api()

    def get_serializer_class(self):
        return TopicSerializer if self.action == "list" else TopicDetailSerializer
