"""What a frontend puts in the `<head>` of an article's or a video's page, ready to use: title,
description, canonical URL, robots, the share picture, Open Graph and X (Twitter) card tags, and
schema.org JSON-LD (NewsArticle, LiveBlogPosting or VideoObject, with a BreadcrumbList).

Built from the item's served representation (`data`: what its detail shows, so nothing hidden can
appear, a draft lead video included) and the publisher settings (SITE_NAME, PUBLISHER_LOGO_URL,
CONTENT_LANGUAGE, TWITTER_SITE)."""

from datetime import timedelta

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms.frontend import frontend_page, frontend_url
from cms.representation import iso

from .rights import rights_data

SHARE_WIDTH = 1200  # social cards and Google Discover want pictures at least this wide
ROBOTS = "index, follow, max-image-preview:large"  # large previews: Google Discover shows them


class SharePictureSerializer(serializers.Serializer):
    """The picture for social cards and search results: a copy at least 1,200 pixels wide if there is one."""

    url = serializers.URLField(help_text="Absolute URL of the file.")
    width = serializers.IntegerField(help_text="Pixels.")
    height = serializers.IntegerField(help_text="Pixels.")
    alt = serializers.CharField(help_text="The image's alt text.")


class MetaPropertySerializer(serializers.Serializer):
    """One `<meta property="..." content="...">` tag (Open Graph), in order."""

    property = serializers.CharField(help_text="e.g. `og:title`, `og:image:width`, `article:tag`.")
    content = serializers.CharField(help_text="The tag's content.")


class MetaNameSerializer(serializers.Serializer):
    """One `<meta name="..." content="...">` tag (X/Twitter card), in order."""

    name = serializers.CharField(help_text="e.g. `twitter:card`.")
    content = serializers.CharField(help_text="The tag's content.")


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonLdField(serializers.JSONField):
    """schema.org JSON-LD."""


class HeadSerializer(serializers.Serializer):
    """Everything for the page's `<head>`, with defaults filled in."""

    title = serializers.CharField(help_text="`<title>`: the SEO title, else the headline or title.")
    description = serializers.CharField(help_text="Meta description: the SEO description, else the summary.")
    canonical_url = serializers.URLField(
        help_text="`<link rel=canonical>`: where the original lives if elsewhere, else the frontend's page."
    )
    robots = serializers.CharField(help_text="Meta robots.")
    language = serializers.CharField(help_text="The content's language (BCP 47), for `<html lang>`.")
    picture = SharePictureSerializer(allow_null=True, help_text="The share picture; null when there is none.")
    open_graph = MetaPropertySerializer(many=True, help_text="Open Graph tags, in order.")
    twitter = MetaNameSerializer(many=True, help_text="X (Twitter) card tags, in order.")
    json_ld = JsonLdField(
        help_text='schema.org JSON-LD for `<script type="application/ld+json">` (escape `</` when '
        "embedding): `@graph` holds the NewsArticle, LiveBlogPosting or VideoObject and a BreadcrumbList."
    )


def share_picture(image: dict | None) -> dict | None:
    """The narrowest copy at least SHARE_WIDTH wide, else the widest there is (a served image)."""
    if image is None:
        return None
    copies = image["renditions"] or [
        {"url": image["url"], "width": image["width"], "height": image["height"]}
    ]
    wide = [copy for copy in copies if copy["width"] and copy["width"] >= SHARE_WIDTH]
    chosen = wide[0] if wide else copies[-1]
    if not chosen["url"]:
        return None
    return {
        "url": chosen["url"],
        "width": chosen["width"],
        "height": chosen["height"],
        "alt": image["alt_text"],
    }


def _picture_urls(image: dict | None) -> list[str]:
    """The picture for search engines: one copy, the share picture. Google asks for several aspect
    ratios, not several widths of one; the copies of an image are all of one ratio."""
    picture = share_picture(image)
    return [picture["url"]] if picture is not None else []


def _publisher() -> dict:
    publisher = {"@type": "NewsMediaOrganization", "name": settings.SITE_NAME, "url": frontend_url()}
    if settings.PUBLISHER_LOGO_URL:
        publisher["logo"] = {"@type": "ImageObject", "url": settings.PUBLISHER_LOGO_URL}
    return publisher


