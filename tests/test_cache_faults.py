"""The cache is an accelerator, never a dependency (cms/caching.py, RedisCache): with Redis
refusing connections or hung, every endpoint answers from the database within a time bound, and a
purge that could not be delivered is delivered before this process serves from the cache again.
Each test runs its own Redis (or a stand-in that never answers); the shared one is left alone."""

import shutil
import socket
import subprocess
import threading
import time

import pytest

from cms import caching
from cms.publishing import Status, unpublish

from .factories import ArticleFactory, EditionFactory, NewsletterFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/articles/",
    "/api/v1/articles/?topic=t",
    "/api/v1/videos/",
    "/api/v1/search/?q=troops",
    "/api/v1/topics/",
    "/api/v1/sections/",
    "/api/v1/authors/",
    "/api/v1/newsletters/",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_redis(settings, port: int, *, timeout: float = 0.2) -> None:
    settings.CACHE_TIMEOUT_SECONDS = timeout
    settings.CACHE_RETRY_AFTER = 30
    settings.CACHES = {
        "default": {"BACKEND": "cms.caching.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    }


@pytest.fixture(autouse=True)
def _fresh_breaker():
    caching._breaker.down_until = 0.0
    caching._pending_purges.clear()
    caching._checked.clear()
    caching._entries.clear()
    yield
    caching._breaker.down_until = 0.0
    caching._pending_purges.clear()
    caching._checked.clear()
    caching._entries.clear()


@pytest.fixture
def refused(settings):
    use_redis(settings, free_port())  # nothing listens there


@pytest.fixture
def hung(settings):
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    use_redis(settings, server.getsockname()[1])
    yield
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.fixture
def content():
    topic = TopicFactory(slug="t")
    ArticleFactory(live=True, headline="Troops move", topics=[topic])
    VideoFactory(live=True)
    return EditionFactory(newsletter=NewsletterFactory(), status="sent")


@pytest.mark.parametrize("fault", ["refused", "hung"])
def test_lists_and_signup_answer_from_the_database_when_redis_fails(request, api_client, content, fault):
    request.getfixturevalue(fault)
    edition = content
    started = time.monotonic()
    for path in [*LISTS, f"/api/v1/newsletters/{edition.newsletter.slug}/editions/"]:
        response = api_client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        assert response["Content-Type"] == "application/json"
    signup = api_client.post(
        f"/api/v1/newsletters/{edition.newsletter.slug}/subscriptions/",
        {"email": "ann@example.com"},
        format="json",
    )
    assert signup.status_code == 202, signup.content
    # One short timeout, then the breaker keeps every other request away from the cache.
    assert time.monotonic() - started < 5


def test_a_hung_redis_costs_one_timeout_not_one_per_request(hung, api_client, content):
    api_client.get("/api/v1/articles/")  # meets the timeout and opens the breaker
    started = time.monotonic()
    for _ in range(20):
        assert api_client.get("/api/v1/articles/").status_code == 200
    assert time.monotonic() - started < 2  # 20 timeouts would be 20 × 0.2 s per call at least


def test_the_outage_is_logged_once_not_per_request(refused, api_client, content, caplog):
    for _ in range(5):
        assert api_client.get("/api/v1/articles/").status_code == 200
    records = [*caplog.get_records("setup"), *caplog.records]
    assert len([r for r in records if "Cache unavailable" in r.getMessage()]) == 1


class CuttableProxy:
    """TCP forwarding to a Redis that can be cut (connections refused and dropped) and restored:
    a network fault between this process and a Redis that keeps its data."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.cut = threading.Event()
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.server.settimeout(0.05)
        self.open: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            if self.cut.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                if self.cut.is_set():
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.close()
            except OSError:
                pass

    def sever(self):
        self.cut.set()
        for connection in self.open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.open.clear()

    def restore(self):
        self.cut.clear()

    def close(self):
        self.stopped.set()
        self.sever()
        self.server.close()


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_a_purge_that_failed_is_delivered_before_the_cache_is_used_again(own_redis, settings, api_client):
    proxy = CuttableProxy(own_redis)
    try:
        use_redis(settings, proxy.port)
        settings.CACHE_RETRY_AFTER = 0.1
        article = ArticleFactory(live=True)
        url = f"/api/v1/articles/{article.slug}/"
        assert api_client.get(url)["X-Cache"] == "MISS"
        assert api_client.get(url)["X-Cache"] == "HIT"

        proxy.sever()
        unpublish(queryset=type(article).objects.filter(pk=article.pk))  # the purge cannot be delivered
        assert type(article).objects.get(pk=article.pk).status == Status.DRAFT
        assert api_client.get(url).status_code == 404  # from the database meanwhile

        proxy.restore()
        time.sleep(0.15)  # the breaker lets the cache be tried again
        response = api_client.get(url)
        assert response.status_code == 404  # the stored 200 is never served again
        assert api_client.get(url).status_code == 404
    finally:
        proxy.close()
