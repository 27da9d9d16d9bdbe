"""Seed documents: the text of one page of the site (`NNN_name.txt`) and, beside it, what the text
lost (`NNN_name.json`: slugs, topics, publish times, the newsletter). `load_seeds()` reads and checks
every document first, then writes them all in one transaction, so a bad document writes nothing.
Records are matched by slug and saved only when a value differs, so a rerun changes nothing.

The text, read as its non-blank lines from the top (DESIGN.md, "The seed page, read as content"):

    lead video title
    section name                 must equal section.name in the metadata
    headline
    [lead video title]           the video's caption as rendered on the page: skipped
    standfirst
    body paragraph ...           one or more
    Related topics               the topic names were lost: they come from the metadata
    Join Our Newsletter          the signup block: the metadata's newsletter, set on the article
    WatchUsOn
    related video title ...      one per entry of related_videos in the metadata
"""

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import Article, RelatedContent, Video
from articles.richtext import paragraphs_html
from cms.publishing import Status
from newsletters.models import Newsletter
from topics.models import Section, Topic

DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"
RELATED_TOPICS, NEWSLETTER, WATCH = "Related topics", "Join Our Newsletter", "WatchUsOn"
MARKERS = (RELATED_TOPICS, NEWSLETTER, WATCH)
JSON_TYPES = {dict: "a JSON object", list: "a JSON array", str: "a JSON string"}
EXAMPLE_TIME = "2024-12-16T09:00:00Z"


class SeedError(Exception):
    """A seed document that cannot be loaded: the file, the line if there is one, and the problem."""

    def __init__(self, path: Path, problem: str, line: int | None = None):
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")


# --- What a document describes, as plain data ------------------------------------------------
@dataclass(frozen=True)
class SectionSeed:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class TopicSeed:
    slug: str
    name: str


@dataclass(frozen=True)
class VideoSeed:
    slug: str
    title: str
    description: str
    provider: str
    published_at: datetime
    section: str  # slug
    topics: tuple[str, ...]  # slugs


@dataclass(frozen=True)
class NewsletterSeed:
    slug: str
    name: str
    description: str
    frequency: str


@dataclass(frozen=True)
class ArticleSeed:
    slug: str
    headline: str
    standfirst: str
    paragraphs: tuple[str, ...]
    published_at: datetime
    section: str  # slug
    topics: tuple[str, ...]  # slugs
    lead_video: str  # slug
    related_videos: tuple[str, ...]  # slugs, in the page's order
    newsletter: str  # slug: the page's "Join Our Newsletter" block


@dataclass(frozen=True)
class Document:
    path: Path
    section: SectionSeed
    topics: tuple[TopicSeed, ...]
    videos: tuple[VideoSeed, ...]  # the lead video, then the related videos
    newsletter: NewsletterSeed
    article: ArticleSeed

    def records(self) -> list:
        return [self.section, *self.topics, *self.videos, self.newsletter, self.article]


# The order of the summary line.
SEED_MODELS: dict[type, type[models.Model]] = {
    ArticleSeed: Article,
    VideoSeed: Video,
    NewsletterSeed: Newsletter,
    SectionSeed: Section,
    TopicSeed: Topic,
}


@dataclass(frozen=True)
class Page:
    video_title: str
    headline: str
    standfirst: str
    paragraphs: tuple[str, ...]
    related_titles: tuple[str, ...]


@dataclass(frozen=True)
class LoadResult:
    documents: int
    records: dict[type[models.Model], int]
    created: int
    changed: int

    def __str__(self) -> str:
        counts = ", ".join(
            f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
            for model, n in self.records.items()
        )
        documents = f"{self.documents} document{'' if self.documents == 1 else 's'}"
        return f"Loaded {documents}: {counts} ({self.created} created, {self.changed} changed)"


# --- Reading and checking --------------------------------------------------------------------
def _clean(
    path: Path, model: type[models.Model], field: str, value: Any, where: str, line: int | None = None
) -> Any:
    """`value`, if the model field that will store it accepts it (slug syntax, length, choices)."""
    try:
        model._meta.get_field(field).clean(value, None)
    except ValidationError as error:
        raise SeedError(path, f"{where}: {' '.join(error.messages)}", line) from None
    return value


