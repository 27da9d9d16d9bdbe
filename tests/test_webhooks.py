"""Webhooks (webhooks/): events told to a real HTTP receiver on 127.0.0.1, signed and verified
with the Standard Webhooks library; retries on the backoff schedule (clock controlled); a worker
that dies mid-delivery; scheduled items told at their time; drafts never told; SSRF targets
refused; endpoints managed through the admin and the API."""

import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from articles.models import Article
from cms.publishing import Status, publish, unpublish
from partners.models import APIKey
from webhooks import delivery as sending
from webhooks.events import EVENT_TYPES
from webhooks.models import Attempt, Delivery, Endpoint, Event

from .factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread, answering each POST with the next of `statuses`
    (the last one repeats) and keeping what it was sent."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses = [204]
        self.delay = 0.0
        self.location = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, kind: str | None = None) -> list[dict]:
        bodies = [json.loads(request["body"]) for request in self.received]
        return [body for body in bodies if kind is None or body["type"] == kind]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on loopback
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(receiver):
    return Endpoint.objects.create(url=receiver.url, description="Frontend")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the transaction to commit (the emitter, the deliveries), as it would."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            change()

    return run


def live_article(**fields):
    article = ArticleFactory(status=Status.DRAFT, **fields)
    publish(queryset=Article.objects.filter(pk=article.pk))
    return Article.objects.get(pk=article.pk)


def test_a_publish_is_told_signed_to_a_real_receiver(endpoint, receiver, committed):
    committed(lambda: live_article(slug="troops-cross-border", headline="Troops cross the border"))

    published = receiver.events("article.published")
    assert len(published) == 1
    request = next(r for r in receiver.received if json.loads(r["body"])["type"] == "article.published")
    verified = Webhook(endpoint.secret).verify(request["body"], request["headers"])  # raises if not
    assert verified["data"]["slug"] == "troops-cross-border"
    assert verified["data"]["item"]["title"] == "Troops cross the border"
    assert verified["data"]["url"].endswith("/api/v1/articles/troops-cross-border/")
    assert request["headers"]["webhook-id"] == verified["id"]
    article_key = f"article-{verified['data']['id']}"
    purge = next(e["data"] for e in receiver.events("cache.purge") if article_key in e["data"]["keys"])
    assert "articles" in purge["keys"]
    assert any(url.endswith("/api/v1/articles/troops-cross-border/") for url in purge["urls"]["api"])
    assert any(url.endswith("/articles/troops-cross-border") for url in purge["urls"]["frontend"])
    assert Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count() == len(receiver.received)


def test_updates_unpublishing_and_deleting_are_told_in_order(endpoint, receiver, committed):
    committed(lambda: live_article(slug="story"))
    article = Article.objects.get(slug="story")

    def update():
        article.headline = "Changed"
        article.save()

    committed(update)
    committed(lambda: unpublish(queryset=Article.objects.filter(pk=article.pk)))
    committed(lambda: publish(queryset=Article.objects.filter(pk=article.pk)))
    committed(lambda: Article.objects.get(pk=article.pk).delete())

    told = [event["type"] for event in receiver.events() if event["type"].startswith("article.")]
    assert told == [
        "article.published",
        "article.updated",
        "article.unpublished",
        "article.published",
        "article.deleted",
    ]
    assert receiver.events("article.deleted")[0]["data"]["item"] is None


def test_a_draft_is_never_told_nor_any_of_its_content(endpoint, receiver, committed):
    committed(lambda: ArticleFactory(status=Status.DRAFT, headline="Secret embargoed story", slug="secret"))
    committed(lambda: live_article(slug="public", headline="Public"))
    live = Article.objects.get(slug="public")
    committed(lambda: unpublish(queryset=Article.objects.filter(pk=live.pk)))

    def edit_the_draft():
        draft = Article.objects.get(pk=live.pk)
        draft.headline = "Secret draft headline"
        draft.save()

    committed(edit_the_draft)

    told = [
        (event["type"], event["data"]["slug"])
        for event in receiver.events()
        if event["type"].startswith("article")
    ]
    assert told == [("article.published", "public"), ("article.unpublished", "public")]
    bodies = b" ".join(request["body"] for request in receiver.received)
    assert b"Secret" not in bodies and b'"secret"' not in bodies
    assert all(b"Secret" not in bytes(event.payload) for event in Event.objects.all())


