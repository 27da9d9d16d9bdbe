"""Helpers for the body blocks that `articles.richtext` derives from the editor's HTML."""

HEADING_LEVELS = (2, 3, 4)


def referenced_ids(bodies, block_type: str) -> set[int]:
    """Ids of the images or videos embedded in the given bodies."""
    return {block[block_type] for body in bodies for block in body if block["type"] == block_type}


def plain_text(blocks) -> str:
    """The words of the body, one text block (or list item) a line: what search reads."""
    lines = []
    for block in blocks:
        if "text" in block:
            lines.append(block["text"])
        lines += [item["text"] for item in block.get("items", ())]
    return "\n".join(lines)
