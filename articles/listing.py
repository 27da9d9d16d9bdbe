"""Article list items, rendered once and kept on the row (`Article.list_json`).

A page of the article list is the API's busiest uncached response, and building twenty teasers
from their relations (section, hero image, topics, authors) is most of its cost. So each item's
JSON is rendered the first time a list shows it, stored with the surrogate keys of what it shows
(`list_keys`), and cleared by every write that changes what it shows: the article itself, its
topics or authors, and any topic, author, section or image it shows. A list then reads one column
per item. Two things are filled in per request: the scheme and host of image URLs (a marker in the
stored text) and `has_video`, which follows the lead video's publishing times with no write.
"""

from collections.abc import Iterable

import orjson
from django.db.models.signals import m2m_changed, post_save, pre_delete

from cms.caching import keys_of
from cms.representation import ABSOLUTE_PREFIX

from .models import Article, Author, Image
from .serializers import ArticleListSerializer

HOST_MARK = "\x00"  # stands for the scheme and host in stored image URLs
STORED_HOST_MARK = orjson.dumps(HOST_MARK).decode()[1:-1]  # as it reads inside the JSON text
LIST_COLUMNS = ("id", "published_at", "updated_at", "list_json", "list_keys")


def render(article: Article) -> tuple[str, str]:
    """The stored form of one list item: its JSON text without `has_video`, and its keys."""
    data = ArticleListSerializer(context={ABSOLUTE_PREFIX: HOST_MARK}).represent(article)
    del data["has_video"]
    return orjson.dumps(data).decode(), " ".join(sorted(keys_of([article])))


def fill(rows: list[Article]) -> None:
    """Render the items of `rows` (loaded with LIST_COLUMNS) that have no stored JSON yet."""
    missing = {row.pk: row for row in rows if not row.list_json}
    if not missing:
        return
    for article in Article.objects.for_api().filter(pk__in=missing):
        row = missing[article.pk]
        row.list_json, row.list_keys = render(article)
    Article.objects.bulk_update(missing.values(), ["list_json", "list_keys"])


def items(rows: list[Article], host: str) -> list[orjson.Fragment]:
    """The page's items, ready for orjson: stored JSON with the host and `has_video` filled in."""
    fill(rows)
    host = orjson.dumps(host).decode()[1:-1]
    return [
        orjson.Fragment(
            row.list_json.replace(STORED_HOST_MARK, host)[:-1]
            + (',"has_video":true}' if row.has_video else ',"has_video":false}')
        )
        for row in rows
    ]


def page_keys(rows: Iterable[Article]) -> set[str]:
    return {key for row in rows for key in row.list_keys.split()}


# --- Keeping it true -----------------------------------------------------------------------------
def forget(**lookups) -> None:
    """Clear the stored list items of the articles matching `lookups`."""
    Article.objects.filter(**lookups).exclude(list_json="").update(list_json="")


def _shown_object_changed(sender, instance, **kwargs) -> None:
    field = {"topics.Topic": "topics", "topics.Section": "section", "articles.Author": "authors"}.get(
        sender._meta.label, "hero_image"
    )
    forget(**{field: instance.pk})


def _links_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        forget(pk=instance.pk)
    elif pk_set is not None:
        forget(pk__in=pk_set)
    else:  # cleared from the topic's or author's side
        forget(**{"topics" if sender is Article.topics.through else "authors": instance.pk})


def connect() -> None:
    from topics.models import Section, Topic

    for model in (Topic, Section, Author, Image):
        label = model._meta.label
        post_save.connect(_shown_object_changed, sender=model, dispatch_uid=f"listing-save-{label}")
        pre_delete.connect(_shown_object_changed, sender=model, dispatch_uid=f"listing-delete-{label}")
    for through in (Article.topics.through, Article.authors.through):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"listing-{through._meta.label}")
