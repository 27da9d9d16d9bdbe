"""What no request may carry, refused before anything reads it: control characters in the URL.

No slug, filter value or token of ours holds one, PostgreSQL cannot compare text holding a NUL, and
feeds and headers must never echo one. So a request to the API, the feeds, the sitemaps or the admin
whose path holds a C0 control character or DEL (after percent-decoding) is a 404 in the error
format (nothing is ever found at such a URL), and one whose query string does a 400 naming the
parameter. (The newsletter pages answer any malformed token with
their own 404.)"""

import re
from urllib.parse import parse_qsl, unquote

from django.http import JsonResponse

from .exceptions import PROBLEM_CONTENT_TYPE, problem, problem_response

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
GUARDED_PATH = ("/api/", "/feeds/", "/sitemap", "/admin/")


def refusal(request):
    """The 400 for a request with a control character in its URL, or None."""
    if _CONTROL.search(request.path_info):  # already percent-decoded
        return problem_response(
            404, "Nothing is found at a URL holding a control character.", code="not_found"
        )
    query = request.META.get("QUERY_STRING", "")
    if query and _CONTROL.search(unquote(query)):
        for name, value in parse_qsl(query, keep_blank_values=True):
            if _CONTROL.search(name) or _CONTROL.search(value):
                detail = "Must not hold control characters."
                errors = [{"detail": detail, "parameter": _CONTROL.sub("?", name)}]
                body = problem(
                    400, "One or more query parameters are invalid.", code="invalid", errors=errors
                )
                return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
        return problem_response(400, "The query string holds a control character.", code="invalid")
    return None


class RequestGuardMiddleware:
    """First in the stack, so that nothing (the cache, sessions, views) sees such a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(GUARDED_PATH) and (refused := refusal(request)) is not None:
            return refused
        return self.get_response(request)
