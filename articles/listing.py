"""Articles rendered once and kept on the row: as a list item (`list_json`) and as the detail
endpoint serves them (`detail_json`).

Building an article's JSON from its relations (section, hero image, topics, authors; for the
detail also the lead video, related teasers and body embeds) is most of the cost of the API's
busiest uncached responses. So each rendering is made the first time a response needs it and kept
with the surrogate keys of everything it shows (cms.caching). Every write that changes what a
response may show purges those keys (cms.caching.purge), and the renderings naming any of them
are emptied in the same transaction, by the same rule that invalidates cached responses.

What changes with no write is filled in or checked per request: the scheme and host of image URLs
(a marker in the stored text), a list item's `has_video` (from the kept set of live lead videos), and
for the detail the next scheduled publication or expiry (`detail_until`), after which it is made
again. `render_version` moves on with every purge, so a rendering made from data that changed while
it was being made is not kept.
"""

import hashlib
import inspect
import re
from collections.abc import Iterable
from datetime import UTC, datetime

import orjson
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from cms.caching import cached_value, keys_of, next_transition, on_purge
from cms.compiled import CompiledQuery
from cms.publishing import PUBLISHING_FIELDS
from cms.representation import ABSOLUTE_PREFIX
from topics import serializers as topic_serializers

from . import serializers, teasers
from .models import Article, Video
from .serializers import ArticleDetailSerializer, ArticleListSerializer

# The code that shapes the renderings: a deploy that changes it makes every stored one stale.
VERSION = hashlib.md5(
    "".join(inspect.getsource(module) for module in (serializers, teasers, topic_serializers)).encode(),
    usedforsecurity=False,
).hexdigest()[:12]
HOST_MARK = "\x00"  # stands for the scheme and host in stored image URLs
STORED_HOST_MARK = orjson.dumps(HOST_MARK).decode()[1:-1]  # as it reads inside the JSON text
LIST_COLUMNS = (
    "id",
    "published_at",
    "updated_at",
    "lead_video_id",
    "list_json",
    "list_keys",
    "render_version",
)
DETAIL_COLUMNS = ("id", "slug", "detail_json", "detail_keys", "detail_until", "render_version")
# The lead queries of the list and the detail, the busiest of the API, compiled once (cms.compiled).
LIVE_PAGE = CompiledQuery(
    lambda now: Article.objects.published(now).order_by("-published_at", "-pk").values_list(*LIST_COLUMNS),
    now=datetime,
)
# The detail's row in the columns' model order, as Model.from_db() takes them.
DETAIL_ROW_FIELDS = [
    field.attname
    for field in Article._meta.concrete_fields
    if field.attname in {*DETAIL_COLUMNS, *PUBLISHING_FIELDS}
]
DETAIL_ROW = CompiledQuery(
    lambda slug: Article.objects.filter(slug=slug).order_by().values_list(*DETAIL_ROW_FIELDS), slug=str
)


def _keys_text(objects: Iterable) -> str:
    # Spaced, so that a key is found by LIKE; led by the version of the code that rendered it.
    return f" v:{VERSION} {' '.join(sorted(keys_of(objects)))} "


def _current(json_text: str, keys_text: str) -> bool:
    return bool(json_text) and keys_text.startswith(f" v:{VERSION} ")


# The marker where it is one: not where a backslash of the text itself comes before it (text
# holding the six characters `\u0000` is stored as `\\u0000`).
_MARK = re.compile(r"(?<!\\)((?:\\\\)*)" + re.escape(STORED_HOST_MARK))
_ESCAPED_MARK = "\\" + STORED_HOST_MARK


def _serve(text: str, host: str) -> str:
    served_host = orjson.dumps(host).decode()[1:-1]
    if _ESCAPED_MARK not in text:  # the common case: no backslash before any marker
        return text.replace(STORED_HOST_MARK, served_host)
    return _MARK.sub(lambda match: match.group(1) + served_host, text)


def _keep(rows: list[Article], fields: list[str]) -> None:
    """Store the renderings of `rows`, in one query, unless a purge emptied them meanwhile."""
    if not rows:
        return
    updates = {
        name: Case(
            *(
                When(pk=row.pk, render_version=row.render_version, then=Value(getattr(row, name)))
                for row in rows
            ),
            default=F(name),
            output_field=Article._meta.get_field(name),
        )
        for name in fields
    }
    Article.objects.filter(pk__in=[row.pk for row in rows]).update(**updates)


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


