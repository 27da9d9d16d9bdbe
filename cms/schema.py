"""OpenAPI generation: every operation documents the problem responses it can give."""

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from .caching import CACHED_PATH, UNCACHED_PATH
from .exceptions import PROBLEM_CONTENT_TYPE, ProblemSerializer, problem


def documented_problem(status: int, description: str, detail: str, **extra) -> OpenApiResponse:
    """An error response for the schema: the problem-details shape with an example."""
    return OpenApiResponse(
        ProblemSerializer,
        description=description,
        examples=[OpenApiExample(description, value=problem(status, detail, **extra), status_codes=[status])],
    )


NOT_FOUND = documented_problem(
    404, "Not found", "No item has this slug, or it is not published.", code="not_found"
)
UNAUTHORIZED = documented_problem(401, "Bad credentials", "Unknown or revoked API key.")
FORBIDDEN = documented_problem(
    403, "Not allowed with these credentials", "This API key lacks the scope content:read."
)
THROTTLED = documented_problem(
    429,
    "Past the quota (a key's answers say where it stands: RateLimit, RateLimit-Policy)",
    "Request was throttled. Expected available in 42 seconds.",
)
INVALID_QUERY = documented_problem(
    400,
    "Invalid query parameter",
    "One or more query parameters are invalid.",
    code="invalid",
    errors=[{"detail": "Must be a whole number of at least 1, not 'abc'.", "parameter": "page"}],
)


def _header(description: str) -> dict:
    return {"description": description, "schema": {"type": "string"}}


# cms/caching.py: what every public GET answers with, and its conditional form.
CACHE_HEADERS = {
    "ETag": _header("Strong validator of the body: send it back in `If-None-Match` to revalidate."),
    "Last-Modified": _header("When the server first served this body (for `If-Modified-Since`)."),
    "Cache-Control": _header(
        "How long the response may be reused: for anonymous requests `public, max-age=60, "
        "stale-while-revalidate=300` by default, never past the next scheduled publication or "
        "expiry, unless the endpoint says otherwise; `private, no-store` with credentials."
    ),
    "Surrogate-Key": _header(
        "Space-separated keys of the objects in the response, e.g. `article-12 topic-3 articles`, "
        "for purging a CDN precisely; `Cache-Tag` has them comma-separated. Absent where the "
        "server does not name the contents (change sync)."
    ),
}
CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The `ETag` of a copy you hold: 304 with no body while it is still current.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The `Last-Modified` of a copy you hold: 304 with no body if unchanged since. "
        "Ignored when `If-None-Match` is sent.",
    ),
]


def blank_or_valid_strings(result, generator, request, public):
    """drf-spectacular writes an optional URL or email as `oneOf [format, maxLength 0]`; an empty
    string matches both, which `oneOf` forbids. `anyOf` says what is meant."""

    def visit(node):
        if isinstance(node, dict):
            options = node.get("oneOf")
            if isinstance(options, list) and {"type": "string", "maxLength": 0} in options:
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result)
    return result


def field_selection_parameters(view) -> list[OpenApiParameter]:
    fields = view.selectable_fields()
    parameters = [
        OpenApiParameter(
            "fields",
            OpenApiTypes.STR,
            description="Comma-separated names of the fields to return for each item, e.g. "
            f"`{','.join(fields[:3])}`; the others are left out. One of: {', '.join(fields)}.",
        )
    ]
    if view.expandable:
        parameters.append(
            OpenApiParameter(
                "expand",
                {"type": "array", "items": {"type": "string", "enum": view.expandable}},
                style="form",
                explode=False,
                description="Comma-separated relations to embed in full rather than as references, "
                f"at no extra requests: {', '.join(view.expandable)}.",
            )
        )
    return parameters


class AutoSchema(openapi.AutoSchema):
    def get_auth(self):
        # Every route is open to anonymous clients unless its view says otherwise.
        auths = [auth for auth in super().get_auth() if auth]
        return auths if getattr(self.view, "requires_credentials", False) else [*auths, {}]

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        for parameter in parameters:
            if parameter["name"] in ("slug", "id") and not parameter.get("description") and model is not None:
                parameter["description"] = (
                    f"{parameter['name'].capitalize()} of the {model._meta.verbose_name}."
                )
        return parameters

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if (
            hasattr(self.view, "selectable_fields")
            and self.method == "GET"
            and not getattr(self.view, "writing", False)
        ):
            parameters = [*parameters, *field_selection_parameters(self.view)]
        if self._is_cached():
            parameters = [*parameters, *CONDITIONAL_PARAMETERS]
        return parameters

    def _is_cached(self) -> bool:
        return (
            self.method == "GET"
            and self.path.startswith(CACHED_PATH)
            and not self.path.startswith(UNCACHED_PATH)
            and not getattr(self.view, "requires_credentials", False)  # private answers
        )

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET":
            if (
                self._is_list_view()
                or self.get_filter_backends()
                or getattr(self.view, "query_parameters", ())
            ):
                responses.setdefault("400", self._problem(INVALID_QUERY, "400", direction))
            responses.setdefault("404", self._problem(NOT_FOUND, "404", direction))
        if self.view.get_authenticators():  # credentials: a bad one is a 401, one not allowed a 403
            responses.setdefault("401", self._problem(UNAUTHORIZED, "401", direction))
            responses.setdefault("403", self._problem(FORBIDDEN, "403", direction))
        if self.view.get_throttles():
            responses.setdefault("429", self._problem(THROTTLED, "429", direction))
        if self._is_cached() and "200" in responses:
            responses["200"]["headers"] = {**responses["200"].get("headers", {}), **CACHE_HEADERS}
            responses["304"] = {
                "description": "Not Modified: the copy named by `If-None-Match` (or `If-Modified-Since`) "
                "is current. No body.",
                "headers": CACHE_HEADERS,
            }
        return responses

    def _problem(self, response, status, direction):
        return self._get_response_for_code(response, status, [PROBLEM_CONTENT_TYPE], direction)
