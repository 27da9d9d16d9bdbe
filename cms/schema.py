"""OpenAPI generation: every operation documents the problem responses it can give."""

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

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
INVALID_QUERY = documented_problem(
    400,
    "Invalid query parameter",
    "One or more query parameters are invalid.",
    code="invalid",
    errors=[{"detail": "Must be a whole number of at least 1, not 'abc'.", "parameter": "page"}],
)


class AutoSchema(openapi.AutoSchema):
    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        for parameter in parameters:
            if parameter["name"] == "slug" and not parameter.get("description") and model is not None:
                parameter["description"] = f"Slug of the {model._meta.verbose_name}."
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET":
            if self._is_list_view() or self.get_filter_backends():
                responses.setdefault("400", self._problem(INVALID_QUERY, "400", direction))
            responses.setdefault("404", self._problem(NOT_FOUND, "404", direction))
        return responses

    def _problem(self, response, status, direction):
        return self._get_response_for_code(response, status, [PROBLEM_CONTENT_TYPE], direction)
