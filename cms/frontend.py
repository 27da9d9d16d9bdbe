"""Where readers see our content: the frontend's pages, not the API. Feeds and sitemaps link there.
The one place that builds frontend URLs, from FRONTEND_BASE_URL and the FRONTEND_*_PATH settings."""

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db.models import Model

# Model label -> setting holding the page's path template ({slug} and {id} are filled in).
PATH_SETTINGS = {
    "articles.article": "FRONTEND_ARTICLE_PATH",
    "articles.video": "FRONTEND_VIDEO_PATH",
    "topics.section": "FRONTEND_SECTION_PATH",
    "topics.topic": "FRONTEND_TOPIC_PATH",
    "articles.author": "FRONTEND_AUTHOR_PATH",
}


def frontend_url(obj: Model | None = None) -> str:
    """Absolute URL of the reader's page for an article, video, section, topic or author; of the home
    page for None."""
    if obj is None:
        return settings.FRONTEND_BASE_URL.rstrip("/") + "/"
    return frontend_page(obj._meta.label_lower, slug=obj.slug, pk=obj.pk)


def frontend_page(label: str, *, slug: str, pk) -> str:
    """Absolute URL of the reader's page of the `label` item with this slug and id (the slug may be
    one it had before: where readers knew it)."""
    template = getattr(settings, PATH_SETTINGS[label])
    return settings.FRONTEND_BASE_URL.rstrip("/") + template.format(slug=quote(slug), id=pk)


def frontend_host() -> str:
    """The frontend's host name, without port: the authority of our stable feed ids."""
    return urlsplit(settings.FRONTEND_BASE_URL).hostname or "localhost"
