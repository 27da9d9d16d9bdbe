"""Bench only: each process forgets what it has read from the cache before every request, as
right after a purge (which changes the global token), so that each request checks every
rendering and count against Redis (cms.caching)."""

from cms import caching


class ForgetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        caching._memo.clear()
        caching._checked.clear()
        caching._entries.clear()
        caching._trust.token = None
        return self.get_response(request)
