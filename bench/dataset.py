"""What the bench generates: sections, topics, authors, images, videos and articles of realistic
sizes and relations, written with bulk_create. Needs Django set up (bench/generate.py does it).

bulk_create bypasses Article.save(), which sanitizes `body_html` and derives the `body` blocks and
`body_text`: that is done here with the same functions, once per distinct body (a few dozen
templates that all the articles share), and the INSERT computes each search vector, so the
stored rows are what the admin would have saved.

Every generated slug, and every image file name, starts with PREFIX: a rerun can tell the data is
there, and `wipe()` removes exactly what was generated (seed content beside it stays)."""

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import reduce
from html import escape
from itertools import accumulate
from operator import add

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.text import slugify

from articles.blocks import plain_text
from articles.models import Article, Author, Image, LivePost, LiveStatus, RelatedContent, Video
from articles.richtext import html_to_blocks, sanitize_html
from articles.search import CONFIG
from cms.publishing import Status
from topics.models import Section, Topic

PREFIX = "bench-"
BATCH_SIZE = 1000
BODY_TEMPLATES = 40
ARCHIVE_SECONDS = 3 * 365 * 24 * 3600  # published items spread over three years
RENDITION_WIDTHS = (320, 640, 1024, 1600, 2400)
LIVE_POSTS = 300  # posts of the bench's live page, one a minute
SEARCH_WORD = "Jamaica"  # the bench's search: a place, in the headlines of about 3% of the items

SECTIONS = ["News", "World", "UK", "Politics", "Business", "Technology", "Science", "Defence", "Culture"]
SECTION_WEIGHTS = [30, 15, 12, 10, 8, 8, 5, 8, 4]
PLACES = [
    *["Ukraine", "Kyiv", "Moscow", "Kursk", "London", "Washington", "Brussels", "Beijing", "Taiwan"],
    *["Gaza", "Israel", "Iran", "Syria", "Jamaica", "Paris", "Berlin", "Tokyo", "Seoul", "Pyongyang"],
    *["the Baltic", "the Red Sea", "the Arctic", "Scotland", "Wales", "Portsmouth", "Plymouth"],
]
NOUNS = [
    *["government", "minister", "army", "navy", "troops", "soldiers", "drone", "missile", "ceasefire"],
    *["talks", "election", "budget", "economy", "inflation", "energy", "strike", "court", "police"],
    *["hospital", "report", "inquiry", "deal", "sanctions", "warship", "aircraft", "carrier", "pilots"],
    *["families", "workers", "farmers", "storm", "hurricane", "flood", "border", "summit", "alliance"],
    *["treaty", "defence", "security", "investment", "factory", "exports", "markets", "bank", "rates"],
    *["voters", "campaign", "protest", "veterans", "exercise", "submarine", "frigate", "satellite"],
]
VERBS = [
    *["warns", "backs", "rejects", "announces", "launches", "halts", "delays", "confirms", "denies"],
    *["approves", "blocks", "expands", "cuts", "deploys", "withdraws", "faces", "wins", "plans"],
]
ADJECTIVES = [
    *["new", "major", "fresh", "urgent", "key", "senior", "former", "local", "national", "military"],
    *["naval", "economic", "record", "historic", "rare", "growing", "surprise", "joint", "final"],
]
FILLER = [
    *["the", "a", "of", "to", "and", "in", "on", "for", "with", "after", "before", "as", "that"],
    *["said", "would", "could", "has", "have", "been", "was", "were", "more", "than", "over"],
    *["against", "amid", "during", "while", "its", "their", "this", "week", "year", "officials"],
]
FIRST_NAMES = ["Alex", "Sam", "Priya", "Tom", "Grace", "Omar", "Hannah", "Lewis", "Mei", "Daniel", "Ruth"]
LAST_NAMES = ["Hughes", "Patel", "Okafor", "Clarke", "Nowak", "Evans", "Chen", "Morgan", "Reid", "Shaw"]
ROLES = ["Reporter", "Defence correspondent", "Political editor", "Science writer", "Video producer"]
AGENCIES = ["PA", "Reuters", "AP", "AFP", "MoD", "Getty Images", ""]


