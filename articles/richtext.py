"""The article body as editors write it (HTML from the rich-text editor) and as the API serves it
(typed blocks). HTML is sanitized with an allowlist on the way in; blocks are derived from the
sanitized HTML when the article is saved, so no request parses HTML."""

from html import escape

import nh3
from bs4 import BeautifulSoup, NavigableString, Tag

from cms import text

from .blocks import HEADING_LEVELS

HEADING_TAGS = dict(zip(("h2", "h3", "h4"), HEADING_LEVELS, strict=True))
MARK_TAGS = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic"}
EMBED_KINDS = {"image", "video"}

# What the admin's rich-text editor (django-prose-editor) offers. ContentEmbed is ours:
# articles/static/articles/content-embed.js, registered in settings.DJANGO_PROSE_EDITOR_EXTENSIONS.
EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "Heading": {"levels": list(HEADING_LEVELS)},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "ContentEmbed": True,
    "History": True,
}


def is_id(value: str) -> bool:
    """ASCII digits only (str.isdigit() also accepts characters such as "²" that int() refuses), as
    many as a database key holds."""
    return value.isascii() and value.isdigit() and len(value) <= 18


_cleaner = nh3.Cleaner(
    tags={"p", "br", "strong", "b", "em", "i", "a", *HEADING_TAGS, "ul", "ol", "li", "blockquote", "figure"},
    attributes={"a": {"href", "title"}, "figure": {"data-id", "data-caption", "data-label"}},
    tag_attribute_values={"figure": {"data-embed": EMBED_KINDS}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
    strip_comments=True,
    attribute_filter=lambda tag, name, value: (
        None if tag == "figure" and name == "data-id" and not is_id(value) else value
    ),
)


def sanitize_html(html: str) -> str:
    """Only the tags, attributes and URL schemes the editor can produce survive; scripts, styles,
    event handlers and `javascript:` URLs never reach storage; nor control characters (cms.text)."""
    return _cleaner.clean(text.clean(html or "")).strip()


# --- HTML -> blocks ------------------------------------------------------------------------
MAX_NESTING = 50  # inline tags within each other; deeper, the text is kept without more marks


def _spans(node: Tag, marks: tuple[str, ...] = (), href: str | None = None, depth: int = 0) -> list[dict]:
    if depth > MAX_NESTING:
        text = node.get_text()
        return (
            [{"text": text, "marks": sorted(set(marks)), **({"href": href} if href else {})}] if text else []
        )
    spans: list[dict] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if str(child):
                spans.append(
                    {"text": str(child), "marks": sorted(set(marks)), **({"href": href} if href else {})}
                )
        elif child.name == "br":
            spans.append({"text": "\n", "marks": [], **({"href": href} if href else {})})
        elif child.name == "a":
            spans.extend(_spans(child, marks, child.get("href") or href, depth + 1))
        elif child.name in MARK_TAGS:
            spans.extend(_spans(child, (*marks, MARK_TAGS[child.name]), href, depth + 1))
        else:
            spans.extend(_spans(child, marks, href, depth + 1))
    return _merged(spans)


def _merged(spans: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for span in spans:
        if merged and {**merged[-1], "text": ""} == {**span, "text": ""}:
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + span["text"]}
        else:
            merged.append(span)
    return merged


def _inline(node: Tag) -> dict | None:
    """Text, inline HTML and marked-up spans of a block's content; None when it has no text."""
    spans = _spans(node)
    text = "".join(span["text"] for span in spans).strip()
    if not text:
        return None
    html = node.decode_contents().strip()  # text escaped again: `&lt;` must not come back as `<`
    return {"text": text, "html": html, "spans": spans}


def _paragraphs_of(node: Tag) -> Tag:
    """Blockquotes and list items wrap their text in <p>s; join those with line breaks."""
    paragraphs = node.find_all("p", recursive=False)
    if not paragraphs:
        return node
    joined = BeautifulSoup("<div></div>", "html.parser").div
    for index, paragraph in enumerate(paragraphs):
        if index:
            joined.append(BeautifulSoup("<br>", "html.parser").br)
        for child in list(paragraph.children):
            joined.append(child)
    return joined


def _embed(node: Tag) -> dict | None:
    kind, object_id = node.get("data-embed"), node.get("data-id", "")
    if kind not in EMBED_KINDS or not is_id(object_id):
        return None
    block = {"type": kind, kind: int(object_id)}
    if caption := (node.get("data-caption") or "").strip():
        block["caption"] = caption
    return block


def html_to_blocks(html: str) -> list[dict]:
    """Blocks for sanitized HTML: paragraph, heading, quote, list, image and video."""
    soup = BeautifulSoup(html or "", "html.parser")
    blocks: list[dict] = []
    loose = BeautifulSoup("<p></p>", "html.parser").p  # inline content outside any block

    def flush_loose():
        nonlocal loose
        if content := _inline(loose):
            blocks.append({"type": "paragraph", **content})
        loose = BeautifulSoup("<p></p>", "html.parser").p

    for node in list(soup.children):
        name = node.name if isinstance(node, Tag) else None
        if name in (None, "br", "a", *MARK_TAGS):
            loose.append(node)
            continue
        flush_loose()
        if name == "p" and (content := _inline(node)):
            blocks.append({"type": "paragraph", **content})
        elif name in HEADING_TAGS and (content := _inline(node)):
            blocks.append({"type": "heading", "level": HEADING_TAGS[name], **content})
        elif name == "blockquote" and (content := _inline(_paragraphs_of(node))):
            blocks.append({"type": "quote", **content})
        elif name in ("ul", "ol"):
            items = [_inline(_paragraphs_of(item)) for item in node.find_all("li", recursive=False)]
            if items := [item for item in items if item]:
                blocks.append(
                    {"type": "list", "style": "ordered" if name == "ol" else "bullet", "items": items}
                )
        elif name == "figure" and (embed := _embed(node)):
            blocks.append(embed)
    flush_loose()
    return blocks


def paragraphs_html(texts: list[str]) -> str:
    """Editor HTML for plain paragraphs of text."""
    return sanitize_html("".join(f"<p>{escape(text)}</p>" for text in texts))


# --- served blocks -> HTML -----------------------------------------------------------------
def blocks_to_html(blocks: list[dict]) -> str:
    """HTML for clients that want it, from blocks as served (embeds resolved, hidden ones gone).
    Inline HTML was sanitized on the way in; everything else is escaped here."""
    return "".join(_block_html(block) for block in blocks)


def _figcaption(caption: str) -> str:
    return f"<figcaption>{escape(caption)}</figcaption>" if caption else ""


def _block_html(block: dict) -> str:
    kind = block["type"]
    if kind == "paragraph":
        return f"<p>{block['html']}</p>"
    if kind == "heading":
        return f"<h{block['level']}>{block['html']}</h{block['level']}>"
    if kind == "quote":
        return f"<blockquote><p>{block['html']}</p></blockquote>"
    if kind == "list":
        tag = "ol" if block["style"] == "ordered" else "ul"
        items = "".join(f"<li>{item['html']}</li>" for item in block["items"])
        return f"<{tag}>{items}</{tag}>"
    if kind == "image":
        image = block["image"]
        return (
            f'<figure><img src="{escape(image["url"])}" alt="{escape(image["alt_text"])}" '
            f'width="{image["width"]}" height="{image["height"]}">{_figcaption(block["caption"])}</figure>'
        )
    if kind == "video":
        video = block["video"]
        if video["embed_url"]:
            player = (
                f'<iframe src="{escape(video["embed_url"])}" title="{escape(video["title"])}" '
                'loading="lazy" allowfullscreen></iframe>'
            )
        else:
            player = f'<video src="{escape(video["source_url"])}" controls preload="metadata"></video>'
        return (
            f'<figure data-video="{escape(video["slug"])}">{player}{_figcaption(block["caption"])}</figure>'
        )
    return ""


# --- blocks sent by a client -> editor HTML ---------------------------------------------------
class BlocksError(ValueError):
    """Blocks that are not a body: `index` is the block's position (None: the list itself)."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


def _embedded_id(block: dict, kind: str) -> int:
    """An embed's item, by id or as the object GET serves with its id."""
    value = block.get(kind)
    value = value.get("id") if isinstance(value, dict) else value
    if type(value) is not int or not 1 <= value < 10**18:
        raise ValueError(f"A {kind} block names its {kind} by id: an integer, or an object with `id`.")
    return value


def editor_html(blocks) -> str:
    """Editor HTML for a body sent as blocks, in the shape GET serves them (an embed's item as the
    object served, or just its id): paragraphs, headings, quotes and lists by their `html`, images
    and videos by their id and `caption`. The HTML is sanitized when the article is saved, and
    the blocks derived from it again."""
    if not isinstance(blocks, list):
        raise BlocksError("A body is a list of blocks.")
    parts = []
    for index, block in enumerate(blocks):
        try:
            parts.append(_editor_block(block))
        except (ValueError, KeyError, TypeError) as error:
            raise BlocksError(
                str(error) if isinstance(error, ValueError) else "Not a block.", index
            ) from None
    return "".join(parts)


def _inline_html(block: dict) -> str:
    html = block["html"]
    if not isinstance(html, str) or not html.strip():
        raise ValueError("A text block needs its `html`.")
    return html


def _editor_block(block: dict) -> str:
    kind = block["type"]
    if kind == "paragraph":
        return f"<p>{_inline_html(block)}</p>"
    if kind == "heading":
        level = block["level"]
        tag = next((tag for tag, served in HEADING_TAGS.items() if served == level), None)
        if tag is None:
            raise ValueError(f"A heading's level is one of {list(HEADING_TAGS.values())}.")
        return f"<{tag}>{_inline_html(block)}</{tag}>"
    if kind == "quote":
        return f"<blockquote><p>{_inline_html(block)}</p></blockquote>"
    if kind == "list":
        if block.get("style", "bullet") not in ("bullet", "ordered") or not block["items"]:
            raise ValueError("A list has a `style` (bullet or ordered) and `items`, each with its `html`.")
        tag = "ol" if block.get("style") == "ordered" else "ul"
        return f"<{tag}>{''.join(f'<li>{_inline_html(item)}</li>' for item in block['items'])}</{tag}>"
    if kind in EMBED_KINDS:
        caption = block.get("caption") or ""
        if not isinstance(caption, str):
            raise ValueError("A caption is text.")
        return (
            f'<figure data-embed="{kind}" data-id="{_embedded_id(block, kind)}" '
            f'data-caption="{escape(caption, quote=True)}"></figure>'
        )
    raise ValueError(f"Unknown block type {kind!r}: paragraph, heading, quote, list, image or video.")
