"""Articles rendered once and kept in the cache: as a list item and as the detail endpoint serves
them (cms.caching.Renderings).

Building an article's JSON from its relations (section, hero image, topics, authors; for the
detail also the lead video, related teasers and body embeds) is most of the cost of the API's
busiest uncached responses. So each rendering is made the first time a response needs it and kept
with the surrogate keys of everything it shows, valid by the rule that keeps cached responses
true: until a write purges one of those keys, a scheduled transition passes (the detail shows
other publishable items), or the release changes.

What differs between requests or changes with no write is filled in per request: the scheme and
host of image URLs (a marker in the stored text), and a list item's `has_video` (a column of the
page's query).
"""

import re
from collections.abc import Iterable
from datetime import datetime

import orjson
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cms.caching import Renderings, cached_value, get_renderings, keys_of, list_keys
from cms.compiled import CompiledQuery, union_rows
from cms.pagination import MAX_PAGE_DEPTH
from cms.publishing import PUBLISHING_FIELDS
from cms.representation import ABSOLUTE_PREFIX

from .embeds import embed_keys, load_body_embeds
from .models import Article, Video, has_public_lead_video
from .serializers import ArticleDetailSerializer, ArticleListSerializer
from .teasers import teaser_data

HOST_MARK = "\x00"  # stands for the scheme and host in stored image URLs
STORED_HOST_MARK = orjson.dumps(HOST_MARK).decode()[1:-1]  # as it reads inside the JSON text
LIST_COLUMNS = ("id", "published_at", "lead_video_id", "has_video")
TIMED_EXPANSIONS = {"lead_video", "related"}  # shown while live: they come and go with the clock


# The lead queries of the list and the detail, the busiest of the API, compiled once (cms.compiled).
# The page is found in the index alone (live_index), however deep, and only its rows are joined to
# their lead videos. In cursor mode a page starts beyond a position (published_at, id): older ones,
# newest first ("before"), or newer ones, oldest first ("after", a previous page). The bound on
# published_at alone lets the index start at the position rather than at the newest. A scope
# narrows the list to one topic or one section, by id, as the list's filters do (articles.filters).
SCOPES = ("topic", "section")


def _in_scope(articles, scope: str | None, scope_id):
    if scope == "topic":
        tags = Article.topics.through.objects.filter(article=OuterRef("pk"), topic_id=scope_id)
        return articles.filter(Exists(tags))
    if scope == "section":
        return articles.filter(section_id=scope_id)
    return articles


def _live_page(beyond: str | None, scope: str | None) -> CompiledQuery:
    descending = beyond != "after"
    order = ("-published_at", "-pk") if descending else ("published_at", "pk")

    def build(now, start, size, at=None, pk=None, scope_id=None):
        live = _in_scope(Article.objects.published(now), scope, scope_id)
        if beyond == "before":
            live = live.filter(Q(published_at__lt=at) | Q(published_at=at, pk__lt=pk), published_at__lte=at)
        elif beyond == "after":
            live = live.filter(Q(published_at__gt=at) | Q(published_at=at, pk__gt=pk), published_at__gte=at)
        return (
            Article.objects.filter(pk__in=live.order_by(*order).values("pk")[start : start + size])
            .annotate(has_video=has_public_lead_video(now))
            .order_by(*order)
            .values_list(*LIST_COLUMNS)
        )

    values = {} if beyond is None else {"at": datetime, "pk": int}
    values.update({} if scope is None else {"scope_id": int})
    planned_for = () if scope is None else ("scope_id",)  # each topic or section its own plan
    return CompiledQuery(build, planned_for=planned_for, now=datetime, start=int, size=int, **values)


LIVE_PAGES = {
    (beyond, scope): _live_page(beyond, scope)
    for beyond in (None, "before", "after")
    for scope in (None, *SCOPES)
}
# The detail's row in the columns' model order, as Model.from_db() takes them.
DETAIL_ROW_FIELDS = [
    field.attname for field in Article._meta.concrete_fields if field.attname in {"id", *PUBLISHING_FIELDS}
]
DETAIL_ROW = CompiledQuery(
    lambda slug: Article.objects.filter(slug=slug).order_by().values_list(*DETAIL_ROW_FIELDS), slug=str
)

