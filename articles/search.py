"""Search over articles and videos: one query syntax, two backends.

The syntax is web-search style: words (all must match), "quoted phrases", `OR` between two terms
(either may match) and `-word` or `-"a phrase"` (must not match).

- PostgreSQL: full-text search (English stemming) on a stored, weighted `search_vector` with a
  GIN index; ranked by `ts_rank`, with a `ts_headline` snippet. Where the `rum` extension is
  installed, a RUM index also holds each row's publish time (migration 0014), and the newest
  matches come from it in order, however large the archive.
- Any other database (SQLite): whole words and phrases matched case-insensitively in the same
  fields, ranked by where they match, with a snippet cut around the first match.

Each searchable model names its fields and their weights in `search_fields`: "A" (title) above
"B" (summary) above "C" (body). Callers use `search()`; the search endpoint also
`combine()`s two searched querysets and `load()`s the page it shows.
"""

import hashlib
import re
import time
from dataclasses import dataclass
from functools import reduce
from html import escape
from operator import add, or_

import orjson
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Case, F, FloatField, Func, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Left
from django.utils import timezone

from cms.caching import Renderings, object_key
from cms.ordering import RANK

MAX_LENGTH = 200
MAX_WORDS = 10  # different words in all its terms, alternatives and exclusions: what one search may cost
RANKED_MATCHES = 100  # per type, the newest: what a search ranks, pages through and counts (bench/README.md)
CONFIG = "english"
RANK_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2}  # ts_rank's defaults; the fallback ranks alike
SNIPPET_CHARS = 240
SNIPPET_SOURCE_CHARS = 3000  # of the body, where a snippet may come from
# ts_headline marks matches with these (private-use characters that text never holds), so that
# the snippet can be HTML-escaped first and the marks turned into <mark> tags afterwards.
MARK_START, MARK_STOP = "\ue000", "\ue001"

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Query:
    """A parsed query. A phrase is a tuple of words; `required` holds one list of alternatives
    (joined by OR) per term that must match."""

    required: tuple[tuple[tuple[str, ...], ...], ...]
    excluded: tuple[tuple[str, ...], ...]

    @property
    def phrases(self) -> list[tuple[str, ...]]:
        return [phrase for alternatives in self.required for phrase in alternatives]


def parse(q: str) -> Query:
    """Parse the web-search syntax, as PostgreSQL's websearch_to_tsquery reads it. Punctuation
    separates words: `north-korean` is the phrase "north korean"."""
    required: list[list[tuple[str, ...]]] = []
    excluded: list[tuple[str, ...]] = []
    either = False
    for negated, quoted, bare in _TOKEN.findall(q):
        if bare == "OR":
            either = bool(required)
            continue
        text = quoted or bare
        if bare.startswith("-"):
            negated, text = "-", bare[1:]
        phrase = tuple(word.lower() for word in _WORD.findall(text))
        if not phrase:
            continue
        if negated:
            excluded.append(phrase)
        elif either:
            required[-1].append(phrase)
        else:
            required.append([phrase])
        either = False
    return Query(tuple(tuple(alternatives) for alternatives in required), tuple(excluded))


def is_postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def search(queryset: QuerySet, q: str, *, now=None, ranked: int | None = None) -> QuerySet:
    """The rows of `queryset` that match `q`, annotated with their `rank` (higher is better). On
    PostgreSQL only the newest RANKED_MATCHES matches take part: ranking reads each match's whole
    vector, so a common word in a large archive would read most of it for every search. `now`:
    the moment the newest are counted back from (the time now by default); `ranked`: how many
    (RANKED_MATCHES by default)."""
    ranked = RANKED_MATCHES if ranked is None else ranked
    if is_postgresql(queryset):
        query = _ts_query(q)
        matches = queryset.filter(search_vector=query)
        if _time_indexed(queryset):
            moment = timezone.now() if now is None else now
            newest = matches.order_by(*newest_first(walks(queryset, q, ranked), moment))
            matches = queryset.filter(pk__in=newest.values("pk")[:ranked])
        else:
            # The publish time of the RANKED_MATCHES-th newest match, found in the index of
            # matches; then the matches from then on (a few more on a tie) are ranked.
            newest = matches.order_by("-published_at", "-pk").values_list("published_at", flat=True)
            cutoff = list(newest[ranked - 1 : ranked])
            if cutoff:
                matches = matches.filter(published_at__gte=cutoff[0])
        return matches.annotate(**{RANK: SearchRank(F("search_vector"), query)})
    return _search_fallback(queryset, parse(q))


