"""The OpenAPI 3.1 `webhooks` section: each event type, its payload and an example, as endpoints
receive them (a drf-spectacular postprocessing hook, SPECTACULAR_SETTINGS)."""

from .events import EVENT_TYPES

SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The event's id: the same in every retry, redelivery and replay. Deduplicate by it.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Seconds since the epoch when this attempt was signed.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "`v1,<base64 HMAC-SHA256>` (Standard Webhooks), one per secret in use, spaced.",
    },
]

ITEM = {
    "type": "object",
    "required": ["type", "id", "slug", "item"],
    "properties": {
        "type": {"type": "string", "description": "topic, section or author."},
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "item": {
            "type": ["object", "null"],
            "description": "As the public API lists it; null when deleted (or, a topic, hidden).",
        },
    },
}
PURGE = {
    "type": "object",
    "required": ["keys", "urls"],
    "properties": {
        "keys": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Surrogate keys to purge (as in `Surrogate-Key` and `Cache-Tag`).",
        },
        "urls": {
            "type": "object",
            "properties": {
                "api": {"type": "array", "items": {"type": "string", "format": "uri"}},
                "frontend": {"type": "array", "items": {"type": "string", "format": "uri"}},
            },
            "description": "The API and frontend pages that show what changed: revalidate them.",
        },
    },
}
EDITION = {
    "type": "object",
    "required": ["type", "id", "newsletter", "subject", "sent_at", "url"],
    "properties": {
        "type": {"const": "edition"},
        "id": {"type": "integer"},
        "newsletter": {"type": "string", "description": "The newsletter's slug."},
        "subject": {"type": "string"},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
        "url": {"type": "string", "format": "uri", "description": "The edition in the public archive."},
    },
}


def _content_example(kind: str, live: bool) -> dict:
    slug = "troops-cross-border" if kind == "article" else "carrier-jets-land"
    title = "Troops cross the border" if kind == "article" else "Carrier jets land"
    return {
        "change": "upsert" if live else "delete",
        "type": kind,
        "id": 12,
        "slug": slug,
        "at": "2026-12-07T08:00:00Z",
        "url": f"https://api.example.com/api/v1/{kind}s/{slug}/" if live else None,
        "item": {
            "type": kind,
            "id": 12,
            "slug": slug,
            "title": title,
            "summary": "A first wave moved at dawn.",
            "thumbnail": None,
            "published_at": "2026-12-07T08:00:00Z",
        }
        if live
        else None,
    }


TAXONOMY_EXAMPLES = {
    "topic": {"id": 3, "name": "Kursk", "slug": "kursk", "description": "", "parent": None},
    "section": {"id": 1, "name": "News", "slug": "news", "description": "", "position": 0},
    "author": {"id": 7, "name": "Jane Doe", "slug": "jane-doe", "role": "Defence correspondent", "bio": ""},
}
EXAMPLES = {
    "edition": {
        "type": "edition",
        "id": 5,
        "newsletter": "morning-briefing",
        "subject": "Troops cross the border",
        "sent_at": "2026-12-07T07:00:00Z",
        "url": "https://api.example.com/api/v1/newsletters/morning-briefing/editions/5/",
    },
    "purge": {
        "keys": ["article-12", "articles", "topic-3"],
        "urls": {
            "api": ["https://api.example.com/api/v1/articles/troops-cross-border/"],
            "frontend": ["https://www.example.com/articles/troops-cross-border", "https://www.example.com/"],
        },
    },
}


def _data_shape(event_type: str) -> tuple[dict, dict]:
    kind, _, what = event_type.partition(".")
    if kind in ("article", "video"):
        return {"$ref": "#/components/schemas/Change"}, _content_example(
            kind, what in ("published", "updated")
        )
    if kind == "edition":
        return EDITION, EXAMPLES["edition"]
    if kind == "cache":
        return PURGE, EXAMPLES["purge"]
    item = None if what == "deleted" else TAXONOMY_EXAMPLES[kind]
    return ITEM, {
        "type": kind,
        "id": TAXONOMY_EXAMPLES[kind]["id"],
        "slug": TAXONOMY_EXAMPLES[kind]["slug"],
        "item": item,
    }


DESCRIPTIONS = {
    "published": "became publicly visible (published now, or its scheduled time came)",
    "updated": "changed in a way readers see, while visible",
    "unpublished": "stopped being visible (unpublished, archived or expired); it still exists",
    "deleted": "was deleted",
    "created": "was created",
    "sent": "was sent to its subscribers and is in the public archive",
    "purge": "changed what these keys and pages show: purge or revalidate them",
}


def add_webhooks(result, generator, request, public):
    webhooks = {}
    for event_type in EVENT_TYPES:
        kind, _, what = event_type.partition(".")
        data, example = _data_shape(event_type)
        body = {
            "type": "object",
            "required": ["id", "type", "timestamp", "data"],
            "properties": {
                "id": {"type": "string", "description": "The event's id (also `webhook-id`)."},
                "type": {"const": event_type},
                "timestamp": {"type": "string", "format": "date-time", "description": "When it happened."},
                "data": data,
            },
        }
        webhooks[event_type] = {
            "post": {
                "operationId": f"webhook_{kind}_{what}",
                "summary": f"{event_type}: the {kind} {DESCRIPTIONS[what]}",
                "description": "POSTed to each endpoint that wants it, signed (Standard Webhooks). Answer "
                "2xx within WEBHOOK_TIMEOUT_SECONDS; anything else is retried for about a day.",
                "parameters": SIGNATURE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": body,
                            "example": {
                                "id": "msg_2b6f0c8e1d9a4b7c8e2f0a1b3c4d5e6f",
                                "type": event_type,
                                "timestamp": "2026-12-07T08:00:00Z",
                                "data": example,
                            },
                        }
                    },
                },
                "responses": {"2XX": {"description": "Received: not sent again."}},
            }
        }
    result["webhooks"] = webhooks
    return result
