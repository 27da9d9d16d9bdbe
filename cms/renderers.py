from types import SimpleNamespace

import orjson
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer

NINJS_MEDIA_TYPE = "application/ninjs+json"


class ORJSONRenderer(JSONRenderer):
    """JSON rendered by orjson: several times faster than the standard library on our payloads.
    Serializers hand it plain dicts, lists, strings and numbers (datetimes already formatted)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


class NinjsRenderer(ORJSONRenderer):
    """IPTC ninjs documents under their own media type, for clients that ask for it by name
    (`Accept: application/ninjs+json`, or `?format=ninjs`). Views that offer it list it after
    ORJSONRenderer, so that anyone else, `*/*` included, gets the same JSON as `application/json`."""

    media_type = NINJS_MEDIA_TYPE
    format = "ninjs"


# What a view offering ninjs serves, in its order (cms.caching keys its responses by the choice).
JSON_OR_NINJS = (ORJSONRenderer(), NinjsRenderer())


def negotiated(accept: str, renderers) -> BaseRenderer | None:
    """The renderer DRF's content negotiation picks among `renderers` for this `Accept` header
    (None: not acceptable), worked out before any view runs."""
    request = SimpleNamespace(query_params={}, headers={"accept": accept})
    try:
        return DefaultContentNegotiation().select_renderer(request, renderers)[0]
    except NotAcceptable:
        return None