def newest_ranked(queryset: QuerySet, q: str, kind: str, *, now, ranked: int, walk: bool) -> QuerySet:
    """What `combine()` makes of `search(queryset, q, now=now, ranked=ranked)` for the type `kind`,
    as one scan where the RUM index serves it (`time_indexed`): the newest matches, ranked as they
    are found, rather than found and then looked up again to be ranked. `walk`: as `walks()`."""
    query = _ts_query(q)
    return (
        queryset.filter(search_vector=query)
        .order_by(*newest_first(walk, now))
        .annotate(**{RANK: SearchRank(F("search_vector"), query)}, type=Value(kind))
        .values(*COMBINED_COLUMNS)[:ranked]
    )


def newest_first(walk: bool, now) -> list:
    """The ORDER BY of matches that finds the newest first, the way `walks()` chose."""
    if walk:
        return [F("published_at").desc(), F("pk").desc()]
    return [_NewestFirst(F("published_at"), Value(now))]


def walks(queryset: QuerySet, q: str, ranked: int) -> bool:
    """Whether to find the newest `ranked` matches of `q` in `queryset` (with its RUM index) by
    walking the newest items rather than from the RUM index, by what each costs as the
    planner's statistics count the matches:
    - the RUM index gives them in order (`<=|`), having read every entry of its words: about
      0.2 us per match, so a word in half of a million items costs 100 ms;
    - the newest-first index of live items, checking each row until enough match: about 1.1 us
      per row, so the rarer the words, the longer the walk.
    The walk when it reads fewer rows, weighted by cost: m matches of n rows cost the index
    0.2 m and the walk 1.1 ranked n / m. Either way a search costs at most about what both cost
    where they meet, which grows with the square root of the archive (bench/README.md)."""
    matches, rows = _estimates(queryset, q)
    return matches * matches * _INDEX_COST > _WALK_COST * ranked * rows


_INDEX_COST, _WALK_COST = 0.2, 1.1  # microseconds per match read from the index, per row walked
ESTIMATES_KEPT, ESTIMATES_SECONDS = 1000, 600  # per process: the searches asked most recently
_estimated: dict[tuple, tuple[float, tuple[int, int]]] = {}


def _estimates(queryset: QuerySet, q: str) -> tuple[int, int]:
    """The planner's estimates of how many rows of the model's table match `q`, and of how many
    rows it has (EXPLAIN: nothing is read but its statistics), kept a while per process."""
    connection = connections[queryset.db]
    table = queryset.model._meta.db_table
    key = (connection.settings_dict["NAME"], table, q)
    moment = time.monotonic()
    if (kept := _estimated.pop(key, None)) is not None and kept[0] > moment:
        _estimated[key] = kept  # the most recent last
        return kept[1]
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {quoted} WHERE search_vector @@ "
            f"websearch_to_tsquery(%s::regconfig, %s) UNION ALL SELECT 1 FROM {quoted}",
            [CONFIG, q],
        )
        plan = cursor.fetchone()[0]
    plan = orjson.loads(plan) if isinstance(plan, str | bytes) else plan
    branches = plan[0]["Plan"].get("Plans", [])
    # Two branches, unless the planner saw one of them empty: then nothing is worth walking to.
    matching, every = (branch["Plan Rows"] for branch in branches) if len(branches) == 2 else (0, 0)
    while len(_estimated) >= ESTIMATES_KEPT:
        _estimated.pop(next(iter(_estimated), None), None)  # the least recently asked
    _estimated[key] = (moment + ESTIMATES_SECONDS, (matching, every))
    return matching, every