class Text:
    """Newsy filler text from a seeded random generator: the same seed gives the same data."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def word(self) -> str:
        # Places are left to headlines: in a few percent of the items, as a name is on a news
        # site, so that searching for one is selective. Every body has all the common words.
        roll = self.rng.random()
        pool = FILLER if roll < 0.5 else NOUNS if roll < 0.75 else ADJECTIVES if roll < 0.9 else VERBS
        return self.rng.choice(pool)

    def sentence(self, low: int = 12, high: int = 28) -> str:
        words = " ".join(self.word() for _ in range(self.rng.randint(low, high)))
        return words[0].upper() + words[1:] + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def headline(self) -> str:
        rng = self.rng
        words = [rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(VERBS), rng.choice(NOUNS)]
        words += ["in", rng.choice(PLACES)] if rng.random() < 0.7 else ["as", rng.choice(NOUNS), "grow"]
        headline = " ".join(words)
        return headline[0].upper() + headline[1:]

    def paragraph_html(self) -> str:
        """A paragraph of escaped text with the odd bold, italic or link, as the editor writes."""
        words = escape(self.paragraph()).split(" ")
        for _ in range(self.rng.randint(0, 2)):
            at, kind = self.rng.randrange(len(words)), self.rng.random()
            if kind < 0.4:
                words[at] = f'<a href="https://example.com/reports/{at}">{words[at]}</a>'
            else:
                words[at] = f"<strong>{words[at]}</strong>" if kind < 0.7 else f"<em>{words[at]}</em>"
        return f"<p>{' '.join(words)}</p>"

    def body_html(self, image_ids: list[int], video_ids: list[int]) -> str:
        """10 to 20 paragraphs with the odd subheading, quote, list and embedded image or video."""
        rng, parts = self.rng, []
        for index in range(rng.randint(10, 20)):
            if index and index % 5 == 0 and rng.random() < 0.6:
                parts.append(f"<h2>{escape(self.headline())}</h2>")
            parts.append(self.paragraph_html())
            if index == 2 and image_ids and rng.random() < 0.3:
                parts.append(f'<figure data-embed="image" data-id="{rng.choice(image_ids)}"></figure>')
            if index == 3 and rng.random() < 0.3:
                parts.append(f"<blockquote><p>{escape(self.sentence())}</p></blockquote>")
            if index == 6 and rng.random() < 0.25:
                items = "".join(f"<li>{escape(self.sentence(4, 10))}</li>" for _ in range(rng.randint(3, 5)))
                parts.append(f"<ul>{items}</ul>")
            if index == 8 and video_ids and rng.random() < 0.15:
                caption = escape(self.sentence(4, 8))
                parts.append(
                    f'<figure data-embed="video" data-id="{rng.choice(video_ids)}" '
                    f'data-caption="{caption}"></figure>'
                )
        return "".join(parts)


def publishing(rng: random.Random, now) -> dict:
    """Mostly live, spread over the archive; some drafts, scheduled, expired and archived items."""
    past = now - timedelta(seconds=rng.uniform(60, ARCHIVE_SECONDS))
    live = {"status": Status.PUBLISHED, "published_at": past, "first_published_at": past}
    updated = {"updated_at": min(now, past + timedelta(seconds=rng.uniform(0, 2 * 24 * 3600)))}
    roll = rng.random()
    if roll < 0.90:
        return {**live, **updated}
    if roll < 0.94:
        return {"status": Status.DRAFT, "published_at": None}
    if roll < 0.97:
        return {"status": Status.PUBLISHED, "published_at": now + timedelta(hours=rng.uniform(1, 720))}
    if roll < 0.985:
        return {**live, **updated, "expires_at": past + (now - past) * rng.random()}
    return {**live, **updated, "status": Status.ARCHIVED}


def with_search_vectors(rows: list) -> list:
    """PostgreSQL: each row's search vector, computed by its INSERT from the values it writes, as
    articles.search.refresh_search_vectors() computes it from the columns. (Refreshing them all
    after the load would leave a dead copy of every row behind: a table twice its size.)"""
    if connection.vendor == "postgresql":
        for row in rows:
            row.search_vector = reduce(
                add,
                (
                    SearchVector(Value(getattr(row, name)), weight=weight, config=CONFIG)
                    for name, weight in type(row).search_fields.items()
                ),
            )
    return rows


@transaction.atomic
def live_page(seed: int = 1) -> Article | None:
    """The bench's live page: the newest published generated article, made a live page with
    LIVE_POSTS posts (written as LivePost.save() would: sanitized, blocks, text, one revision
    each) if it is not one yet. Returns it; None without generated articles."""
    article = (
        Article.objects.published()
        .filter(slug__startswith=PREFIX)
        .order_by("-published_at", "-pk")
        .only("pk", "slug", "live_status", "live_revision", "published_at")
        .first()
    )
    if article is None or article.live_status:
        return article
    text, rng = Text(random.Random(seed)), random.Random(seed)
    authors = list(Author.objects.filter(slug__startswith=PREFIX).values_list("pk", flat=True)[:20])
    start = article.published_at
    posts = []
    for number in range(1, LIVE_POSTS + 1):
        html = sanitize_html("".join(text.paragraph_html() for _ in range(rng.randint(1, 3))))
        blocks = html_to_blocks(html)
        posts.append(
            LivePost(
                article_id=article.pk,
                status=LivePost.Status.PUBLISHED,
                title=text.headline() if rng.random() < 0.3 else "",
                body_html=html,
                body=blocks,
                body_text=plain_text(blocks),
                author_id=rng.choice(authors) if authors else None,
                key_event=rng.random() < 0.05,
                pinned=number == 1,
                published_at=start + timedelta(minutes=number),
                revision=number,
            )
        )
    LivePost.objects.bulk_create(posts, batch_size=BATCH_SIZE)
    Article.objects.filter(pk=article.pk).update(live_status=LiveStatus.LIVE, live_revision=LIVE_POSTS)
    article.refresh_from_db()
    return article


def existing() -> dict[str, int]:
    """How many generated rows of each kind the database holds."""
    generated = {"slug__startswith": PREFIX}
    return {
        "sections": Section.objects.filter(**generated).count(),
        "topics": Topic.objects.filter(**generated).count(),
        "authors": Author.objects.filter(**generated).count(),
        "images": Image.objects.filter(file__startswith=PREFIX).count(),
        "videos": Video.objects.filter(**generated).count(),
        "articles": Article.objects.filter(**generated).count(),
        "related items": RelatedContent.objects.filter(article__slug__startswith=PREFIX).count(),
        "live posts": LivePost.objects.filter(article__slug__startswith=PREFIX).count(),
    }


@transaction.atomic
def wipe() -> None:
    """Delete every generated row, and nothing else."""
    articles = Article.objects.filter(slug__startswith=PREFIX)
    videos = Video.objects.filter(slug__startswith=PREFIX)
    RelatedContent.objects.filter(article__in=articles).delete()
    LivePost.objects.filter(article__in=articles)._raw_delete(LivePost.objects.db)
    for through in (Article.topics.through, Article.authors.through):
        through.objects.filter(article__in=articles).delete()
    Video.topics.through.objects.filter(video__in=videos).delete()
    # Bulk-created rows were never save()d, so no per-row signal has anything to undo (slug
    # redirects, image files): delete them in one statement each rather than row by row.
    for queryset in (
        articles,
        videos,
        Image.objects.filter(file__startswith=PREFIX),
        Topic.objects.filter(slug__startswith=PREFIX),
        Author.objects.filter(slug__startswith=PREFIX),
        Section.objects.filter(slug__startswith=PREFIX),
    ):
        queryset._raw_delete(queryset.db)


def vacuum() -> None:
    """PostgreSQL: make the space of deleted rows reusable, so that new rows fill it rather than
    grow the tables (as autovacuum would, in time). Not inside a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")


