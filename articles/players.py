"""What a video's URLs point at, for the formats that must say (ninjs renditions, the video
sitemap): its source is a media file (of which type), a stream manifest, or a page at a provider."""

import mimetypes
import posixpath
from urllib.parse import urlsplit

from django.db.models import Q

from .models import Video

PAGE = "text/html"  # a provider's page, and every embeddable player
# Stream manifests: not every system's mimetypes table knows them.
MANIFESTS = {".m3u8": "application/vnd.apple.mpegurl", ".mpd": "application/dash+xml"}
# Providers whose source URL is the video's page there, never its file.
PAGE_PROVIDERS = {Video.Provider.YOUTUBE, Video.Provider.VIMEO}


def source_type(video: Video) -> str | None:
    """The media type of the video's `source_url`: `text/html` for a page at YouTube or Vimeo,
    the file's or manifest's type when its name says (`video/mp4`), else None (unknown, or none)."""
    if not video.source_url:
        return None
    if video.provider in PAGE_PROVIDERS:
        return PAGE
    extension = posixpath.splitext(urlsplit(video.source_url).path)[1].lower()
    if extension in MANIFESTS:
        return MANIFESTS[extension]
    guessed = mimetypes.guess_type(f"video{extension}")[0]
    return guessed if guessed is not None and guessed.startswith("video/") else None


def source_is_media(video: Video) -> bool:
    """Whether `source_url` is the video itself (a file or a stream), not a page about it: it is
    but at YouTube and Vimeo, whatever its name says. The same rule as `PLAYABLE`."""
    return bool(video.source_url) and video.provider not in PAGE_PROVIDERS


# Videos that can be played from their URLs alone: with an embeddable player, or a media source.
PLAYABLE = ~Q(embed_url="") | (~Q(source_url="") & ~Q(provider__in=sorted(PAGE_PROVIDERS)))
