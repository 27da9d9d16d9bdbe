"""Small helpers for serializers that build their JSON by hand (the hot paths): one spelling
of timestamps and of absolute URLs for the whole API."""

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as DRF's DateTimeField writes it with our settings."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


ABSOLUTE_PREFIX = "_absolute_prefix"  # context key: scheme and host, worked out once per response


def absolute(context: dict, path: str) -> str:
    """`path` (e.g. a media URL) as an absolute URL for the request being answered. The scheme
    and host are worked out once per response and kept in the serializer context."""
    prefix = context.get(ABSOLUTE_PREFIX)
    if prefix is None:
        request = context.get("request")
        prefix = request.build_absolute_uri("/")[:-1] if request is not None else ""
        context[ABSOLUTE_PREFIX] = prefix
    return prefix + path if path.startswith("/") else path