def time_indexed(models) -> bool:
    """Whether every one of `models` has its RUM index (PostgreSQL, migration 0014)."""
    querysets = [model.objects.all() for model in models]
    return all(is_postgresql(queryset) and _time_indexed(queryset) for queryset in querysets)


COMBINED_COLUMNS = ("pk", "published_at", "updated_at", RANK, "type")


def combine(searched: dict[str, QuerySet]) -> QuerySet:
    """Searched querysets of different models, by type name, as one queryset of rows
    {type, pk, rank, published_at, updated_at} that can be counted, ordered and sliced."""
    rows = [
        queryset.order_by().annotate(type=Value(kind)).values(*COMBINED_COLUMNS)
        for kind, queryset in searched.items()
    ]
    first, *others = rows
    return first.union(*others, all=True) if others else first


def load(rows, q: str, models: dict, host: str) -> tuple[list[orjson.Fragment], set[str]]:
    """The results for a page of `combine()`d rows, in the rows' order, ready for orjson: each the
    item's teaser card with its `rank` and an HTML `snippet` (text escaped, matches in <mark>);
    and the keys of what they show. Cards and snippets are kept as renderings (articles.listing),
    a snippet per query and item: only what no earlier search made is read from the database,
    one query per type."""
    from .listing import kept, teaser_texts  # which imports the models, which import this module

    ranks = {(row["type"], row["pk"]): round(row[RANK], 6) for row in rows}
    texts, keys = teaser_texts(list(ranks), host)
    digest = hashlib.sha256(q.encode()).hexdigest()[:24]
    sources = {
        kind: (Renderings(f"{kind}-snippet-{digest}", timed=False), _make_snippets(model, q))
        for kind, model in models.items()
    }
    shown, snippets, _ = kept([ref for ref in ranks if ref in texts], sources)  # unpublished meanwhile
    results = [
        orjson.Fragment(
            f'{texts[ref][:-1]},"rank":{orjson.dumps(ranks[ref]).decode()},"snippet":{snippets[ref]}}}'
        )
        for ref in shown
    ]
    return results, keys


def _make_snippets(model, q: str):
    """make(pks) for `kept`: the snippets of these items for `q`, as JSON strings."""

    def make(pks) -> dict:
        queryset = model._base_manager.filter(pk__in=pks).order_by()
        # The snippet comes from the summary and the start of the body: re-reading whole bodies
        # was most of a search's cost.
        summary, body = _body_fields(model)
        text = Concat(summary, Value("\n"), Left(body, SNIPPET_SOURCE_CHARS), output_field=TextField())
        if is_postgresql(queryset):
            found = queryset.annotate(search_headline=_headline(text, q)).values_list("pk", "search_headline")
            made = {pk: _marked(headline) for pk, headline in found}
        else:
            query = parse(q)
            found = queryset.annotate(search_text=text).values_list("pk", "search_text")
            made = {pk: highlight(" ".join(text.split()), query) for pk, text in found}
        return {pk: (orjson.dumps(snippet).decode(), [object_key(model, pk)]) for pk, snippet in made.items()}

    return make


def refresh_search_vectors(queryset: QuerySet) -> int:
    """Recompute the stored `search_vector` of these rows from their fields (PostgreSQL only;
    elsewhere search reads the fields themselves). `save()` calls it; bulk loads call it once."""
    if not is_postgresql(queryset):
        return 0
    vector = reduce(
        add,
        (
            SearchVector(name, weight=weight, config=CONFIG)
            for name, weight in queryset.model.search_fields.items()
        ),
    )
    return queryset.update(search_vector=vector)


# --- PostgreSQL ------------------------------------------------------------------------------
def _ts_query(q: str) -> SearchQuery:
    return SearchQuery(q, search_type="websearch", config=CONFIG)


