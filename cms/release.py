"""The release: an identifier of the code that is running and of the settings that shape its
output. Every cached response and stored rendering is kept under it (cms.caching), so nothing
rendered by other code is served after a deploy, whatever file changed."""

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

# What a release is made of: code, templates and the pinned libraries; not tests or tooling.
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".xml", ".json", ".css", ".js")
SKIPPED_DIRECTORIES = {"tests", "bench", "media", "staticfiles", "node_modules", "__pycache__", "migrations"}


def source_files(root: Path) -> list[Path]:
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if not name.startswith(".") and name not in SKIPPED_DIRECTORIES
        )
        found += [Path(directory, name) for name in sorted(files) if name.endswith(SOURCE_SUFFIXES)]
    return found


def source_release(root: Path) -> str:
    """A digest of every source file under `root` (names and contents): a deploy that changes any
    of them is a new release."""
    digest = hashlib.blake2b(digest_size=8)
    for path in source_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def configured_release(code: str, configuration: Iterable[str]) -> str:
    """The release as served: the code's, and the settings that shape what is rendered (the
    frontend's URLs, the site's name). Changing one of them is a new release too."""
    digest = hashlib.blake2b("\0".join(configuration).encode(), digest_size=4).hexdigest()
    return f"{code}-{digest}"
