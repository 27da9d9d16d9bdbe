"""What every browser test shares: Playwright driving Debian's Chromium against pytest-django's
live server (Playwright's own browser download does not work here). The `browser_page` fixture is
in conftest.py."""

import os

import pytest

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
# A browser test module's `pytestmark`.
BROWSER_TEST = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make setup installs it)"
    ),
]
