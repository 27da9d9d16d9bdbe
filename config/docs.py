"""The schema and its documentation pages, answering every error in the error format.

drf-spectacular's views render with their own renderers (OpenAPI YAML or JSON, HTML templates),
which cannot render an error document: an OPTIONS request or another method was a 500. Their
`version` parameter went into a response header as given (a CR/LF there was a 500 too)."""

from django.http import JsonResponse
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cms.exceptions import PROBLEM_CONTENT_TYPE, READ_METHODS, allowed


class ProblemErrorsMixin:
    http_method_names = [method.lower() for method in READ_METHODS]

    def options(self, request, *args, **kwargs):
        return allowed(READ_METHODS)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and isinstance(getattr(response, "data", None), dict):
            problem = JsonResponse(
                response.data, status=response.status_code, content_type=PROBLEM_CONTENT_TYPE
            )
            for header in ("Allow", "Retry-After", "WWW-Authenticate", "RateLimit", "RateLimit-Policy"):
                if response.has_header(header):
                    problem[header] = response[header]
            response = problem
        return super().finalize_response(request, response, *args, **kwargs)


# Per process: the document as built, by version, scheme and host (hosts are ALLOWED_HOSTS). It
# changes only with the code; building it takes a few hundred milliseconds.
_SCHEMAS: dict[tuple, dict] = {}


class SchemaView(ProblemErrorsMixin, SpectacularAPIView):
    """The OpenAPI document, built once per process and served from memory, in English: a `lang`
    parameter is not read (the descriptions are written in English, and building one document per
    language asked for let anyone make every request a new build)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        version = request.query_params.get("version")
        if version is not None and version not in (api_settings.ALLOWED_VERSIONS or ()):
            raise ValidationError({"version": ["The API has no other versions than the one in its path."]})
        with patched_settings(self.custom_settings):
            return self._get_schema_response(request)

    def _get_schema_response(self, request):
        key = (request.query_params.get("version"), request.scheme, request.get_host())
        if key not in _SCHEMAS:
            _SCHEMAS[key] = super()._get_schema_response(request).data
        version = key[0]
        filename = self._get_filename(request, version)
        return Response(data=_SCHEMAS[key], headers={"Content-Disposition": f'inline; filename="{filename}"'})


class SwaggerView(ProblemErrorsMixin, SpectacularSwaggerView):
    pass


class RedocView(ProblemErrorsMixin, SpectacularRedocView):
    pass