class _Metadata:
    """Checked reads from one object of a metadata file; errors name the key, e.g. `article.slug`."""

    def __init__(self, path: Path, data: Any, where: str = ""):
        if not isinstance(data, dict):
            raise SeedError(path, f"{where or 'the metadata'} must be a JSON object")
        self.path, self.data, self.where = path, data, where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, expected: type) -> Any:
        if key not in self.data:
            raise SeedError(self.path, f"missing key {self._name(key)!r}")
        if not isinstance(self.data[key], expected):
            raise SeedError(self.path, f"{self._name(key)} must be {JSON_TYPES[expected]}")
        return self.data[key]

    def object(self, key: str) -> "_Metadata":
        return _Metadata(self.path, self._get(key, dict), self._name(key))

    def objects(self, key: str) -> list["_Metadata"]:
        name = self._name(key)
        return [_Metadata(self.path, item, f"{name}[{i}]") for i, item in enumerate(self._get(key, list))]

    def text(self, key: str, model: type[models.Model], field: str) -> str:
        return _clean(self.path, model, field, self._get(key, str), self._name(key))

    def texts(self, model: type[models.Model], *keys: str) -> dict[str, str]:
        """Strings for the model fields of the same names."""
        return {key: self.text(key, model, key) for key in keys}

    def time(self, key: str) -> datetime:
        value = self._get(key, str)
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or timezone.is_naive(parsed):
            raise SeedError(
                self.path,
                f"{self._name(key)}: {value!r} is not an ISO 8601 time with a zone, e.g. {EXAMPLE_TIME}",
            )
        return parsed

    def topics(self, key: str, defined: dict[str, str]) -> tuple[str, ...]:
        slugs = self._get(key, list)
        for slug in slugs:
            if not isinstance(slug, str) or slug not in defined:
                raise SeedError(self.path, f"{self._name(key)}: {slug!r} is not one of the slugs in 'topics'")
        return tuple(slugs)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(path, "missing: each document is a .txt and a .json of the same name") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError(path, f"cannot be read: {error}") from None


