"""What a video's URLs point at, for the formats that must say (ninjs renditions, the video
sitemap): its source is a media file (of which type), a stream manifest, or a page at a provider."""

import mimetypes
import posixpath
from urllib.parse import urlsplit

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
    """Whether `source_url` is the video itself (a file or a stream), not a page about it: a
    self-hosted video's always is, whatever its name; another's when its name says so."""
    if not video.source_url or video.provider in PAGE_PROVIDERS:
        return False
    kind = source_type(video)
    return video.provider == Video.Provider.SELF_HOSTED or (kind is not None and kind != PAGE)
