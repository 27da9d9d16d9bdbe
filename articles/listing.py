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
from django.utils import timezone

from cms.caching import Renderings, keys_of
from cms.compiled import CompiledQuery
from cms.publishing import PUBLISHING_FIELDS
from cms.representation import ABSOLUTE_PREFIX

from .models import Article, has_public_lead_video
from .serializers import ArticleDetailSerializer, ArticleListSerializer

HOST_MARK = "\x00"  # stands for the scheme and host in stored image URLs
STORED_HOST_MARK = orjson.dumps(HOST_MARK).decode()[1:-1]  # as it reads inside the JSON text
LIST_COLUMNS = ("id", "published_at", "lead_video_id", "has_video")
LIST_ITEMS = Renderings("article-list-item", timed=False)  # what it shows has no schedule
DETAILS = Renderings("article-detail", timed=True)  # its lead video and related items do
# The lead queries of the list and the detail, the busiest of the API, compiled once (cms.compiled).
LIVE_PAGE = CompiledQuery(
    lambda now: (
        Article.objects.published(now)
        .annotate(has_video=has_public_lead_video(now))
        .order_by("-published_at", "-pk")
        .values_list(*LIST_COLUMNS)
    ),
    now=datetime,
)
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


def _serve(text: str, host: str) -> str:
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


def list_items(rows: Iterable[Article | ListRow], host: str) -> tuple[list[orjson.Fragment], set[str]]:
    """The page's items (rows with LIST_COLUMNS, `has_video` annotated), ready for orjson, and the
    keys of what they show.
    A lead video is named only when it is live: changing it purges the articles it leads
    (`keys_changed_by`), which flips their `has_video`."""
    rows = list(rows)
    stored, token = LIST_ITEMS.get_many(row.pk for row in rows)
    missing = [row.pk for row in rows if row.pk not in stored]
    if missing:
        made = {}
        for article in Article.objects.for_api().filter(pk__in=missing):
            data = ArticleListSerializer(context={ABSOLUTE_PREFIX: HOST_MARK}).represent(article)
            del data["has_video"]  # follows the lead video's publishing times: filled in below
            made[article.pk] = (orjson.dumps(data).decode(), sorted(keys_of([article])))
        LIST_ITEMS.set_many(made, token)
        stored.update(made)
        rows = [row for row in rows if row.pk in stored]  # not one deleted since the page was read
    has_video = {True: ',"has_video":true}', False: ',"has_video":false}'}
    items = [orjson.Fragment(_serve(stored[row.pk][0], host)[:-1] + has_video[row.has_video]) for row in rows]
    keys = {key for row in rows for key in stored[row.pk][1]}
    keys.update(f"video-{row.lead_video_id}" for row in rows if row.has_video)
    return items, keys


# --- Detail --------------------------------------------------------------------------------------
def find(slug: str) -> Article | None:
    """The article with this slug, whatever its state, loaded with its id and the publishing
    fields (for `is_live`)."""
    rows = DETAIL_ROW.rows(limit=1, slug=slug)
    return Article.from_db(Article.objects.db, DETAIL_ROW_FIELDS, rows[0]) if rows else None


def detail(row: Article, host: str, context: dict) -> tuple[orjson.Fragment, list[str]]:
    """The detail of the live article `row`, and the keys of what it shows."""
    stored, token = DETAILS.get_many([row.pk])
    if row.pk not in stored:
        from .views import embed_keys, load_body_embeds

        article = Article.objects.for_detail_api().get(pk=row.pk)
        embeds = load_body_embeds([article])
        context = {**context, ABSOLUTE_PREFIX: HOST_MARK, "embeds": embeds}
        data = ArticleDetailSerializer(context=context).represent(article)
        stored[row.pk] = (orjson.dumps(data).decode(), sorted(keys_of([article]) | embed_keys(embeds)))
        DETAILS.set_many(stored, token)
    text, keys = stored[row.pk]
    return orjson.Fragment(_serve(text, host)), list(keys)
