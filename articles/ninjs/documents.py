"""The ninjs document of an article or a video, as the routes (articles.ninjs.views) serve it."""

import mimetypes

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from cms.frontend import frontend_url
from cms.publishing import State
from cms.representation import absolute, iso
from topics.models import Topic

from ..blocks import plain_text
from ..feeds import stable_id
from ..models import Article, Image, Video
from ..players import PAGE, source_type
from ..richtext import blocks_to_html
from ..rights import rights_data
from ..serializers import body_data
from ..teasers import media_url
from ..views import embed_keys, load_body_embeds

NINJS_VERSION = "3.3"
STANDARD = {
    "name": "ninjs",
    "version": NINJS_VERSION,
    "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{NINJS_VERSION}.json#",
}
# ninjs `pubStatus` by what the public sees now; a scheduled item is usable once its embargo lifts.
PUB_STATUS = {
    State.LIVE: "usable",
    State.SCHEDULED: "usable",
    State.DRAFT: "withheld",
    State.EXPIRED: "canceled",
    State.ARCHIVED: "canceled",
}


def ninjs_items(model):
    """What a document of `model` shows, at a fixed number of queries: the item with its section
    and pictures (and an article's lead video), active topics, authors."""
    active = Prefetch("topics", queryset=Topic.objects.active())
    if model is Article:
        return (
            Article.objects.select_related("section", "hero_image", "lead_video__thumbnail")
            .prefetch_related(active, "authors")
            .defer("body_html")  # the editor's HTML: the body is served from its blocks
        )
    return Video.objects.select_related("section", "thumbnail").prefetch_related(active)


# --- The document -------------------------------------------------------------------------------
def _compact(document: dict) -> dict:
    """Without the properties that have no value: ninjs has no nulls, and empty ones say nothing."""
    return {
        name: value for name, value in document.items() if value is not None and value != "" and value != []
    }


def _texts(*pairs: tuple[str, str]) -> list[dict]:
    """Headlines or descriptions: {role, value} for each (role, value) that has a value."""
    return [{"role": role, "value": value} for role, value in pairs if value]