def parse_page(path: Path, text: str, *, section_name: str) -> Page:
    """The parts of the page text, by the grammar in this module's docstring."""
    lines = [(number, line.strip()) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not lines:
        raise SeedError(path, "the document is empty")
    start = next((i for i, (_, line) in enumerate(lines) if line == RELATED_TOPICS), None)
    if start is None:
        raise SeedError(path, f"no {RELATED_TOPICS!r} line after the body")
    head, tail = lines[:start], lines[start:]
    for offset, marker in enumerate(MARKERS):
        if offset == len(tail):
            raise SeedError(path, f"no {marker!r} line after {MARKERS[offset - 1]!r}", tail[-1][0])
        if tail[offset][1] != marker:
            raise SeedError(path, f"expected {marker!r}, found {tail[offset][1]!r}", tail[offset][0])
    related = tail[len(MARKERS) :]
    if not related:
        raise SeedError(path, f"no related video titles after {WATCH!r}", tail[-1][0])
    for number, line in head + related:
        if line in MARKERS:
            raise SeedError(path, f"{line!r} is out of place", number)

    if len(head) < 3:
        missing = ("the lead video title", "the section name", "the headline")[len(head)]
        raise SeedError(path, f"expected {missing} before {RELATED_TOPICS!r}", tail[0][0])
    (title_line, title), (section_line, section), (headline_line, headline), *rest = head
    if section != section_name:
        raise SeedError(
            path,
            f"expected the section name {section_name!r} (from the metadata), found {section!r}",
            section_line,
        )
    if headline == title:
        raise SeedError(path, "expected the headline, found the lead video title", headline_line)
    if rest and rest[0][1] == title:
        rest = rest[1:]  # the video's caption
    if len(rest) < 2:
        raise SeedError(
            path, f"expected a standfirst and body paragraphs before {RELATED_TOPICS!r}", tail[0][0]
        )
    (standfirst_line, standfirst), *body = rest

    _clean(path, Video, "title", title, "the lead video title", title_line)
    _clean(path, Article, "headline", headline, "the headline", headline_line)
    _clean(path, Article, "standfirst", standfirst, "the standfirst", standfirst_line)
    for number, line in related:
        _clean(path, Video, "title", line, "a related video title", number)
    return Page(
        video_title=title,
        headline=headline,
        standfirst=standfirst,
        paragraphs=tuple(line for _, line in body),
        related_titles=tuple(line for _, line in related),
    )


def read_document(path: Path) -> Document:
    """One document (`path` is its .txt), parsed and checked. Writes nothing."""
    text = _read(path)
    meta_path = path.with_suffix(".json")
    raw = _read(meta_path)
    try:
        meta = _Metadata(meta_path, json.loads(raw))
    except json.JSONDecodeError as error:
        raise SeedError(
            meta_path, f"invalid JSON: {error.msg} (column {error.colno})", error.lineno
        ) from None

    section = SectionSeed(**meta.object("section").texts(Section, "slug", "name", "description"))
    topics_meta = meta.object("topics")  # slug -> name
    for slug in topics_meta.data:
        _clean(meta_path, Topic, "slug", slug, f"topics: {slug!r}")
    topics = {slug: topics_meta.text(slug, Topic, "name") for slug in topics_meta.data}
    page = parse_page(path, text, section_name=section.name)

    related_meta = meta.objects("related_videos")
    if len(related_meta) != len(page.related_titles):
        raise SeedError(
            path,
            f"{len(page.related_titles)} related video titles after {WATCH!r}, "
            f"but {len(related_meta)} entries in related_videos of {meta_path.name}",
        )
    titles = [page.video_title, *page.related_titles]
    videos = tuple(
        VideoSeed(
            **video_meta.texts(Video, "slug", "description", "provider"),
            title=title,
            published_at=video_meta.time("published_at"),
            section=section.slug,
            topics=video_meta.topics("topics", topics),
        )
        for video_meta, title in zip([meta.object("lead_video"), *related_meta], titles, strict=True)
    )
    related_slugs = tuple(video.slug for video in videos[1:])
    if len(set(related_slugs)) != len(related_slugs):
        raise SeedError(meta_path, "related_videos: the same slug appears twice")

    newsletter_keys = ("slug", "name", "description", "frequency")
    newsletter = NewsletterSeed(**meta.object("newsletter").texts(Newsletter, *newsletter_keys))
    article_meta = meta.object("article")
    article = ArticleSeed(
        **article_meta.texts(Article, "slug"),
        headline=page.headline,
        standfirst=page.standfirst,
        paragraphs=page.paragraphs,
        published_at=article_meta.time("published_at"),
        section=section.slug,
        topics=article_meta.topics("topics", topics),
        lead_video=videos[0].slug,
        related_videos=related_slugs,
        newsletter=newsletter.slug,
    )
    return Document(
        path=path,
        section=section,
        topics=tuple(TopicSeed(slug=slug, name=name) for slug, name in topics.items()),
        videos=videos,
        newsletter=newsletter,
        article=article,
    )


def read_documents(directory: Path) -> list[Document]:
    """Every document in `directory` (each *.txt with its .json), parsed and checked. Writes nothing."""
    if not directory.is_dir():
        raise SeedError(directory, "not a folder")
    texts = sorted(directory.glob("*.txt"))
    if not texts:
        raise SeedError(directory, "no seed documents (*.txt) in this folder")
    orphans = sorted(set(directory.glob("*.json")) - {path.with_suffix(".json") for path in texts})
    if orphans:
        raise SeedError(orphans[0], "metadata without a document: there is no .txt of the same name")
    return [read_document(path) for path in texts]


def _by_slug(documents: list[Document]) -> dict[type, dict[str, Any]]:
    """Each record once, by kind and slug. Documents may share a record (a section, a topic) but
    must describe it alike."""
    records: dict[type, dict[str, Any]] = {kind: {} for kind in SEED_MODELS}
    origins: dict[tuple[type, str], Path] = {}
    for document in documents:
        for seed in document.records():
            known = records[type(seed)].setdefault(seed.slug, seed)
            origin = origins.setdefault((type(seed), seed.slug), document.path)
            if known != seed:
                kind = SEED_MODELS[type(seed)]._meta.verbose_name
                raise SeedError(
                    document.path, f"two different {kind} records have the slug {seed.slug!r} (see {origin})"
                )
    return records


# --- Writing ---------------------------------------------------------------------------------
def _upsert(model: type[models.Model], slug: str, values: dict[str, Any]) -> tuple[Any, str]:
    """The row with this slug, created or brought in line with `values`; saved only if one differs."""
    row = model.objects.filter(slug=slug).first()
    if row is None:
        return model.objects.create(slug=slug, **values), "created"
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        return row, "unchanged"
    for name, value in changed.items():
        setattr(row, name, value)
    row.save()
    return row, "changed"


def _set_topics(row: Article | Video, topic_ids: set[int]) -> bool:
    if set(row.topics.values_list("pk", flat=True)) == topic_ids:
        return False
    row.topics.set(topic_ids)
    return True


def _set_related_videos(article: Article, video_ids: list[int]) -> bool:
    wanted = list(enumerate(video_ids))
    if list(article.related_items.values_list("position", "target_video_id")) == wanted:
        return False
    article.related_items.all().delete()
    RelatedContent.objects.bulk_create(
        RelatedContent(article=article, position=position, target_video_id=video_id)
        for position, video_id in wanted
    )
    return True


def _touch(row: Article | Video, outcome: str, links_changed: bool) -> str:
    """Topics and related items live in other tables; a row whose links changed is saved as well,
    so that its updated_at (and what is built on it, such as Last-Modified) moves too."""
    if outcome == "unchanged" and links_changed:
        row.updated_at = timezone.now()
        row.save(update_fields=["updated_at"])
        return "changed"
    return outcome


def _write(records: dict[type, dict[str, Any]]) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    sections, topics, videos, newsletters = {}, {}, {}, {}
    for seed in records[SectionSeed].values():
        values = {"name": seed.name, "description": seed.description}
        sections[seed.slug], outcome = _upsert(Section, seed.slug, values)
        outcomes[outcome] += 1
    for seed in records[TopicSeed].values():
        topics[seed.slug], outcome = _upsert(Topic, seed.slug, {"name": seed.name})
        outcomes[outcome] += 1
    for seed in records[VideoSeed].values():
        values = {
            "title": seed.title,
            "description": seed.description,
            "provider": seed.provider,
            "section_id": sections[seed.section].pk,
            "status": Status.PUBLISHED,
            "published_at": seed.published_at,
        }
        video, outcome = _upsert(Video, seed.slug, values)
        topics_changed = _set_topics(video, {topics[slug].pk for slug in seed.topics})
        outcomes[_touch(video, outcome, topics_changed)] += 1
        videos[seed.slug] = video
    for seed in records[NewsletterSeed].values():
        values = {"name": seed.name, "description": seed.description, "frequency": seed.frequency}
        newsletters[seed.slug], outcome = _upsert(Newsletter, seed.slug, {**values, "is_active": True})
        outcomes[outcome] += 1
    for seed in records[ArticleSeed].values():
        values = {
            "headline": seed.headline,
            "standfirst": seed.standfirst,
            "body_html": paragraphs_html(list(seed.paragraphs)),
            "section_id": sections[seed.section].pk,
            "lead_video_id": videos[seed.lead_video].pk,
            "newsletter_id": newsletters[seed.newsletter].pk,
            "status": Status.PUBLISHED,
            "published_at": seed.published_at,
        }
        article, outcome = _upsert(Article, seed.slug, values)
        topics_changed = _set_topics(article, {topics[slug].pk for slug in seed.topics})
        related_changed = _set_related_videos(article, [videos[slug].pk for slug in seed.related_videos])
        outcomes[_touch(article, outcome, topics_changed or related_changed)] += 1
    return outcomes


def load_seeds(*, directory: Path = DOCUMENTS_DIR) -> LoadResult:
    """Load every seed document in `directory`: all are checked before anything is written, and
    all are written in one transaction. Raises SeedError, naming the file, for a bad document."""
    documents = read_documents(directory)
    records = _by_slug(documents)
    with transaction.atomic():
        outcomes = _write(records)
    return LoadResult(
        documents=len(documents),
        records={SEED_MODELS[kind]: len(seeds) for kind, seeds in records.items()},
        created=outcomes["created"],
        changed=outcomes["changed"],
    )