def test_a_scheduled_publish_is_told_at_its_time(endpoint, receiver, committed, clock):  # noqa: F811
    def schedule():
        ArticleFactory(status=Status.PUBLISHED, published_at=clock.now + timedelta(minutes=10), slug="later")

    committed(schedule)
    call_command("emit_webhooks", stdout=open("/dev/null", "w"))
    assert receiver.events("article.published") == []  # not yet: nothing told of it

    clock.advance(minutes=11)
    call_command("emit_webhooks", stdout=open("/dev/null", "w"))
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))

    told = receiver.events("article.published")
    assert [event["data"]["slug"] for event in told] == ["later"]


def test_a_failing_receiver_is_retried_on_the_backoff_schedule(
    endpoint,
    receiver,
    committed,
    clock,  # noqa: F811
    settings,
):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 1000
    receiver.statuses = [500]
    endpoint.events = ["article.published"]
    endpoint.save()

    committed(lambda: live_article(slug="story"))
    delivery = Delivery.objects.get()
    waits = []
    for expected in sending.RETRY_SCHEDULE:
        assert delivery.status == Delivery.Status.PENDING
        wait = delivery.next_attempt_at - clock.now
        assert expected * (1 - sending.JITTER) <= wait <= expected * (1 + sending.JITTER)
        waits.append(wait)
        clock.advance(seconds=wait.total_seconds() - 1)
        call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # not due yet
        delivery.refresh_from_db()
        assert delivery.attempts == len(waits)
        clock.advance(seconds=1)
        call_command("deliver_webhooks", stdout=open("/dev/null", "w"))
        delivery.refresh_from_db()

    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == len(sending.RETRY_SCHEDULE) + 1
    assert len(receiver.received) == delivery.attempts
    assert {request["headers"]["webhook-id"] for request in receiver.received} == {delivery.event_id}
    assert timedelta(hours=20) < sum(waits, timedelta()) < timedelta(hours=36)  # about a day
    assert Attempt.objects.filter(delivery=delivery, status_code=500).count() == delivery.attempts


def test_an_endpoint_that_keeps_failing_is_switched_off(endpoint, receiver, committed, clock, settings):  # noqa: F811
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 1
    receiver.statuses = [503]
    committed(lambda: live_article(slug="story"))
    for _ in range(4):
        clock.advance(hours=1)
        call_command("deliver_webhooks", stdout=open("/dev/null", "w"))

    endpoint.refresh_from_db()
    assert not endpoint.is_active and "every delivery failed" in endpoint.disabled_reason


def test_a_worker_that_dies_mid_delivery_loses_nothing(endpoint, receiver, clock):  # noqa: F811
    live_article(slug="story")  # its events are made below, by hand, as a worker would
    call_command("emit_webhooks", stdout=open("/dev/null", "w"))
    delivery = Delivery.objects.filter(event__type="article.published").get()
    # A worker took it (its lease) and died before sending.
    Delivery.objects.filter(pk=delivery.pk).update(leased_until=clock.now + sending.LEASE)

    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))
    assert receiver.events("article.published") == []  # still held: no second sender meanwhile

    clock.advance(seconds=sending.LEASE.total_seconds() + 1)
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert [event["id"] for event in receiver.events("article.published")] == [delivery.event_id]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.7/hooks",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "https://[64:ff9b::7f00:1]/hooks",  # NAT64
        "https://[2002:7f00:1::]/hooks",  # 6to4
        "https://[::7f00:1]/hooks",  # IPv4-compatible
        "https://example.com:99999/hooks",  # no such port
    ],
)
def test_private_targets_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    endpoint = Endpoint.objects.create(url=url)

    outcome = sending.send(endpoint, "msg_1", b"{}")

    assert outcome.status_code is None and (
        "not a public address" in outcome.error or "port" in outcome.error
    )