# The marker where it is one: not where a backslash of the text itself comes before it (text
# holding the six characters `\u0000` is stored as `\\u0000`).
_MARK = re.compile(r"(?<!\\)((?:\\\\)*)" + re.escape(STORED_HOST_MARK))
_ESCAPED_MARK = "\\" + STORED_HOST_MARK


def with_host(text: str, host: str) -> str:
    served_host = orjson.dumps(host).decode()[1:-1]
    if _ESCAPED_MARK not in text:  # the common case: no backslash before any marker
        return text.replace(STORED_HOST_MARK, served_host)
    return _MARK.sub(lambda match: match.group(1) + served_host, text)


# --- Lists ---------------------------------------------------------------------------------------
class ListRow:
    """An article's LIST_COLUMNS, as the compiled page query returns them."""

    __slots__ = LIST_COLUMNS

    def __init__(self, values: tuple):
        for name, value in zip(LIST_COLUMNS, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id


# A numbered page deeper than this starts from the kept position of the nearest item before it
# (LiveArticles.anchors): an offset costs the database every index entry before the page.
ANCHOR_EVERY = 100


class LiveArticles:
    """Every live article, newest first, as `ListRow`s: what an unfiltered list page shows, or one
    filtered by a topic or a section (`scope`, `scope_id`). A sequence for the paginator, which
    slices it: each slice runs the compiled query for one page. In cursor mode the paginator
    narrows it with `beyond()`."""

    model = Article
    ordered_by = ("-published_at", "-pk")

    def __init__(self, scope: str | None = None, scope_id: int | None = None, beyond=None, position=None):
        self.now = timezone.now()  # one instant for the count and the page
        self.scope, self.scope_id, self.numbered = scope, scope_id, beyond is None
        self.query = LIVE_PAGES[beyond, scope]
        self.in_scope = {} if scope is None else {"scope_id": scope_id}
        self.values = {**(position or {}), **self.in_scope}

    def beyond(self, position: dict | None, forward: bool) -> "LiveArticles":
        """The articles after `position` ({"v": published_at, "pk": id}) in this order (forward),
        or before it, in the reverse order; from the start for None."""
        if position is None:
            return self
        at = {"at": position["v"], "pk": position["pk"]}
        return LiveArticles(self.scope, self.scope_id, "before" if forward else "after", at)

    def count(self) -> int:
        return _in_scope(Article.objects.published(self.now), self.scope, self.scope_id).count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[ListRow]:
        start, stop = index.start or 0, index.stop
        if index.step is not None or stop is None:
            raise TypeError("LiveArticles takes slices with a stop and no step.")
        size = max(stop - start, 0)
        passed = start // ANCHOR_EVERY if self.numbered else 0
        anchors = self.anchors() if passed else []
        if passed and passed <= len(anchors):
            # Deep: the page starts after the kept position of an item before it, as a cursor does.
            at, pk = anchors[passed - 1]
            query, start = LIVE_PAGES["before", self.scope], start - passed * ANCHOR_EVERY
            rows = query.rows(now=self.now, start=start, size=size, at=at, pk=pk, **self.in_scope)
        else:
            rows = self.query.rows(now=self.now, start=start, size=size, **self.values)
        return [ListRow(values) for values in rows]

    def anchors(self) -> list[tuple[datetime, int]]:
        """(published_at, id) of every ANCHOR_EVERY-th live article of the list, newest first, as
        far as numbered pages reach: the 100th, the 200th, ... Worked out by reading that much
        of the index once, then kept, and valid, as the list's count is (cms.pagination)."""

        def find() -> list[tuple[datetime, int]]:
            relation = {"topic": "topics", "section": "section", None: None}[self.scope]
            values = {"now": self.now, **({} if relation is None else {"pk": self.scope_id})}
            newest = NEWEST[relation]["article"].rows(limit=MAX_PAGE_DEPTH, **values)
            return [(published_at, pk) for pk, published_at in newest[ANCHOR_EVERY - 1 :: ANCHOR_EVERY]]

        name = f"api:anchors:{self.scope}:{self.scope_id}"
        return cached_value(name, list_keys(Article), find, at=self.now)


def _renderings(kind: str, expand: frozenset[str], timed: bool) -> Renderings:
    """The renderings of one shape: each `?expand=` choice is a shape of its own."""
    name = "+".join([kind, *sorted(expand)])
    if name not in _RENDERINGS:
        _RENDERINGS[name] = Renderings(name, timed=timed or bool(expand & TIMED_EXPANSIONS))
    return _RENDERINGS[name]


_RENDERINGS: dict[str, Renderings] = {}


def chosen(text: str, fields: set[str] | None) -> orjson.Fragment | dict:
    """A served item, whole or with only the `?fields=` chosen."""
    if not fields:
        return orjson.Fragment(text)
    return {name: value for name, value in orjson.loads(text).items() if name in fields}


def list_items(
    rows: Iterable[Article | ListRow],
    host: str,
    expand: frozenset[str] = frozenset(),
    fields: set[str] | None = None,
) -> tuple[list[orjson.Fragment | dict], set[str]]:
    """The page's items (rows with LIST_COLUMNS, `has_video` annotated), ready for orjson, and the
    keys of what they show.
    A lead video is named only when it is live: changing it purges the articles it leads
    (`keys_changed_by`), which flips their `has_video`."""
    rows = list(rows)
    renderings = _renderings("article-list-item", expand, timed=False)
    stored, token = renderings.get_many(row.pk for row in rows)
    missing = [row.pk for row in rows if row.pk not in stored]
    if missing:
        articles = Article.objects.for_api()
        articles = articles.with_lead_video() if "lead_video" in expand else articles
        articles = articles.with_related() if "related" in expand else articles
        context = {ABSOLUTE_PREFIX: HOST_MARK, "expand": expand}
        made = {}
        for article in articles.filter(pk__in=missing):
            data = ArticleListSerializer(context=context).represent(article)
            del data["has_video"]  # follows the lead video's publishing times: filled in below
            made[article.pk] = (orjson.dumps(data).decode(), sorted(keys_of([article])))
        renderings.set_many(made, token)
        stored.update(made)
        rows = [row for row in rows if row.pk in stored]  # not one deleted since the page was read
    has_video = {True: ',"has_video":true}', False: ',"has_video":false}'}
    items = [
        chosen(with_host(stored[row.pk][0], host)[:-1] + has_video[row.has_video], fields) for row in rows
    ]
    keys = {key for row in rows for key in stored[row.pk][1]}
    keys.update(f"video-{row.lead_video_id}" for row in rows if row.has_video)
    return items, keys


# --- Teaser cards (the latest of a topic, a section, an author) --------------------------------


def _newest(model, relation: str | None) -> CompiledQuery:
    """The newest live items of `model` whose `relation` is the value `pk`; of all for None."""
    values = {"now": datetime} if relation is None else {"now": datetime, "pk": int}

    def build(now, pk=None):
        live = model.objects.published(now)
        live = live if relation is None else live.filter(**{relation: pk})
        return live.order_by("-published_at", "-pk").values_list("pk", "published_at")

    return CompiledQuery(build, planned_for=() if relation is None else ("pk",), **values)


NEWEST = {
    relation: {"article": _newest(Article, relation), "video": _newest(Video, relation)}
    for relation in ("topics", "section")
}
NEWEST["authors"] = {"article": _newest(Article, "authors")}
NEWEST[None] = {"article": _newest(Article, None), "video": _newest(Video, None)}


def latest_public_content(relation: str | None, pk: int | None, *, limit: int = 12) -> list[tuple[str, int]]:
    """The newest publicly visible articles and videos whose `relation` ("topics", "section" or
    "authors") is `pk`, or of all (None), newest first, as ("article" or "video", id): one query
    in all."""
    now = timezone.now()
    values = {"now": now} if relation is None else {"now": now, "pk": pk}
    kinds = list(NEWEST[relation].items())
    # Newest first (publish time, id, then videos before articles): as sorted below.
    runs = union_rows(
        [(query, values) for _, query in kinds], limit=limit, merged_order="3 DESC, 2 DESC, 1 DESC"
    )
    found = [
        (published_at, item, kind)
        for (kind, _), rows in zip(kinds, runs, strict=True)
        for item, published_at in rows
    ]
    return [(kind, item) for _, item, kind in sorted(found, reverse=True)[:limit]]


def kept(refs: Iterable[tuple[str, int]], sources: dict) -> tuple[list[tuple[str, int]], dict, set[str]]:
    """The renderings of the items `refs` names (("article" or "video", id)): from `sources`, by
    kind, (Renderings, make), where make(pks) renders the missing ones as {pk: (text, keys)}. Returns
    the refs still there (none deleted since they were found), in order, their {ref: text} and the
    keys of what they show."""
    refs = list(refs)
    wanted = {kind: [pk for of_kind, pk in refs if of_kind == kind] for kind in sources}
    wanted = {kind: pks for kind, pks in wanted.items() if pks}
    found, token = get_renderings({sources[kind][0]: pks for kind, pks in wanted.items()})
    stored = {}
    for kind, pks in wanted.items():
        renderings, make = sources[kind]
        have = found[renderings]
        missing = [pk for pk in pks if pk not in have]
        if missing:
            made = make(missing)
            renderings.set_many(made, token)
            have.update(made)
        stored.update({(kind, pk): rendering for pk, rendering in have.items()})
    shown = [ref for ref in refs if ref in stored]
    return shown, {ref: stored[ref][0] for ref in shown}, {key for ref in shown for key in stored[ref][1]}


def _make_teasers(model):
    def make(pks):
        return {
            item.pk: (
                orjson.dumps(teaser_data(item, {ABSOLUTE_PREFIX: HOST_MARK})).decode(),
                sorted(keys_of([item])),
            )
            for item in model.objects.teasers().filter(pk__in=pks)
        }

    return make


TEASERS = {
    "article": (Renderings("article-teaser", timed=False), _make_teasers(Article)),
    "video": (Renderings("video-teaser", timed=False), _make_teasers(Video)),
}


def teaser_texts(refs: Iterable[tuple[str, int]], host: str) -> tuple[dict, set[str]]:
    """The teaser cards of the items `refs` names (publicly visible when they were found), as
    {ref: JSON text}, in order, and the keys of what they show."""
    shown, texts, keys = kept(refs, TEASERS)
    return {ref: with_host(texts[ref], host) for ref in shown}, keys


def teaser_cards(refs: Iterable[tuple[str, int]], host: str) -> tuple[dict, set[str]]:
    """The same as {ref: JSON ready for orjson}."""
    texts, keys = teaser_texts(refs, host)
    return {ref: orjson.Fragment(text) for ref, text in texts.items()}, keys


# --- Detail --------------------------------------------------------------------------------------
def find(slug: str) -> Article | None:
    """The article with this slug, whatever its state, loaded with its id and the publishing
    fields (for `is_live`)."""
    rows = DETAIL_ROW.rows(limit=1, slug=slug)
    return Article.from_db(Article.objects.db, DETAIL_ROW_FIELDS, rows[0]) if rows else None


def detail(
    row: Article,
    host: str,
    context: dict,
    expand: frozenset[str] = frozenset(),
    fields: set[str] | None = None,
) -> tuple[orjson.Fragment | dict, list[str]]:
    """The detail of the live article `row`, and the keys of what it shows."""
    renderings = _renderings("article-detail", expand, timed=True)  # its lead video and related items
    stored, token = renderings.get_many([row.pk])
    if row.pk not in stored:
        article = Article.objects.for_detail_api().get(pk=row.pk)
        embeds = load_body_embeds([article])
        context = {**context, ABSOLUTE_PREFIX: HOST_MARK, "embeds": embeds, "expand": expand, "fields": None}
        data = ArticleDetailSerializer(context=context).represent(article)
        keys = keys_of([article]) | embed_keys(embeds)
        if "live_shown" in context:  # a live page's posts (serializers.live_page_data)
            posts, post_embeds = context["live_shown"]
            keys |= keys_of(posts) | embed_keys(post_embeds)
        stored[row.pk] = (orjson.dumps(data).decode(), sorted(keys))
        renderings.set_many(stored, token)
    text, keys = stored[row.pk]
    return chosen(with_host(text, host), fields), list(keys)
