"""The schema and its documentation pages, answering every error in the error format.

drf-spectacular's views render with their own renderers (OpenAPI YAML or JSON, HTML templates),
which cannot render an error document: an OPTIONS request or another method was a 500. Their
`version` parameter went into a response header as given (a CR/LF there was a 500 too)."""

import re

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import ValidationError

from cms.exceptions import PROBLEM_CONTENT_TYPE, READ_METHODS, allowed

VERSION = re.compile(r"[\w.-]{1,32}")


class ProblemErrorsMixin:
    http_method_names = [method.lower() for method in READ_METHODS]

    def options(self, request, *args, **kwargs):
        return allowed(READ_METHODS)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and isinstance(getattr(response, "data", None), dict):
            problem = JsonResponse(
                response.data, status=response.status_code, content_type=PROBLEM_CONTENT_TYPE
            )
            for header in ("Allow", "Retry-After"):
                if response.has_header(header):
                    problem[header] = response[header]
            response = problem
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(ProblemErrorsMixin, SpectacularAPIView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        version = request.query_params.get("version")
        if version is not None and not VERSION.fullmatch(version):
            raise ValidationError({"version": ["Letters, digits, `.`, `-` and `_`, at most 32."]})
        return super().get(request, *args, **kwargs)


class SwaggerView(ProblemErrorsMixin, SpectacularSwaggerView):
    pass


class RedocView(ProblemErrorsMixin, SpectacularRedocView):
    pass
