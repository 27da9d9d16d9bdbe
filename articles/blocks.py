"""The article body: an ordered list of typed blocks, stored as JSON exactly as the API serves it
(apart from image and video blocks, which hold an id that the API resolves to public fields)."""

from django.core.exceptions import ValidationError

HEADING_LEVELS = (2, 3, 4)

# type -> (required keys and their types, optional keys and their types)
BLOCK_TYPES: dict[str, tuple[dict[str, type], dict[str, type]]] = {
    "paragraph": ({"text": str}, {}),
    "heading": ({"text": str, "level": int}, {}),
    "quote": ({"text": str}, {"attribution": str}),
    "image": ({"image": int}, {"caption": str}),
    "video": ({"video": int}, {"caption": str}),
}


def _block_errors(block) -> list[str]:
    if not isinstance(block, dict):
        return ["must be an object"]
    block_type = block.get("type")
    if block_type not in BLOCK_TYPES:
        return [f"unknown type {block_type!r}; expected one of {', '.join(BLOCK_TYPES)}"]
    required, optional = BLOCK_TYPES[block_type]
    errors = []
    for key, expected in required.items():
        value = block.get(key)
        # bool is an int in Python; never a valid id or level.
        if not isinstance(value, expected) or isinstance(value, bool):
            errors.append(f"{key!r} is required and must be a {expected.__name__}")
        elif expected is str and not value.strip():
            errors.append(f"{key!r} must not be empty")
    for key, expected in optional.items():
        if key in block and not isinstance(block[key], expected):
            errors.append(f"{key!r} must be a {expected.__name__}")
    unknown = set(block) - set(required) - set(optional) - {"type"}
    if unknown:
        errors.append(f"unknown keys: {', '.join(sorted(unknown))}")
    if block_type == "heading" and block.get("level") not in HEADING_LEVELS:
        errors.append(f"'level' must be one of {HEADING_LEVELS}")
    return errors


def validate_body(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("The body must be a list of blocks.")
    messages = [
        f"Block {index + 1} ({block.get('type', '?') if isinstance(block, dict) else '?'}): {error}"
        for index, block in enumerate(value)
        for error in _block_errors(block)
    ]
    if messages:
        raise ValidationError(messages)


def paragraphs(texts: list[str]) -> list[dict]:
    """Body blocks for plain paragraphs of text."""
    return [{"type": "paragraph", "text": text} for text in texts]


def referenced_ids(bodies, block_type: str) -> set[int]:
    """Ids of the images or videos embedded in the given bodies."""
    return {block[block_type] for body in bodies for block in body if block["type"] == block_type}
