"""Admin login: repeated failures lock out the username and, separately, the client, before any
password is hashed (django-axes)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("editor", password="right-password", is_staff=True)


def attempt(username, password, address="192.0.2.1"):
    client = Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password})


def test_five_failures_lock_the_username_out_even_with_the_right_password(editor, monkeypatch):
    for _ in range(4):
        assert attempt("editor", "wrong").status_code == 200  # the form again, with its error
    assert attempt("editor", "wrong").status_code == 429  # the fifth locks it
    hashed = []
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda self, *args: hashed.append(1) or True)

    locked = attempt("editor", "right-password", address="198.51.100.7")  # from anywhere

    assert locked.status_code == 429
    assert hashed == []  # refused before any password was checked


def test_five_failures_from_one_client_lock_that_client_out(editor):
    for n in range(5):
        attempt(f"someone-{n}", "wrong")

    assert attempt("editor", "right-password").status_code == 429
    assert attempt("editor", "right-password", address="198.51.100.7").status_code == 302  # another client


def test_a_success_resets_the_count(editor):
    for _ in range(4):
        attempt("editor", "wrong")
    assert attempt("editor", "right-password").status_code == 302
    for _ in range(4):
        attempt("editor", "wrong")
    assert attempt("editor", "right-password").status_code == 302


def test_behind_a_proxy_the_forwarded_client_is_locked_not_the_proxy(editor, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # deploy/nginx.conf

    def through_proxy(username, password, client):
        proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client)
        return proxy.post(LOGIN, {"username": username, "password": password})

    for n in range(5):
        through_proxy(f"someone-{n}", "wrong", "198.51.100.7")

    assert through_proxy("editor", "right-password", "198.51.100.7").status_code == 429
    assert through_proxy("editor", "right-password", "203.0.113.5").status_code == 302