class _NewestFirst(Func):
    """RUM's distance from a publish time back to a moment (`<=|`): ordered by it, the rows before
    that moment come newest first, from the index itself."""

    arg_joiner = " <=| "
    template = "(%(expressions)s)"
    output_field = FloatField()


_time_indexes: dict[tuple[str, str], bool] = {}


def _time_indexed(queryset: QuerySet) -> bool:
    """Whether the model's table has the RUM index of migration 0014 (asked once per database)."""
    connection = connections[queryset.db]
    table = queryset.model._meta.db_table
    key = (connection.settings_dict["NAME"], table)
    if key not in _time_indexes:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [f"{table}_search_rum"])
            _time_indexes[key] = cursor.fetchone() is not None
    return _time_indexes[key]


def _body_fields(model) -> list[str]:
    """The summary and body fields, where snippets come from: the title is shown anyway."""
    return [name for name, weight in model.search_fields.items() if weight != "A"]


def _headline(text, q: str) -> SearchHeadline:
    return SearchHeadline(
        text,
        _ts_query(q),
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=35,
        min_words=15,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


# --- Other databases -------------------------------------------------------------------------
def _pattern(phrase: tuple[str, ...]) -> str:
    """A regular expression for a whole word or phrase, whatever lies between its words."""
    return r"\b" + r"\W+".join(re.escape(word) for word in phrase) + r"\b"


def _anywhere(model, pattern: str) -> Q:
    return reduce(or_, (Q(**{f"{name}__iregex": pattern}) for name in model.search_fields))


def _search_fallback(queryset: QuerySet, query: Query) -> QuerySet:
    model = queryset.model
    if not query.required:
        return queryset.none()
    condition = Q()
    for alternatives in query.required:
        condition &= reduce(or_, (_anywhere(model, _pattern(phrase)) for phrase in alternatives))
    for phrase in query.excluded:
        condition &= ~_anywhere(model, _pattern(phrase))
    any_phrase = "|".join(_pattern(phrase) for phrase in query.phrases)
    rank = reduce(
        add,
        (
            Case(
                When(Q(**{f"{name}__iregex": any_phrase}), then=Value(RANK_WEIGHTS[weight])),
                default=Value(0.0),
                output_field=FloatField(),
            )
            for name, weight in model.search_fields.items()
        ),
    )
    return queryset.filter(condition).annotate(**{RANK: rank})


# --- Snippets ----------------------------------------------------------------------------------
def _marked(headline: str) -> str:
    return escape(" ".join(headline.split())).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")


def highlight(text: str, query: Query, *, length: int = SNIPPET_CHARS) -> str:
    """A window of `text` around its first match of `query`, HTML-escaped, with the matches in
    <mark>; the start of the text when nothing in it matches. `…` marks a cut."""
    phrases = query.phrases
    matcher = re.compile("|".join(_pattern(phrase) for phrase in phrases), re.IGNORECASE) if phrases else None
    first = matcher.search(text) if matcher else None
    start = 0
    if first is not None and first.start() > length // 4:
        start = text.rfind(" ", 0, first.start() - length // 4) + 1  # from a word, a little before
    end = len(text)
    if end - start > length:
        cut = text.rfind(" ", start, start + length)
        end = cut if cut > start else start + length
    window = text[start:end]
    parts, position = [], 0
    for match in matcher.finditer(window) if matcher else ():
        parts += [escape(window[position : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        position = match.end()
    parts.append(escape(window[position:]))
    return ("… " if start else "") + "".join(parts) + (" …" if end < len(text) else "")


def refresh_after_save(item, update_fields) -> None:
    """Keeps a saved item's stored vector in step with the fields it is made of."""
    if update_fields is None or not set(item.search_fields).isdisjoint(update_fields):
        refresh_search_vectors(type(item)._base_manager.using(item._state.db).filter(pk=item.pk))
