"""The project's settings with the bench's URLs (the plain-DRF baseline beside the API)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_COLD") == "1":  # noqa: F405
    # Nothing cached anywhere: every response, rendering, count and schedule is worked out anew.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

if os.environ.get("BENCH_FORGET") == "1":  # noqa: F405
    MIDDLEWARE = ["bench.forget.ForgetMiddleware", *MIDDLEWARE]  # noqa: F405
