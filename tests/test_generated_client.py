"""A partner's story, end to end, through a client generated from our OpenAPI schema by
openapi-python-client: a key made in the admin; a picture uploaded; a video and an article with
the picture and the video as its lead created and published; the article in the public list and
in /changes/; a correction with If-Match; a stale ETag refused with a 412; the article deleted and
its tombstone in /changes/. If the schema misdescribes a body, a header or an answer, the
generated code cannot do this."""

import importlib
import io
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.contrib.messages import get_messages
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from PIL import Image as PILImage

from partners.scopes import Scope

from .factories import SectionFactory

pytestmark = pytest.mark.django_db
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def newsroom_client(tmp_path_factory, django_db_setup, django_db_blocker):
    """The client package, generated from the schema this code serves."""
    from django.test import Client

    folder = tmp_path_factory.mktemp("generated")
    with django_db_blocker.unblock():
        schema = Client().get("/api/schema/", {"format": "json"}).content
    (folder / "schema.json").write_bytes(schema)
    (folder / "config.yaml").write_text("post_hooks: []\npackage_name_override: newsroom_client\n")
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "schema.json", "--config", "config.yaml", "--meta", "none"]
        + ["--output-path", str(folder / "newsroom_client")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr  # every operation understood
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("newsroom_client")
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == "newsroom_client"]:
            del sys.modules[name]


class InProcess(httpx.WSGITransport):
    """Requests through Django's real WSGI handler, inside the test's transaction: as Django's test
    client does, connections are not closed at the end of each request (nor of each body, read here)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = super().handle_request(request)
            response.read()
            return response
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi_transport():
    return InProcess(app=WSGIHandler())


def key_from_the_admin(admin_client, owner) -> str:
    scopes = [Scope.CONTENT_READ, Scope.CONTENT_WRITE, Scope.CONTENT_PUBLISH, Scope.PREVIEW_READ]
    response = admin_client.post(
        "/admin/partners/apikey/add/", {"name": "Wire", "owner": owner.pk, "scopes": scopes}, follow=True
    )
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    return re.search(r"is: (\S+)\. ", shown[0]).group(1)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 800), (30, 60, 90)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_partner_ingests_publishes_corrects_and_deletes_through_the_generated_client(
    newsroom_client, wsgi_transport, admin_client, desk_editor
):
    from newsroom_client import AuthenticatedClient, Client
    from newsroom_client.api.v1 import (
        v1_articles_create,
        v1_articles_destroy,
        v1_articles_list,
        v1_articles_partial_update,
        v1_articles_publish_create,
        v1_articles_retrieve,
        v1_changes_list,
        v1_images_create,
        v1_videos_create,
        v1_videos_publish_create,
    )
    from newsroom_client.models import (
        ArticleWriteRequest,
        ImageWriteRequest,
        PatchedArticleWriteRequest,
        PublishRequest,
        VideoWriteRequest,
    )
    from newsroom_client.types import File

    SectionFactory(slug="news")
    partner = AuthenticatedClient(
        base_url="http://testserver",
        token=key_from_the_admin(admin_client, desk_editor),
        prefix="Api-Key",
        httpx_args={"transport": wsgi_transport},
    )
    public = Client(base_url="http://testserver", httpx_args={"transport": wsgi_transport})

    picture = v1_images_create.sync_detailed(
        client=partner,
        body=ImageWriteRequest(
            file=File(payload=io.BytesIO(jpeg()), file_name="troops.jpg", mime_type="image/jpeg"),
            alt_text="Troops at dawn",
            credit="Reuters",
        ),
    )
    assert picture.status_code == 201, picture.content
    assert picture.parsed.width == 1200 and picture.parsed.renditions

    video = v1_videos_create.sync_detailed(
        client=partner, body=VideoWriteRequest(slug="carrier-jets", title="Carrier jets", duration="00:01:30")
    )
    assert video.status_code == 201, video.content
    live_video = v1_videos_publish_create.sync_detailed(
        "carrier-jets", client=partner, body=PublishRequest(), if_match=video.headers["ETag"]
    )
    assert live_video.status_code == 200 and live_video.parsed.state == "live"

    draft = v1_articles_create.sync_detailed(
        client=partner,
        body=ArticleWriteRequest(
            slug="troops-cross-border",
            headline="Troops cross the border",
            section="news",
            hero_image=picture.parsed.id,
            lead_video="carrier-jets",
            body_html=f'<p>At dawn.</p><figure data-embed="image" data-id="{picture.parsed.id}"></figure>',
        ),
        idempotency_key='"wire-0001"',
    )
    assert draft.status_code == 201, draft.content
    assert draft.parsed.state == "draft"
    published = v1_articles_publish_create.sync_detailed(
        "troops-cross-border", client=partner, body=PublishRequest(), if_match=draft.headers["ETag"]
    )
    assert published.status_code == 200 and published.parsed.state == "live"

    listed = v1_articles_list.sync_detailed(client=public)
    assert [teaser.slug for teaser in listed.parsed.results] == ["troops-cross-border"]
    page = v1_articles_retrieve.sync_detailed("troops-cross-border", client=public).parsed
    assert page.hero_image.id == picture.parsed.id and page.lead_video.slug == "carrier-jets"
    changes = v1_changes_list.sync_detailed(client=public).parsed
    assert {(change.type_, change.slug, change.change) for change in changes.results} == {
        ("video", "carrier-jets", "upsert"),
        ("article", "troops-cross-border", "upsert"),
    }

    corrected = v1_articles_partial_update.sync_detailed(
        "troops-cross-border",
        client=partner,
        body=PatchedArticleWriteRequest(headline="Troops cross the border at dawn"),
        if_match=published.headers["ETag"],
    )
    assert corrected.status_code == 200 and corrected.parsed.headline == "Troops cross the border at dawn"
    stale = v1_articles_partial_update.sync_detailed(
        "troops-cross-border",
        client=partner,
        body=PatchedArticleWriteRequest(headline="A lost update"),
        if_match=published.headers["ETag"],
    )
    assert stale.status_code == 412 and stale.parsed.status == 412
    assert v1_articles_retrieve.sync_detailed("troops-cross-border", client=public).parsed.headline == (
        "Troops cross the border at dawn"
    )

    deleted = v1_articles_destroy.sync_detailed(
        "troops-cross-border", client=partner, if_match=corrected.headers["ETag"]
    )
    assert deleted.status_code == 204
    assert v1_articles_retrieve.sync_detailed("troops-cross-border", client=public).status_code == 404
    after = v1_changes_list.sync_detailed(client=public, since=changes.next_since).parsed
    assert [(change.slug, change.change) for change in after.results] == [("troops-cross-border", "delete")]
