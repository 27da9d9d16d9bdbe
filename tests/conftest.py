from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from articles import search
from cms import caching, exceptions
from cms.roles import AUDIENCE, EDITOR, REPORTER
from partners import quotas


@pytest.fixture(autouse=True)
def _isolated_media_and_fast_passwords(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests do not run collectstatic, so pages must not need the production manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Background tasks (newsletters/tasks.py) run at once, inside the request or call that
    enqueues them, so a test sees their effects (emails in `mail.outbox`) straight away."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _empty_response_cache(settings):
    """Each test starts with no cached API responses (cms/caching.py), whichever cache is set, and
    sees whether a response came from it (X-Cache, off in production)."""
    cache.clear()
    settings.CACHE_DEBUG_HEADERS = True
    # Every request reads the global token (tests/test_caching.py tests the trusted window).
    settings.CACHE_TOKEN_TRUST_SECONDS = 0
    caching._trust.token = None
    exceptions.outage.quiet_until = 0.0  # no outage carried over from another test's (logging)
    quotas._pending.clear()  # counts a process had not yet added to the emptied cache
    quotas._refused.clients, quotas._refused.read_until = {}, 0.0


@pytest.fixture(autouse=True)
def _search_unlearned():
    """Each test's searches start as a new process's: not knowing whether the RUM index is there
    or how many rows a query matches (articles.search), so their query counts are its own."""
    search._time_indexes.clear()
    search._estimated.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "correct horse battery")


@pytest.fixture
def admin_client(client, editor):
    client.force_login(editor)
    return client


# --- Newsroom roles (cms/roles.py): staff users in the groups that migrate creates ------------
def _staff_in_group(django_user_model, username, group):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", "correct horse battery", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reporter(django_user_model):
    return _staff_in_group(django_user_model, "reporter", REPORTER)


@pytest.fixture
def desk_editor(django_user_model):
    """An editor by role (the Editor group), not a superuser like `editor`."""
    return _staff_in_group(django_user_model, "desk-editor", EDITOR)


@pytest.fixture
def reporter_client(reporter):
    client = Client()
    client.force_login(reporter)
    return client


@pytest.fixture
def desk_editor_client(desk_editor):
    client = Client()
    client.force_login(desk_editor)
    return client


@pytest.fixture
def audience(django_user_model):
    """A member of the audience team (the Audience group), who looks after subscribers."""
    return _staff_in_group(django_user_model, "audience", AUDIENCE)


@pytest.fixture
def audience_client(audience):
    client = Client()
    client.force_login(audience)
    return client


@pytest.fixture
def browser_page(monkeypatch):
    """A Chromium page for the browser tests (tests/browser.py)."""
    from .browser import CHROMIUM, playwright

    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls happen in
    # its own thread, but the test's setup calls must be allowed here too.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.fixture
def clock(monkeypatch):
    """The one clock of the suite: `timezone.now()` (what `published()` and every timestamp read)
    stands still and moves only when a test says so, `clock.advance(minutes=5)`."""

    class Clock:
        now = timezone.now()

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock.now)
    return clock