@contextmanager
def indexes_built_after(*models) -> Iterator[None]:
    """PostgreSQL: drop the tables' indexes that no constraint needs while rows are loaded, and
    build them again afterwards: one pass per index rather than an update per row (the GIN index
    of the search vectors above all). In the caller's transaction, so a failure restores them."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # CREATE INDEX refuses pending FK checks
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")  # sorts in memory: a GIN index above all
        for _, definition in indexes:
            cursor.execute(definition)


def generate(
    *, articles: int, videos: int, topics: int, seed: int = 1, log: Callable[[str], None] = lambda _: None
) -> dict[str, int]:
    """Write the data set in one transaction and return how many rows of each kind it has."""
    loaded = [Image, Video, Video.topics.through, Article, Article.topics.through, Article.authors.through]
    with transaction.atomic(), indexes_built_after(*loaded, RelatedContent):
        _generate(articles=articles, videos=videos, topics=topics, rng=random.Random(seed), log=log)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Planner statistics and the visibility map (index-only scans), as autovacuum would make
            # them in time. VACUUM cannot run inside a transaction (a test's): statistics only there.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return existing()


def _generate(*, articles: int, videos: int, topics: int, rng: random.Random, log) -> None:
    text, now = Text(rng), timezone.now()

    sections = Section.objects.bulk_create(
        Section(name=name, slug=f"{PREFIX}{slugify(name)}", position=index, description=text.sentence())
        for index, name in enumerate(SECTIONS)
    )
    section_weights = list(accumulate(SECTION_WEIGHTS))

    topic_rows = []
    for index in range(topics):
        name = f"{rng.choice(PLACES).removeprefix('the ')} {rng.choice(NOUNS)}".title()
        topic_rows.append(
            Topic(name=name, slug=f"{PREFIX}{slugify(name)}-{index}", is_active=rng.random() > 0.02)
        )
    topic_rows = Topic.objects.bulk_create(topic_rows, batch_size=BATCH_SIZE)
    broad = topic_rows[: max(1, topics // 20)]
    children = [topic for topic in topic_rows[len(broad) :] if rng.random() < 0.3]
    for topic in children:
        topic.parent = rng.choice(broad)
    Topic.objects.bulk_update(children, ["parent"], batch_size=BATCH_SIZE)
    # A few topics are on many items and most on few, as on a news site.
    topic_weights = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(topics)))

    def some_topics() -> set[int]:
        count = rng.randint(1, 5)
        return {topic.pk for topic in rng.choices(topic_rows, cum_weights=topic_weights, k=count)}

    authors = Author.objects.bulk_create(
        Author(
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            slug=f"{PREFIX}author-{index}",
            role=rng.choice(ROLES),
            bio=text.sentence(),
        )
        for index in range(max(3, articles // 250))
    )
    log(f"{len(sections)} sections, {topics} topics, {len(authors)} authors")

    image_count = videos + articles * 85 // 100
    image_rows = []
    for index in range(image_count):
        height = rng.choice([1600, 1350])
        focal = (rng.random(), rng.random()) if rng.random() < 0.3 else (None, None)
        image_rows.append(
            Image(
                file=f"{PREFIX}images/{index:07d}.jpg",
                width=2400,
                height=height,
                alt_text=text.sentence(6, 14),
                caption=text.sentence(8, 16) if rng.random() < 0.5 else "",
                credit=rng.choice(AGENCIES),
                focal_x=focal[0],
                focal_y=focal[1],
                renditions=[
                    {
                        "width": width,
                        "height": round(height * width / 2400),
                        "path": f"renditions/{PREFIX}images/{index:07d}/{width}.webp",
                    }
                    for width in RENDITION_WIDTHS
                ],
            )
        )
    image_ids = [image.pk for image in Image.objects.bulk_create(image_rows, batch_size=BATCH_SIZE)]
    log(f"{len(image_ids)} images")

    video_rows = []
    for index in range(videos):
        title = text.headline()
        video_rows.append(
            Video(
                title=title,
                slug=f"{PREFIX}{slugify(title)[:150]}-v{index}",
                description=f"{text.sentence()} {text.sentence()}",
                provider=Video.Provider.YOUTUBE if rng.random() < 0.5 else Video.Provider.SELF_HOSTED,
                source_url=f"https://video.example.com/{index}.mp4",
                embed_url=f"https://www.youtube-nocookie.com/embed/bench{index}",
                duration=timedelta(seconds=rng.randint(30, 900)),
                thumbnail_id=image_ids[index],
                transcript="\n\n".join(text.paragraph() for _ in range(rng.randint(3, 8))),
                section=rng.choices(sections, cum_weights=section_weights)[0] if rng.random() < 0.8 else None,
                **publishing(rng, now),
            )
        )
    video_rows = Video.objects.bulk_create(with_search_vectors(video_rows), batch_size=BATCH_SIZE)
    video_ids = [video.pk for video in video_rows]
    live_video_ids = [video.pk for video in video_rows if video.status == Status.PUBLISHED]
    Video.topics.through.objects.bulk_create(
        (
            Video.topics.through(video_id=video.pk, topic_id=topic_id)
            for video in video_rows
            for topic_id in some_topics()
        ),
        batch_size=BATCH_SIZE * 5,
    )
    log(f"{videos} videos")

    templates = []
    for _ in range(BODY_TEMPLATES):
        html = sanitize_html(text.body_html(image_ids[:200], live_video_ids[:200]))
        blocks = html_to_blocks(html)
        templates.append((html, blocks, plain_text(blocks)))
    hero_ids = image_ids[videos:]
    writer = ArticleWriter(templates, now)
    article_ids: list[int] = []
    next_id = writer.first_id()
    for start in range(0, articles, BATCH_SIZE):
        rows, topic_links, author_links, related = [], [], [], []
        for index in range(start, min(start + BATCH_SIZE, articles)):
            headline = text.headline()
            standfirst = text.sentence(16, 30)[:400]
            pk, next_id = next_id, next_id + 1
            rows.append(
                {
                    "id": pk,
                    "template": rng.randrange(len(templates)),
                    "headline": headline,
                    "slug": f"{PREFIX}{slugify(headline)[:150]}-{index}",
                    "standfirst": standfirst,
                    "section_id": rng.choices(sections, cum_weights=section_weights)[0].pk,
                    "hero_image_id": hero_ids[index] if index < len(hero_ids) else None,
                    "lead_video_id": rng.choice(video_ids) if video_ids and rng.random() < 0.2 else None,
                    "seo_title": headline[:70] if rng.random() < 0.3 else "",
                    "seo_description": standfirst[:160] if rng.random() < 0.2 else "",
                    "canonical_url": "https://partner.example.com/story" if rng.random() < 0.02 else "",
                    **publishing(rng, now),
                }
            )
            topic_links += [(pk, topic_id) for topic_id in some_topics()]
            author_links += [
                (pk, author.pk) for author in {rng.choice(authors) for _ in range(rng.choice([1, 1, 1, 2]))}
            ]
            article_ids.append(pk)
            targets = set()
            for position in range(rng.randint(0, 4)):
                if live_video_ids and rng.random() < 0.4:
                    target = (None, rng.choice(live_video_ids))
                else:
                    target = (rng.choice(article_ids), None)
                if target not in targets and target[0] != pk:
                    targets.add(target)
                    related.append((pk, position, *target))
        writer.write(rows, topic_links, author_links, related)
        log(f"{len(article_ids)} articles")
    writer.finish()


class ArticleWriter:
    """Writes generated articles, their topic and author links and related items. On PostgreSQL
    by COPY: the rows go to a temporary table without their bodies, and one INSERT ... SELECT adds
    each body (from the template table) and computes the search vector, as save() would, but with
    the body's part computed once per template. Elsewhere by bulk_create."""

    def __init__(self, templates: list[tuple], now):
        self.templates = templates
        # What a row saved by the admin has where the generator says nothing.
        self.defaults = {field.column: field.get_default() for field in Article._meta.concrete_fields}
        self.defaults.update(
            {"created_at": now, "updated_at": now, "first_published_at": None, "expires_at": None}
        )
        self.postgresql = connection.vendor == "postgresql"
        self.columns = [
            field.column
            for field in Article._meta.concrete_fields
            if field.column not in ("body_html", "body", "body_text", "search_vector")
        ]
        if self.postgresql:
            self._create_staging()

    def first_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {Article._meta.db_table}")
            return cursor.fetchone()[0]

    def _create_staging(self) -> None:
        vector = (
            f"setweight(to_tsvector('{CONFIG}', COALESCE(body_text, '')), "
            f"'{Article.search_fields['body_text']}')"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_templates (id integer PRIMARY KEY, body_html text, "
                "body jsonb, body_text text, vector tsvector) ON COMMIT DROP"
            )
            with cursor.copy("COPY bench_templates (id, body_html, body, body_text) FROM STDIN") as copy:
                for index, (html, blocks, body_text) in enumerate(self.templates):
                    copy.write_row((index, html, json.dumps(blocks), body_text))
            cursor.execute(f"UPDATE bench_templates SET vector = {vector}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE bench_articles ON COMMIT DROP AS SELECT "
                f"{', '.join(self.columns)}, 0 AS template FROM {Article._meta.db_table} WITH NO DATA"
            )

    def write(self, rows: list[dict], topic_links, author_links, related) -> None:
        if not self.postgresql:
            self._bulk_create(rows, topic_links, author_links, related)
            return
        table_of = {
            "topics": Article.topics.through._meta.db_table,
            "authors": Article.authors.through._meta.db_table,
            "related": RelatedContent._meta.db_table,
        }
        columns = [*self.columns, "template"]
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY bench_articles ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [row[name] if name in row else self.defaults.get(name) for name in columns]
                    )
            with cursor.copy(f"COPY {table_of['topics']} (article_id, topic_id) FROM STDIN") as copy:
                for link in topic_links:
                    copy.write_row(link)
            with cursor.copy(f"COPY {table_of['authors']} (article_id, author_id) FROM STDIN") as copy:
                for link in author_links:
                    copy.write_row(link)
            related_columns = "article_id, position, target_article_id, target_video_id"
            with cursor.copy(f"COPY {table_of['related']} ({related_columns}) FROM STDIN") as copy:
                for item in related:
                    copy.write_row(item)

    def finish(self) -> None:
        if not self.postgresql:
            return
        table = Article._meta.db_table
        weights = Article.search_fields
        vector = (
            f"setweight(to_tsvector('{CONFIG}', COALESCE(s.headline, '')), '{weights['headline']}') || "
            f"setweight(to_tsvector('{CONFIG}', COALESCE(s.standfirst, '')), '{weights['standfirst']}') || "
            "t.vector"
        )
        staged = ", ".join(f"s.{column}" for column in self.columns)
        with connection.cursor() as cursor:
            # Stored in publish-time order, as a newsroom's table grows: each story is written when
            # it is published, give or take (drafts, with no time yet, first). Stored in a random
            # order, a walk of the newest items reads a page of the table per item.
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(self.columns)}, body_html, body, body_text, search_vector) "
                f"SELECT {staged}, t.body_html, t.body, t.body_text, {vector} "
                "FROM bench_articles s JOIN bench_templates t ON t.id = s.template "
                "ORDER BY s.published_at NULLS FIRST, s.id"
            )
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}")

    def _bulk_create(self, rows, topic_links, author_links, related) -> None:
        articles = []
        for row in rows:
            body_html, body, body_text = self.templates[row["template"]]
            fields = {name: value for name, value in row.items() if name != "template"}
            articles.append(Article(body_html=body_html, body=body, body_text=body_text, **fields))
        Article.objects.bulk_create(articles)
        Article.topics.through.objects.bulk_create(
            Article.topics.through(article_id=pk, topic_id=topic_id) for pk, topic_id in topic_links
        )
        Article.authors.through.objects.bulk_create(
            Article.authors.through(article_id=pk, author_id=author_id) for pk, author_id in author_links
        )
        RelatedContent.objects.bulk_create(
            RelatedContent(article_id=pk, position=position, target_article_id=article, target_video_id=video)
            for pk, position, article, video in related
        )