class LiveArticles:
    """Every live article, newest first, as `ListRow`s: what an unfiltered list page shows. A
    sequence for the paginator, which slices it: each slice runs the compiled query for one page."""

    model = Article
    ordered_by = ("-published_at", "-pk")

    def __init__(self):
        self.now = timezone.now()  # one instant for the count and the page

    def count(self) -> int:
        return Article.objects.published(self.now).count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[ListRow]:
        start, stop = index.start or 0, index.stop
        if index.step is not None or stop is None:
            raise TypeError("LiveArticles takes slices with a stop and no step.")
        rows = LIVE_PAGE.rows(limit=max(stop - start, 0), offset=start, now=self.now)
        return [ListRow(values) for values in rows]


def live_lead_videos() -> frozenset[int]:
    """The ids of publicly visible videos that lead an article: what `has_video` says of a list
    item. Kept in the cache until a video or an article changes or a scheduled one goes live."""
    return cached_value(
        "api:live-lead-videos",
        ["articles", "videos"],
        lambda: frozenset(
            Video.objects.published().filter(lead_of__isnull=False).values_list("pk", flat=True).distinct()
        ),
    )


def list_items(rows: list[Article], host: str) -> list[orjson.Fragment]:
    """The page's items (rows loaded with LIST_COLUMNS), ready for orjson."""
    missing = {row.pk: row for row in rows if not _current(row.list_json, row.list_keys)}
    for article in Article.objects.for_api().filter(pk__in=missing) if missing else ():
        row = missing[article.pk]
        data = ArticleListSerializer(context={ABSOLUTE_PREFIX: HOST_MARK}).represent(article)
        del data["has_video"]  # follows the lead video's publishing times: filled in below
        row.list_json, row.list_keys = orjson.dumps(data).decode(), _keys_text([article])
    _keep(list(missing.values()), ["list_json", "list_keys"])
    live = live_lead_videos() if rows else frozenset()
    has_video = {True: ',"has_video":true}', False: ',"has_video":false}'}
    return [
        orjson.Fragment(_serve(row.list_json, host)[:-1] + has_video[row.lead_video_id in live])
        for row in rows
    ]


def list_keys(rows: Iterable[Article | ListRow]) -> set[str]:
    """The keys of a page's rows: each article and what its stored rendering shows. A lead video
    is named only when it is live: changing it purges the articles it leads (`keys_changed_by`),
    which flips their `has_video`."""
    live = live_lead_videos() if rows else frozenset()
    keys = {key for row in rows for key in row.list_keys.split()[1:]}
    keys.update(f"article-{row.pk}" for row in rows)
    keys.update(f"video-{row.lead_video_id}" for row in rows if row.lead_video_id in live)
    return keys


# --- Detail --------------------------------------------------------------------------------------
def find(slug: str) -> Article | None:
    """The article with this slug, whatever its state, loaded with the detail's columns and the
    publishing fields (for `is_live`)."""
    rows = DETAIL_ROW.rows(limit=1, slug=slug)
    return Article.from_db(Article.objects.db, DETAIL_ROW_FIELDS, rows[0]) if rows else None


def detail(row: Article, host: str, context: dict) -> tuple[orjson.Fragment, list[str]]:
    """The detail of `row` (loaded with DETAIL_COLUMNS), made again when it is empty or a
    scheduled publication or expiry has passed since it was made."""
    expired = row.detail_until is not None and row.detail_until <= timezone.now()
    if expired or not _current(row.detail_json, row.detail_keys):
        from .views import load_body_embeds

        article = Article.objects.for_detail_api().get(pk=row.pk)
        embeds = load_body_embeds([article])
        context = {**context, ABSOLUTE_PREFIX: HOST_MARK, "embeds": embeds}
        data = ArticleDetailSerializer(context=context).represent(article)
        row.detail_json = orjson.dumps(data).decode()
        row.detail_keys = _keys_text([article, *embeds["image"].values(), *embeds["video"].values()])
        until = next_transition()
        row.detail_until = None if until is None else datetime.fromtimestamp(until, UTC)
        _keep([row], ["detail_json", "detail_keys", "detail_until"])
    return orjson.Fragment(_serve(row.detail_json, host)), row.detail_keys.split()[1:]


# --- Keeping them true ---------------------------------------------------------------------------
def forget(keys: frozenset[str]) -> None:
    """Empty the renderings that show any of `keys` (called by cms.caching.purge)."""
    ids = {int(key[8:]) for key in keys if key.startswith("article-") and key[8:].isdigit()}
    named = Q(pk__in=ids) if ids else Q(pk__in=[])
    for key in keys:
        if "-" in key and not key.startswith("article-"):
            named |= Q(list_keys__contains=f" {key} ") | Q(detail_keys__contains=f" {key} ")
    Article.objects.filter(named).update(list_json="", detail_json="", render_version=F("render_version") + 1)


def connect() -> None:
    on_purge(forget)