def _rights(item) -> dict:
    rights = rights_data(item)
    found = {"copyrightHolder": {"@type": "Organization", "name": rights["copyright_holder"]}}
    if rights["copyright_year"] is not None:
        found["copyrightYear"] = rights["copyright_year"]
    if rights["credit"]:
        found["creditText"] = rights["credit"]
    if rights["usage_terms"]:
        found["copyrightNotice"] = f"{rights['copyright_notice']}. {rights['usage_terms']}"
    else:
        found["copyrightNotice"] = rights["copyright_notice"]
    return found


def _authors(authors: list[dict]) -> list[dict]:
    return [
        {
            "@type": "Person",
            "name": author["name"],
            "url": frontend_page("articles.author", slug=author["slug"], pk=author["id"]),
        }
        for author in authors
    ]


def _breadcrumbs(section: dict | None, name: str, url: str) -> dict:
    trail = [(settings.SITE_NAME, frontend_url())]
    if section is not None:
        trail.append(
            (section["name"], frontend_page("topics.section", slug=section["slug"], pk=section["id"]))
        )
    trail.append((name, url))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": crumb, "item": link}
            for position, (crumb, link) in enumerate(trail, start=1)
        ],
    }


def iso_duration(seconds: int | None) -> str | None:
    """ISO 8601 duration, as schema.org wants it: PT1H2M3S."""
    if seconds is None:
        return None
    hours, rest = divmod(int(timedelta(seconds=seconds).total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{seconds}S"


def video_object(video: dict, url: str | None = None) -> dict:
    """A served video (its embed shape) as a schema.org VideoObject."""
    found = {
        "@type": "VideoObject",
        "name": video["title"],
        "description": video["description"] or video["title"],
        "thumbnailUrl": _picture_urls(video["thumbnail"]),
        "uploadDate": video["published_at"],
    }
    if url is not None:
        found["url"] = url
    if video["duration_seconds"] is not None:
        found["duration"] = iso_duration(video["duration_seconds"])
    if video["source_url"] and video["provider"] == "self_hosted":
        found["contentUrl"] = video["source_url"]
    if video["embed_url"]:
        found["embedUrl"] = video["embed_url"]
    if not found["thumbnailUrl"]:
        del found["thumbnailUrl"]
    return found


def _corrections(corrections: list[dict]) -> list[dict]:
    return [
        {"@type": "CorrectionComment", "text": entry["text"], "datePublished": entry["at"]}
        for entry in corrections
    ]


def _open_graph(kind: str, title: str, description: str, url: str, picture: dict | None, extra) -> list[dict]:
    tags = [
        ("og:type", kind),
        ("og:title", title),
        ("og:description", description),
        ("og:url", url),
        ("og:site_name", settings.SITE_NAME),
        ("og:locale", settings.CONTENT_LANGUAGE.replace("-", "_")),
    ]
    if picture is not None:
        tags += [
            ("og:image", picture["url"]),
            ("og:image:width", str(picture["width"])),
            ("og:image:height", str(picture["height"])),
            ("og:image:alt", picture["alt"]),
        ]
    tags += extra
    return [{"property": name, "content": content} for name, content in tags if content]


def _twitter(title: str, description: str, picture: dict | None) -> list[dict]:
    tags = [("twitter:card", "summary_large_image" if picture is not None else "summary")]
    if settings.TWITTER_SITE:
        tags.append(("twitter:site", settings.TWITTER_SITE))
    tags += [("twitter:title", title), ("twitter:description", description)]
    if picture is not None:
        tags += [("twitter:image", picture["url"]), ("twitter:image:alt", picture["alt"])]
    return [{"name": name, "content": content} for name, content in tags if content]


def _head(title, description, canonical, picture, open_graph, graph) -> dict:
    return {
        "title": title,
        "description": description,
        "canonical_url": canonical,
        "robots": ROBOTS,
        "language": settings.CONTENT_LANGUAGE,
        "picture": picture,
        "open_graph": open_graph,
        "twitter": _twitter(title, description, picture),
        "json_ld": {"@context": "https://schema.org", "@graph": graph},
    }


def article_head(article, data: dict) -> dict:
    """The head of an article page from its served detail `data` (and `data["live"]` for a live page)."""
    title = article.seo_title or article.headline
    description = article.seo_description or article.standfirst
    page = frontend_url(article)
    canonical = article.canonical_url or page
    picture = share_picture(data["hero_image"])
    live = data.get("live")
    node = {
        "@type": "LiveBlogPosting" if live else "NewsArticle",
        "@id": f"{page}#article",
        "mainEntityOfPage": canonical,
        "url": page,
        "headline": article.headline,
        "description": description,
        "datePublished": data["first_published_at"] or data["published_at"],
        "dateModified": data["updated_at"],
        "inLanguage": settings.CONTENT_LANGUAGE,
        "isAccessibleForFree": True,
        "author": _authors(data["authors"]),
        "publisher": _publisher(),
        **_rights(article),
    }
    if images := _picture_urls(data["hero_image"]):
        node["image"] = images
    if data["section"] is not None:
        node["articleSection"] = data["section"]["name"]
    if data["topics"]:
        node["keywords"] = [topic["name"] for topic in data["topics"]]
    videos = [data["lead_video"]] if data["lead_video"] else []
    videos += [block["video"] for block in data["body"] if block["type"] == "video"]
    if videos:
        node["video"] = [video_object(video) for video in videos]
    if data.get("corrections"):
        node["correction"] = _corrections(data["corrections"])
    if live:
        node.update(live_blog(live, page))
    extra = [
        ("article:published_time", node["datePublished"]),
        ("article:modified_time", data["updated_at"]),
        ("article:section", node.get("articleSection")),
        *(("article:tag", keyword) for keyword in node.get("keywords", ())),
        *(("article:author", author["url"]) for author in node["author"]),
    ]
    open_graph = _open_graph("article", title, description, page, picture, extra)
    return _head(
        title,
        description,
        canonical,
        picture,
        open_graph,
        [node, _breadcrumbs(data["section"], article.headline, page)],
    )


def live_blog(live: dict, page: str) -> dict:
    """A live page's LiveBlogPosting properties: coverage times and its posts as updates."""
    found = {}
    if live["coverage_start"]:
        found["coverageStartTime"] = live["coverage_start"]
    if live["coverage_end"]:
        found["coverageEndTime"] = live["coverage_end"]
    updates = {post["id"]: post for post in [*live["pinned"], *live["posts"]]}
    found["liveBlogUpdate"] = [
        {
            "@type": "BlogPosting",
            "@id": f"{page}#post-{post['id']}",
            "url": f"{page}#post-{post['id']}",
            "headline": post["title"] or first_words(post["text"]),
            "articleBody": post["text"],
            "datePublished": post["published_at"],
            "dateModified": post["updated_at"],
            **({"author": _authors([post["author"]])} if post["author"] else {}),
        }
        for post in sorted(updates.values(), key=lambda post: post["published_at"], reverse=True)
    ]
    return found


def first_words(text: str, limit: int = 110) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def video_head(video, data: dict) -> dict:
    """The head of a video page from its served detail `data`."""
    title = video.seo_title or video.title
    description = video.seo_description or video.description or video.title
    page = frontend_url(video)
    picture = share_picture(data["thumbnail"])
    node = {
        **video_object(data, page),
        "@id": f"{page}#video",
        "inLanguage": settings.CONTENT_LANGUAGE,
        "publisher": _publisher(),
        **_rights(video),
    }
    node["uploadDate"] = data["first_published_at"] or data["published_at"]
    if video.expires_at is not None:
        node["expires"] = iso(video.expires_at)
    if data.get("transcript"):
        node["transcript"] = data["transcript"]
    if data.get("corrections"):
        node["correction"] = _corrections(data["corrections"])
    if data["topics"]:
        node["keywords"] = [topic["name"] for topic in data["topics"]]
    extra = [
        ("og:video", data["embed_url"] or data["source_url"]),
        ("video:duration", str(data["duration_seconds"]) if data["duration_seconds"] is not None else None),
        ("video:release_date", node["uploadDate"]),
        *(("video:tag", keyword) for keyword in node.get("keywords", ())),
    ]
    open_graph = _open_graph("video.other", title, description, page, picture, extra)
    return _head(
        title,
        description,
        page,
        picture,
        open_graph,
        [node, _breadcrumbs(data["section"], video.title, page)],
    )
