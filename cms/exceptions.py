"""The one error format: RFC 9457 problem details, for every error the project answers with,
whether DRF raised it (validation, 404, 405, ...) or Django did (unknown URL, server error)."""

import functools
import logging
import sys
import time
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.db.backends.signals import connection_created
from django.http import Http404, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(status: int, detail: str = "", *, code: str = "", errors: list | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return body


def _flatten(detail, location: str, path: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {detail, pointer|parameter}."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _flatten(value, location, f"{path}/{key}" if key != "non_field_errors" else path)
        ]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [error for item in detail for error in _flatten(item, location, path)]
        return [
            error
            for index, item in enumerate(detail)
            for error in _flatten(item, location, f"{path}/{index}")
        ]
    if location == "parameter":
        return [{"detail": str(detail), "parameter": path.lstrip("/")}]
    return [{"detail": str(detail), "pointer": f"#{path}"}]


class ContentTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than the {limit:,} bytes allowed.")


def problem_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = ContentTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 answers with a problem document

    if isinstance(exc, exceptions.ValidationError):
        request = context.get("request")
        in_query = request is None or request.method in ("GET", "HEAD", "OPTIONS")
        errors = _flatten(exc.detail, "parameter" if in_query else "pointer")
        detail = "One or more query parameters are invalid." if in_query else "The request body is invalid."
        response.data = problem(response.status_code, detail, code="invalid", errors=errors)
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = problem(response.status_code, detail, code=code)
    renderer = getattr(context.get("request"), "accepted_renderer", None)
    if getattr(renderer, "format", None) != "api":  # DEBUG's browsable API shows it as its HTML page
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(status: int, detail: str = "", *, code: str = "") -> JsonResponse:
    return JsonResponse(problem(status, detail, code=code), status=status, content_type=PROBLEM_CONTENT_TYPE)


# Django's own error views (handler400/403/404/500 in config/urls.py).
def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # read before a view: a middleware's
        return problem_response(413, str(ContentTooLarge().detail), code="too_large")
    return problem_response(400, "The request could not be understood.", code="bad_request")


def permission_denied(request, exception=None):
    return problem_response(
        403, "You do not have permission to perform this action.", code="permission_denied"
    )


def not_found(request, exception=None):
    return problem_response(404, f"Nothing is found at {request.path}.", code="not_found")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: under /api/ in the error format, elsewhere (the admin) Django's page."""
    if not request.path.startswith("/api/"):
        return django_csrf_failure(request, reason)
    return problem_response(403, f"CSRF verification failed: {reason}", code="csrf_failed")


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def allowed(methods) -> HttpResponse:
    """The answer to OPTIONS: no body, the methods in `Allow`."""
    response = HttpResponse(status=204, headers={"Allow": ", ".join(methods)})
    del response["Content-Type"]
    return response


def read_only(view):
    """A plain Django view under /api/ that only reads: exempt from CSRF (it changes nothing), an
    OPTIONS request answered with what it allows, and any other method a 405 in the error format."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        allow = {"Allow": ", ".join(READ_METHODS)}
        if request.method == "OPTIONS":
            return allowed(READ_METHODS)
        if request.method not in READ_METHODS:
            response = problem_response(
                405, f'Method "{request.method}" not allowed.', code="method_not_allowed"
            )
            response["Allow"] = allow["Allow"]
            return response
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)


# Errors that say the database is not answering (down, restarting, unreachable), not that a query
# is wrong: a 503 with Retry-After, and the next request connects again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER = 5  # seconds


class _Outage:
    """Until when this process stays quiet about the database not answering."""

    quiet_until = 0.0


outage = _Outage()


class OncePerOutage(logging.Filter):
    """For the `django.request` logger: while the database does not answer, the first failed
    request is logged with its traceback and the rest of that outage (until a new connection
    succeeds, or DATABASE_RETRY_AFTER seconds pass with no failure) are not: a 503 per request,
    one traceback per outage."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, DATABASE_UNAVAILABLE):
            return True
        now = time.monotonic()
        first = now >= outage.quiet_until
        outage.quiet_until = now + DATABASE_RETRY_AFTER
        return first


def _database_back(sender, connection, **kwargs) -> None:
    outage.quiet_until = 0.0


connection_created.connect(_database_back, dispatch_uid="cms-exceptions-database-back")


def database_unavailable() -> JsonResponse:
    response = problem_response(
        503, "The database is not answering; try again in a few seconds.", code="database_unavailable"
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def server_error(request):
    # Django calls this while handling the exception, which is still the one being handled.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable()
    return problem_response(500, "Something went wrong on our side. It has been logged.", code="server_error")


class ProblemErrorSerializer(serializers.Serializer):
    """One invalid value."""

    detail = serializers.CharField(help_text="What is wrong with this value.")
    pointer = serializers.CharField(
        required=False, help_text="JSON Pointer (RFC 6901) to the offending member of the request body."
    )
    parameter = serializers.CharField(required=False, help_text="Name of the offending query parameter.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the shape of every error response."""

    type = serializers.CharField(
        help_text="A URI reference identifying the problem type; `about:blank` here."
    )
    title = serializers.CharField(help_text="Short summary of the problem type (the HTTP reason phrase).")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="Human-readable explanation specific to this occurrence.")
    code = serializers.CharField(
        help_text="Machine-readable error code, e.g. `invalid`, `not_found`, `method_not_allowed`."
    )
    errors = ProblemErrorSerializer(
        many=True, required=False, help_text="Present on validation errors: one entry per invalid value."
    )