def test_plain_http_and_credentials_in_the_url_are_refused(settings, admin_client):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for url in ["http://example.com/hooks", "https://user:pass@example.com/hooks"]:
        response = admin_client.post("/admin/webhooks/endpoint/add/", {"url": url, "is_active": "on"})
        assert response.status_code == 200 and "url" in response.context["adminform"].form.errors
    assert not Endpoint.objects.exists()


def test_no_redirect_is_followed_and_a_slow_receiver_is_cut_off(endpoint, receiver, settings):
    other = Receiver()
    try:
        receiver.statuses, receiver.location = [307], other.url
        redirected = sending.send(endpoint, "msg_1", b"{}")
        receiver.statuses, receiver.location, receiver.delay = [204], None, 3
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
        slow = sending.send(endpoint, "msg_2", b"{}")
    finally:
        other.close()

    assert redirected.status_code == 307 and not redirected.succeeded and other.received == []
    assert slow.status_code is None and "No answer within" in slow.error  # not its 204, 3 s later


def test_publishing_leaves_the_fan_out_to_the_worker(
    desk_editor_client, receiver, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    for number in range(20):
        Endpoint.objects.create(url=f"{receiver.url}/{number}")
    article = ArticleFactory(status=Status.DRAFT)
    default_task_backend.clear()

    with django_capture_on_commit_callbacks(execute=True):  # the request's transaction commits
        response = desk_editor_client.post(
            "/admin/articles/article/",
            {"action": "publish_selected", "_selected_action": [article.pk]},
            follow=True,
        )

    assert response.status_code == 200 and Article.objects.get(pk=article.pk).status == Status.PUBLISHED
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0  # none made in the request
    queued = [result.task.name for result in default_task_backend.results]
    assert queued.count("emit_events") >= 1 and "deliver" not in queued


def test_a_topic_change_is_told_with_its_public_shape(endpoint, receiver, committed):
    topic = TopicFactory(slug="kursk", name="Kursk")

    def rename():
        topic.name = "Kursk oblast"
        topic.save()

    committed(rename)

    told = receiver.events("topic.updated")
    assert told and told[-1]["data"]["item"]["name"] == "Kursk oblast"


def test_an_endpoint_made_in_the_admin_shows_its_secret_once(admin_client, receiver):
    response = admin_client.post(
        "/admin/webhooks/endpoint/add/",
        {"url": receiver.url, "description": "Next.js", "events": ["article.published"], "is_active": "on"},
        follow=True,
    )

    shown = " ".join(str(message) for message in get_messages(response.wsgi_request))
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in shown and endpoint.events == ["article.published"]
    page = admin_client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page


def manager_key(owner, scopes=("webhooks:manage",)) -> APIClient:
    _, key = APIKey.objects.create_key(name="hooks", owner=owner, scopes=list(scopes))
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")


def test_endpoints_are_managed_through_the_api_with_their_scope(desk_editor, reporter, receiver, committed):
    manager = manager_key(desk_editor)

    created = manager.post(
        "/api/v1/webhooks/endpoints/", {"url": receiver.url, "events": ["article.published"]}, format="json"
    )
    without_scope = manager_key(desk_editor, ["content:write"]).get("/api/v1/webhooks/endpoints/")
    by_reporter = manager_key(reporter).post(
        "/api/v1/webhooks/endpoints/", {"url": receiver.url}, format="json"
    )
    bad_event = manager.post(
        "/api/v1/webhooks/endpoints/", {"url": receiver.url, "events": ["article.liked"]}, format="json"
    )

    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert (without_scope.status_code, by_reporter.status_code, bad_event.status_code) == (403, 403, 400)
    listed = manager.get("/api/v1/webhooks/endpoints/").json()["results"]
    assert [item["url"] for item in listed] == [receiver.url] and "secret" not in listed[0]

    url = f"/api/v1/webhooks/endpoints/{created.json()['id']}/"
    rotated = manager.post(f"{url}rotate-secret/", HTTP_IF_MATCH=created["ETag"])
    assert rotated.status_code == 200
    committed(lambda: live_article(slug="story"))
    request = receiver.received[-1]
    signatures = request["headers"]["webhook-signature"].split(" ")
    assert len(signatures) == 2  # the new secret and, for a while, the old one
    for secret in (created.json()["secret"], rotated.json()["secret"]):
        Webhook(secret).verify(request["body"], request["headers"])


def test_the_schema_describes_every_event_with_an_example(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert set(schema["webhooks"]) == set(EVENT_TYPES)
    for event_type, hook in schema["webhooks"].items():
        content = hook["post"]["requestBody"]["content"]["application/json"]
        assert content["example"]["type"] == event_type
        assert {p["name"] for p in hook["post"]["parameters"]} >= {"webhook-id", "webhook-signature"}
    assert re.match(r"^3\.1", schema["openapi"])
    from openapi_schema_validator import OAS31Validator

    for hook in schema["webhooks"].values():  # each example is what its schema says
        content = hook["post"]["requestBody"]["content"]["application/json"]
        OAS31Validator({**content["schema"], "components": schema["components"]}).validate(content["example"])


def test_every_body_sent_answers_the_schema_s_webhooks_section(endpoint, receiver, committed, api_client):
    from openapi_schema_validator import OAS31Validator

    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    topic = TopicFactory(slug="kursk")

    def changes():
        live_article(slug="story", topics=[topic])
        topic.name = "Kursk oblast"
        topic.save()

    committed(changes)
    committed(lambda: Article.objects.get(slug="story").delete())

    kinds = set()
    for body in receiver.events():
        declared = schema["webhooks"][body["type"]]["post"]["requestBody"]["content"]["application/json"]
        OAS31Validator({**declared["schema"], "components": schema["components"]}).validate(body)
        kinds.add(body["type"])
    assert {"article.published", "article.deleted", "topic.updated", "cache.purge"} <= kinds


def test_a_receiver_s_answer_is_stored_without_control_characters(endpoint, receiver, committed, monkeypatch):
    monkeypatch.setattr(sending, "_post", _answering(200, "ok\x00\x07done"))
    committed(lambda: live_article(slug="story"))

    assert {attempt.response for attempt in Attempt.objects.all()} == {"ok\ufffd\ufffddone"}


def _answering(status: int, text: str):
    async def post(url, headers, body):
        return status, text

    return post


def test_a_hanging_receiver_holds_up_only_one_send_per_retry(endpoint, receiver, committed, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1

    committed(lambda: [live_article(slug=f"story-{number}") for number in range(3)])

    sent = Delivery.objects.filter(attempts=1).count()
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    assert sent == 1 and pending.count() == Delivery.objects.count()  # the rest wait for its retry
    assert len({delivery.next_attempt_at for delivery in pending}) == 1


def test_an_unpublished_and_renamed_article_s_purge_names_the_public_slug_only(endpoint, receiver, committed):
    committed(lambda: live_article(slug="public-slug"))
    article = Article.objects.get(slug="public-slug")

    def hide_and_rename():
        article.status, article.slug, article.headline = Status.DRAFT, "secret-merger-plan", "Secret"
        article.save()

    committed(hide_and_rename)

    told = json.dumps(receiver.events())
    assert "secret-merger-plan" not in told and "Secret" not in told
    purge = receiver.events("cache.purge")[-1]["data"]
    assert any(url.endswith("/api/v1/articles/public-slug/") for url in purge["urls"]["api"])


def test_a_renamed_live_article_s_purge_names_its_old_and_new_pages_and_its_topic(
    endpoint, receiver, committed
):
    topic = TopicFactory(slug="kursk")
    committed(lambda: live_article(slug="old-slug", topics=[topic]))

    def rename():
        article = Article.objects.get(slug="old-slug")
        article.slug = "new-slug"
        article.save()

    committed(rename)

    purge = receiver.events("cache.purge")[-1]["data"]["urls"]
    assert {
        "/api/v1/articles/old-slug/",
        "/api/v1/articles/new-slug/",
        "/api/v1/articles/new-slug/ninjs/",  # the IPTC ninjs document (articles/ninjs/)
        "/api/v1/topics/kursk/",
    } <= {url.removeprefix("http://127.0.0.1:8000") for url in purge["api"]}
    assert any(url.endswith("/articles/old-slug") for url in purge["frontend"])


def test_a_backdated_new_article_is_published_and_an_old_one_deleted_is_told(
    endpoint,
    receiver,
    committed,
    clock,  # noqa: F811
):
    committed(
        lambda: ArticleFactory(
            status=Status.PUBLISHED, published_at=clock.now - timedelta(days=400), slug="old-news"
        )
    )
    assert [event["data"]["slug"] for event in receiver.events("article.published")] == ["old-news"]

    from webhooks.models import ItemState

    ItemState.objects.all().delete()  # as for an article live before the webhooks, never told since
    committed(lambda: Article.objects.get(slug="old-news").delete())

    assert [event["data"]["slug"] for event in receiver.events("article.deleted")] == ["old-news"]


def test_a_topic_hidden_before_the_worker_runs_is_not_told_as_it_was_meanwhile(endpoint, receiver, committed):
    def create_then_hide():
        topic = TopicFactory(slug="embargo", name="Embargoed name")
        topic.is_active, topic.name = False, "Leaked: embargoed"
        topic.save()

    committed(create_then_hide)

    assert "Leaked" not in json.dumps(receiver.events()) and "Embargoed" not in json.dumps(receiver.events())


def test_a_second_rotation_waits_for_the_first_to_end(desk_editor):
    manager = manager_key(desk_editor)
    created = manager.post("/api/v1/webhooks/endpoints/", {"url": "https://example.com/hooks"}, format="json")
    url = f"/api/v1/webhooks/endpoints/{created.json()['id']}/rotate-secret/"

    first = manager.post(url, HTTP_IF_MATCH=created["ETag"])
    second = manager.post(url, HTTP_IF_MATCH=created["ETag"])

    assert first.status_code == 200 and second.status_code == 409
    assert Endpoint.objects.get().signing_secrets() == [first.json()["secret"], created.json()["secret"]]


def test_a_late_retry_of_an_item_taken_down_since_is_not_sent(endpoint, receiver, committed, clock):  # noqa: F811
    receiver.statuses = [503, 204]
    endpoint.events = ["article.published"]
    endpoint.save()
    committed(lambda: live_article(slug="claim", headline="A claim later taken down"))
    committed(lambda: unpublish(queryset=Article.objects.filter(slug="claim")))

    clock.advance(minutes=1)
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SKIPPED and len(receiver.received) == 1


def test_an_endpoint_on_a_private_address_is_refused_when_saved(desk_editor, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    manager = manager_key(desk_editor)

    for url in [
        "https://169.254.169.254/latest/",
        "https://[::ffff:10.0.0.1]/x",
        "https://example.com:99999/x",
    ]:
        response = manager.post("/api/v1/webhooks/endpoints/", {"url": url}, format="json")
        assert response.status_code == 400, url
    assert not Endpoint.objects.exists()


def test_an_endpoint_switched_on_again_forgets_why_it_was_switched_off(desk_editor):
    endpoint = Endpoint.objects.create(
        url="https://example.com/hooks", is_active=False, disabled_reason="Failing."
    )
    manager = manager_key(desk_editor)
    url = f"/api/v1/webhooks/endpoints/{endpoint.pk}/"

    switched_on = manager.patch(
        url, {"is_active": True}, format="json", HTTP_IF_MATCH=manager.get(url)["ETag"]
    )

    assert switched_on.status_code == 200 and switched_on.json()["disabled_reason"] == ""
    assert switched_on.json()["failing_since"] is None