def byline(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`: the `by` statement."""
    return " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def _dates(item) -> dict:
    """Versions: a new one whenever readers could see a change (`updated_at`, or going live)."""
    now = timezone.now()
    changed = item.updated_at
    if item.published_at is not None and item.published_at <= now:
        changed = max(changed, item.published_at)
    first = item.first_published_at
    return {
        "version": str(int(changed.timestamp())),
        "firstCreated": iso(first) if first is not None and first <= now else None,
        "versionCreated": iso(changed),
        # Never after its first publication (items imported with their original dates).
        "contentCreated": iso(min(filter(None, [item.created_at, item.first_published_at]))),
    }


def _status(item) -> dict:
    state = item.state
    embargoed = iso(item.published_at) if state == State.SCHEDULED else None
    return {"embargoedUntil": embargoed, "pubStatus": PUB_STATUS[state], "expires": iso(item.expires_at)}


def _rights(item) -> tuple[dict, str]:
    """The rights properties, and the credit line (a description in ninjs, as wires send it)."""
    rights = rights_data(item)
    held = {
        "copyrightHolder": rights["copyright_holder"],
        "copyrightNotice": rights["copyright_notice"],
        "usageTerms": rights["usage_terms"],
    }
    return held, rights["credit"]


def _subjects(item) -> list[dict]:
    """The section, then the active topics (prefetched so: ninjs_items)."""
    tagged = [("section", item.section)] if item.section is not None else []
    tagged += [("topic", topic) for topic in item.topics.all()]
    return [
        {"name": tag.name, "rel": rel, "uri": stable_id(rel, tag.pk), "literal": tag.slug}
        for rel, tag in tagged
    ]


def _web_page(item) -> dict:
    return {"name": "web", "title": "Web page", "href": frontend_url(item), "contentType": PAGE}


def _image_rendition(context: dict, image: Image, name: str, path: str, width, height) -> dict:
    rendition = {
        "name": name,
        "href": absolute(context, media_url(path)),
        "contentType": mimetypes.guess_type(path)[0],
        "width": width,
        "height": height,
    }
    if image.focal_point is not None and width and height:  # in pixels from the top left
        x, y = image.focal_x * width, image.focal_y * height
        rendition["poi"] = {"x": min(int(x), width - 1), "y": min(int(y), height - 1)}
    return _compact(rendition)


def picture(image: Image, context: dict, *, name: str, rel: str) -> dict:
    """An image as an associated ninjs picture: its original and every rendition."""
    renditions = []
    if image.file:
        renditions.append(
            _image_rendition(context, image, "original", image.file.name, image.width, image.height)
        )
        renditions += [
            _image_rendition(context, image, f"w{r['width']}", r["path"], r["width"], r["height"])
            for r in image.renditions
        ]
    return _compact(
        {
            "name": name,
            "rel": rel,
            "uri": stable_id("image", image.pk),
            "type": "picture",
            "representationType": "partial",
            "descriptions": _texts(
                ("caption", image.caption), ("alt", image.alt_text), ("creditline", image.credit)
            ),
            "renditions": renditions,
        }
    )


def video_renditions(video: Video) -> list[dict]:
    """Its source (a file, a stream or a provider's page), its player and its page on our site."""
    seconds = video.duration.total_seconds() if video.duration is not None else None
    source = {
        "name": "source",
        "href": video.source_url,
        "contentType": source_type(video),
        "duration": seconds,
    }
    player = {"name": "player", "title": "Embeddable player", "href": video.embed_url, "contentType": PAGE}
    found = [_compact(source)] if video.source_url else []
    found += [_compact({**player, "duration": seconds})] if video.embed_url else []
    return [*found, _web_page(video)]


def _pictured(video: Video, context: dict) -> list[dict]:
    thumbnail = video.thumbnail
    return [picture(thumbnail, context, name="thumbnail", rel="thumbnail")] if thumbnail is not None else []


def video_association(video: Video, context: dict) -> dict:
    """An article's lead video, as associated with it."""
    return _compact(
        {
            "name": "lead-video",
            "rel": "lead-video",
            "uri": stable_id("video", video.pk),
            "type": "video",
            "representationType": "partial",
            "headlines": _texts(("main", video.title)),
            "descriptions": _texts(("summary", video.description)),
            "renditions": video_renditions(video),
            "associations": _pictured(video, context),
        }
    )


def _counted(role: str, content_type: str, value: str, words: str) -> dict:
    return {
        "role": role,
        "contentType": content_type,
        "value": value,
        "charCount": len(words),
        "wordCount": len(words.split()),
    }


def _common(item, kind: str) -> dict:
    return {
        "uri": stable_id(kind, item.pk),
        "standard": STANDARD,
        "type": "text" if kind == "article" else "video",
        "representationType": "full",
        **_dates(item),
        **_status(item),
        "language": settings.CONTENT_LANGUAGE,
        "slugline": item.slug,
        "altIds": [{"role": "id", "value": str(item.pk)}],
    }


def article_document(article: Article, context: dict) -> dict:
    """`context`: the request and the body's embeds (articles.views.load_body_embeds)."""
    html = blocks_to_html(body_data(article.body, context))  # as the detail's body_html
    text = plain_text(article.body)  # the words: embeds and their captions have none
    rights, credit = _rights(article)
    authors = list(article.authors.all())
    hero, lead = article.hero_image, article.lead_video
    associations = [picture(hero, context, name="hero-image", rel="hero")] if hero is not None else []
    if lead is not None and lead.is_live:
        associations.append(video_association(lead, context))
    return _compact(
        {
            **_common(article, "article"),
            "headlines": _texts(("main", article.headline), ("seo", article.seo_title)),
            "descriptions": _texts(
                ("summary", article.standfirst), ("seo", article.seo_description), ("creditline", credit)
            ),
            "bodies": [
                *([_counted("main", "text/html", html, text)] if html else []),
                *([_counted("main", "text/plain", text, text)] if text else []),
            ],
            "by": byline([author.name for author in authors]),
            "people": [
                {
                    "name": author.name,
                    "rel": "author",
                    "uri": stable_id("author", author.pk),
                    "literal": author.slug,
                }
                for author in authors
            ],
            "subjects": _subjects(article),
            "renditions": [_web_page(article)],
            "associations": associations,
            **rights,
        }
    )


def video_document(video: Video, context: dict) -> dict:
    rights, credit = _rights(video)
    transcript = video.transcript
    return _compact(
        {
            **_common(video, "video"),
            "headlines": _texts(("main", video.title), ("seo", video.seo_title)),
            "descriptions": _texts(
                ("summary", video.description), ("seo", video.seo_description), ("creditline", credit)
            ),
            "bodies": [_counted("transcript", "text/plain", transcript, transcript)] if transcript else [],
            "subjects": _subjects(video),
            "renditions": video_renditions(video),
            "associations": _pictured(video, context),
            **rights,
        }
    )


def document(item: Article | Video, request) -> tuple[dict, set[str]]:
    """The item's ninjs document, and the keys of what it shows beside the objects it has loaded."""
    if isinstance(item, Article):
        embeds = load_body_embeds([item])
        return article_document(item, {"request": request, "embeds": embeds}), embed_keys(embeds)
    return video_document(item, {"request": request}), set()
