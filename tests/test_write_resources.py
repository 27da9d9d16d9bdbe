"""The write API beyond articles (editorial/write_api.py): videos, authors, topics, sections and
the image library. Every route is tried with a key of each role and scope: a key never does more
than its owner could in the admin."""

import io
import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openapi_schema_validator import OAS31Validator
from PIL import Image as PILImage
from rest_framework.test import APIClient

from articles.models import Author, Image, Video
from editorial.models import Revision
from topics.models import Section, Topic

from .factories import ArticleFactory, ImageFactory, SectionFactory, TopicFactory, VideoFactory, png_file
from .test_write_api import PUBLISHER, WRITER, client_for

pytestmark = pytest.mark.django_db

NEW = {
    "videos": {"slug": "jets-land", "title": "Jets land", "duration": "00:02:30", "topics": ["kursk"]},
    "authors": {"slug": "jane-doe", "name": "Jane Doe", "role": "Defence correspondent"},
    "topics": {"slug": "sumy", "name": "Sumy", "parent": "kursk"},
    "sections": {"slug": "world", "name": "World", "position": 3},
}
MODELS = {"videos": Video, "authors": Author, "topics": Topic, "sections": Section}
# Which roles' keys (with every scope) may create, change and delete each kind: the admin's roles.
MAY = {
    "videos": {"reporter": {"post", "patch"}, "desk_editor": {"post", "patch", "delete"}},
    "authors": {"reporter": {"post", "patch"}, "desk_editor": {"post", "patch", "delete"}},
    "topics": {"reporter": set(), "desk_editor": {"post", "patch", "delete"}},
    "sections": {"reporter": set(), "desk_editor": {"post", "patch", "delete"}},
}


@pytest.fixture(autouse=True)
def kursk():
    return TopicFactory(slug="kursk", name="Kursk")


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def answers_its_schema(schema, response, path: str, method: str) -> None:
    """The answer validates against what the schema says this operation answers."""
    operation = schema["paths"][path][method]
    declared = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    OAS31Validator({**declared, "components": schema["components"]}).validate(response.json())


@pytest.mark.parametrize("kind", list(NEW))
@pytest.mark.parametrize("role", ["reporter", "desk_editor"])
def test_each_role_s_key_writes_what_the_role_may_in_the_admin(request, kind, role):
    owner = request.getfixturevalue(role)
    key = client_for(owner, PUBLISHER)  # every scope: the role alone decides
    may = MAY[kind][role]
    existing = {"videos": VideoFactory, "authors": None, "topics": TopicFactory, "sections": SectionFactory}
    item = existing[kind]() if existing[kind] else MODELS[kind].objects.create(name="Old", slug="old")
    url = f"/api/v1/{kind}/{item.slug}/"
    etag = client_for(request.getfixturevalue("desk_editor"), PUBLISHER).patch(url, {}, format="json")
    assert etag.status_code == 428

    created = key.post(f"/api/v1/{kind}/", NEW[kind], format="json")
    current = _etag_of(kind, item)
    changed = key.patch(
        url, {"name" if kind != "videos" else "title": "Renamed"}, format="json", HTTP_IF_MATCH=current
    )
    deleted = key.delete(url, HTTP_IF_MATCH=_etag_of(kind, item))

    assert created.status_code == (201 if "post" in may else 403), created.content
    assert changed.status_code == (200 if "patch" in may else 403), changed.content
    assert deleted.status_code == (204 if "delete" in may else 403), deleted.content
    assert MODELS[kind].objects.filter(pk=item.pk).exists() == ("delete" not in may)


def _etag_of(kind: str, item) -> str:
    """The item's current ETag, as a partner reads it back: its edit route."""
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(username="desk-editor")
    response = client_for(staff, WRITER).get(f"/api/v1/{kind}/{item.slug}/edit/")
    assert response.status_code == 200, response.content
    return response["ETag"]


@pytest.mark.parametrize("kind", list(NEW))
def test_a_key_without_a_write_scope_writes_nothing(desk_editor, kind):
    reader = client_for(desk_editor, scopes=["content:read"])
    writer = client_for(desk_editor, WRITER)

    assert reader.post(f"/api/v1/{kind}/", NEW[kind], format="json").status_code == 403
    created = writer.post(f"/api/v1/{kind}/", NEW[kind], format="json")
    assert created.status_code == 201
    # Deleting needs content:publish, whatever the role.
    url = f"/api/v1/{kind}/{NEW[kind]['slug']}/"
    assert writer.delete(url, HTTP_IF_MATCH=created["ETag"]).status_code == 403
    assert MODELS[kind].objects.filter(slug=NEW[kind]["slug"]).count() == 1


@pytest.mark.parametrize("kind", list(NEW))
def test_each_write_answers_its_schema_with_its_etag_and_a_revision(desk_editor, schema, kind):
    editor = client_for(desk_editor, PUBLISHER)

    created = editor.post(f"/api/v1/{kind}/", NEW[kind], format="json", HTTP_IDEMPOTENCY_KEY="k1")
    replayed = editor.post(f"/api/v1/{kind}/", NEW[kind], format="json", HTTP_IDEMPOTENCY_KEY="k1")
    url = f"/api/v1/{kind}/{NEW[kind]['slug']}/"
    changed = editor.patch(url, {"slug": "renamed"}, format="json", HTTP_IF_MATCH=created["ETag"])
    stale = editor.patch(f"/api/v1/{kind}/renamed/", {}, format="json", HTTP_IF_MATCH=created["ETag"])

    assert created.status_code == 201 and replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true" and MODELS[kind].objects.count() >= 1
    answers_its_schema(schema, created, f"/api/v1/{kind}/", "post")
    assert changed.status_code == 200 and changed.json()["slug"] == "renamed"
    answers_its_schema(schema, changed, f"/api/v1/{kind}/{{slug}}/", "patch")
    assert changed["Location"].endswith(f"/{kind}/renamed/edit/")
    assert stale.status_code == 412
    item = MODELS[kind].objects.get(slug="renamed")
    comments = list(Revision.objects.for_object(item).values_list("comment", flat=True))
    assert comments[0].startswith("Changed through the API (key 'wire'") and len(comments) == 2


def test_put_empties_what_it_leaves_out(desk_editor):
    editor = client_for(desk_editor, PUBLISHER)
    created = editor.post("/api/v1/authors/", {**NEW["authors"], "bio": "Covers the war."}, format="json")

    replaced = editor.put(
        "/api/v1/authors/jane-doe/",
        {"slug": "jane-doe", "name": "Jane Doe"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert replaced.status_code == 200
    assert replaced.json() == {
        "id": created.json()["id"],
        "slug": "jane-doe",
        "name": "Jane Doe",
        "role": "",
        "bio": "",
    }


def test_a_video_is_published_and_then_only_an_editor_changes_it(reporter, desk_editor, api_client):
    draft = client_for(reporter).post("/api/v1/videos/", NEW["videos"], format="json")
    url = "/api/v1/videos/jets-land/"
    assert api_client.get(url).status_code == 404

    published = client_for(desk_editor, PUBLISHER).post(
        f"{url}publish/", {}, format="json", HTTP_IF_MATCH=draft["ETag"]
    )
    assert published.status_code == 200 and published.json()["state"] == "live"
    assert api_client.get(url).json()["duration_seconds"] == 150
    edit = client_for(reporter, PUBLISHER).patch(
        url, {"title": "x"}, format="json", HTTP_IF_MATCH=published["ETag"]
    )
    assert edit.status_code == 403
    changes = api_client.get("/api/v1/changes/").json()["results"]
    assert [(change["type"], change["slug"]) for change in changes] == [("video", "jets-land")]


@pytest.mark.parametrize(
    "kind, fields, pointer",
    [
        ("videos", {"duration": "two minutes"}, "#/duration"),
        ("videos", {"provider": "myspace"}, "#/provider"),
        ("videos", {"thumbnail": 999999}, "#/thumbnail"),
        ("videos", {"status": "published"}, "#/status"),
        ("videos", {"published_at": "2026-01-01T00:00:00Z"}, "#/published_at"),
        ("authors", {"id": 5}, "#/id"),
        ("authors", {"slug": "not a slug"}, "#/slug"),
        ("topics", {"parent": "nowhere"}, "#/parent"),
        ("topics", {"is_active": "perhaps"}, "#/is_active"),
        ("sections", {"position": -1}, "#/position"),
        ("sections", {"newsletter": "weekly"}, "#/newsletter"),
        ("sections", {"name": "x\x00y"}, "#/name"),
    ],
)
def test_bad_fields_are_a_400_pointing_at_each_and_nothing_is_written(desk_editor, kind, fields, pointer):
    response = client_for(desk_editor, PUBLISHER).post(
        f"/api/v1/{kind}/", {**NEW[kind], **fields}, format="json"
    )

    assert response.status_code == 400, response.content
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    assert not MODELS[kind].objects.filter(slug=NEW[kind]["slug"]).exists()


def test_a_topic_cannot_be_put_under_its_own_subtopic(desk_editor):
    editor = client_for(desk_editor, PUBLISHER)
    editor.post("/api/v1/topics/", NEW["topics"], format="json")  # sumy under kursk
    etag = _etag_of("topics", Topic.objects.get(slug="kursk"))

    response = editor.patch("/api/v1/topics/kursk/", {"parent": "sumy"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/parent"
    assert Topic.objects.get(slug="kursk").parent is None


def test_a_section_in_use_is_not_deleted(desk_editor):
    ArticleFactory(section=SectionFactory(slug="news"))
    etag = _etag_of("sections", Section.objects.get(slug="news"))

    response = client_for(desk_editor, PUBLISHER).delete("/api/v1/sections/news/", HTTP_IF_MATCH=etag)

    assert response.status_code == 409 and "move them elsewhere" in response.json()["detail"]
    assert Section.objects.filter(slug="news").exists()


def test_renaming_a_topic_purges_the_pages_that_show_it(desk_editor, api_client):
    ArticleFactory(live=True, topics=[Topic.objects.get(slug="kursk")])
    assert api_client.get("/api/v1/articles/").json()["results"][0]["topics"][0]["name"] == "Kursk"
    etag = _etag_of("topics", Topic.objects.get(slug="kursk"))

    client_for(desk_editor, PUBLISHER).patch(
        "/api/v1/topics/kursk/", {"name": "Kursk oblast"}, format="json", HTTP_IF_MATCH=etag
    )

    assert api_client.get("/api/v1/articles/").json()["results"][0]["topics"][0]["name"] == "Kursk oblast"


# --- Images ---------------------------------------------------------------------------------------
def png_bomb(width=40_000, height=40_000) -> bytes:
    """A tiny PNG whose header claims a picture far past Pillow's decompression-bomb limit."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(client, **fields):
    return client.post("/api/v1/images/", {"alt_text": "Troops at dawn", **fields}, format="multipart")


def test_an_uploaded_image_has_its_renditions_and_can_be_used(reporter, schema, settings):
    writer = client_for(reporter)

    created = upload(
        writer,
        file=png_file(size=(800, 600)),
        credit="Reuters",
        **{"focal_point.x": "0.25", "focal_point.y": "0.5"},
    )

    assert created.status_code == 201, created.content
    answers_its_schema(schema, created, "/api/v1/images/", "post")
    image = created.json()
    assert (image["width"], image["height"], image["credit"]) == (800, 600, "Reuters")
    assert image["focal_point"] == {"x": 0.25, "y": 0.5}
    assert [rendition["width"] for rendition in image["renditions"]] == [320, 640, 800]
    read = writer.get(f"/api/v1/images/{image['id']}/")
    assert read.status_code == 200 and read["ETag"] == created["ETag"]
    assert APIClient().get(f"/api/v1/images/{image['id']}/").status_code == 401
    assert client_for(reporter, ["content:read"]).get(f"/api/v1/images/{image['id']}/").status_code == 403


def test_an_image_s_text_and_focal_point_are_changed_with_if_match(reporter):
    writer = client_for(reporter)
    created = upload(writer, file=png_file())
    url = f"/api/v1/images/{created.json()['id']}/"

    changed = writer.patch(
        url,
        {"alt_text": "Columns at dawn", "focal_point": {"x": 1, "y": 0}},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    out_of_range = writer.patch(
        url, {"focal_point": {"x": 2, "y": 0}}, format="json", HTTP_IF_MATCH=changed["ETag"]
    )
    stale = writer.patch(url, {"alt_text": "x"}, format="json", HTTP_IF_MATCH=created["ETag"])
    replaced = writer.put(url, {"alt_text": "x"}, format="json", HTTP_IF_MATCH=changed["ETag"])

    assert changed.status_code == 200 and changed.json()["focal_point"] == {"x": 1.0, "y": 0.0}
    assert (
        out_of_range.status_code == 400 and out_of_range.json()["errors"][0]["pointer"] == "#/focal_point/x"
    )
    assert stale.status_code == 412 and replaced.status_code == 405
    assert Image.objects.get().alt_text == "Columns at dawn"


@pytest.mark.parametrize(
    "file, pointer, detail",
    [
        (
            lambda: png_file(name="notes.png").__class__("notes.png", b"Not a picture at all.", "image/png"),
            "#/file",
            "not one",
        ),
        (lambda: png_file().__class__("bomb.png", png_bomb(), "image/png"), "#/file", "too many pixels"),
        (lambda: png_file(size=(64, 48)), "#/alt_text", "may not be blank"),
    ],
    ids=["text-named-png", "decompression-bomb", "no-alt-text"],
)
def test_a_bad_upload_is_a_400_and_nothing_is_stored(reporter, settings, file, pointer, detail):
    fields = {"alt_text": ""} if pointer == "#/alt_text" else {}

    response = upload(client_for(reporter), file=file(), **fields)

    assert response.status_code == 400, response.content
    error = next(error for error in response.json()["errors"] if error["pointer"] == pointer)
    assert detail in error["detail"]
    assert not Image.objects.exists()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_an_upload_over_the_limit_is_a_413_before_it_is_read(reporter, settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 1000

    response = upload(
        client_for(reporter), file=png_file().__class__("big.png", b"\x89PNG" + b"0" * 100_000, "image/png")
    )

    assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"
    assert "1,000 bytes" in response.json()["detail"]
    assert not Image.objects.exists()


def test_a_retried_upload_gets_the_first_answer(reporter):
    writer = client_for(reporter)
    picture = png_file().read()

    def send(content):
        return writer.post(
            "/api/v1/images/",
            {"alt_text": "Troops", "file": png_file().__class__("p.png", content, "image/png")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = send(picture), send(picture)
    other = send(png_file(size=(10, 10)).read())

    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json() and Image.objects.count() == 1
    assert other.status_code == 422


def test_deleting_an_image_needs_an_editor_and_content_publish(reporter, desk_editor):
    created = upload(client_for(reporter), file=png_file())
    url = f"/api/v1/images/{created.json()['id']}/"

    by_reporter = client_for(reporter, PUBLISHER).delete(url, HTTP_IF_MATCH=created["ETag"])
    without_scope = client_for(desk_editor, WRITER).delete(url, HTTP_IF_MATCH=created["ETag"])
    deleted = client_for(desk_editor, PUBLISHER).delete(url, HTTP_IF_MATCH=created["ETag"])

    assert (by_reporter.status_code, without_scope.status_code, deleted.status_code) == (403, 403, 204)
    assert not Image.objects.exists()


def test_an_article_uses_an_uploaded_image_as_its_hero(desk_editor, api_client):
    editor = client_for(desk_editor, PUBLISHER)
    image = upload(editor, file=png_file()).json()
    SectionFactory(slug="news")
    draft = editor.post(
        "/api/v1/articles/",
        {"slug": "dawn", "headline": "Dawn", "section": "news", "hero_image": image["id"]},
        format="json",
    )
    editor.post("/api/v1/articles/dawn/publish/", {}, format="json", HTTP_IF_MATCH=draft["ETag"])

    assert api_client.get("/api/v1/articles/dawn/").json()["hero_image"] == image
    assert ImageFactory._meta.model.objects.count() == 1


@pytest.mark.parametrize("kind", ["articles", "videos", "authors", "topics", "sections"])
def test_the_edit_route_is_never_public(api_client, reporter, kind):
    factories = {
        "articles": ArticleFactory,
        "videos": VideoFactory,
        "topics": TopicFactory,
        "sections": SectionFactory,
    }
    slug = factories[kind]().slug if kind in factories else Author.objects.create(name="A", slug="a").slug
    url = f"/api/v1/{kind}/{slug}/edit/"

    anonymous = api_client.get(url)
    reader = client_for(reporter, ["content:read", "preview:read"]).get(url)
    writer = client_for(reporter, WRITER).get(url)

    assert (anonymous.status_code, reader.status_code, writer.status_code) == (401, 403, 200)
    assert "no-store" in writer["Cache-Control"] or "private" in writer["Cache-Control"]


def test_an_image_is_uploaded_as_multipart_only(reporter):
    response = client_for(reporter).post("/api/v1/images/", {"alt_text": "x"}, format="json")

    assert response.status_code == 415 and response["Content-Type"] == "application/problem+json"


def test_every_credentialed_route_refuses_anonymous_callers_keys_without_its_scope_and_roleless_owners(
    schema, desk_editor, django_user_model
):
    """Read from the schema, so that a route added later is checked too: no caller, a key without
    the scope the route names (its owner an editor), and a key with every scope whose owner has no
    role are all refused, and nothing changes."""
    items = {
        "slug": None,
        "articles": ArticleFactory(slug="story").slug,
        "videos": VideoFactory(slug="clip").slug,
        "authors": Author.objects.create(name="Jane", slug="jane").slug,
        "topics": "kursk",
        "sections": SectionFactory(slug="news").slug,
    }
    image = ImageFactory()
    everything = ["content:read", "content:write", "content:publish", "preview:read"]
    roleless = client_for(django_user_model.objects.create_user("nobody", is_staff=True), everything)
    counts = {model: model.objects.count() for model in [*MODELS.values(), Image]}
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or {} in operation.get("security", [{}]):
                continue
            kind = path.split("/")[3] if path.split("/")[3] != "drafts" else path.split("/")[4]
            url = path.replace("{slug}", items.get(kind) or "x").replace("{id}", str(image.pk))
            (scope,) = next(option["ApiKey"] for option in operation["security"] if "ApiKey" in option)
            without = client_for(desk_editor, [name for name in everything if name != scope])

            answers = [
                getattr(client, method)(url, {}, format="json", HTTP_IF_MATCH="*").status_code
                for client in (APIClient(), without, roleless)
            ]
            assert answers == [401, 403, 403], (method, url, answers)
            checked += 1
    assert checked >= 35
    assert counts == {model: model.objects.count() for model in counts}


# --- What a hostile review found ------------------------------------------------------------------
def gif_with_html(name="x.html"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8)).save(buffer, format="GIF")
    content = buffer.getvalue() + b"<script>alert(document.domain)</script>"
    return SimpleUploadedFile(name, content, content_type="text/html")


@pytest.mark.parametrize("name", ["x.html", "x.svg", "noextension", "x.php.png"])
def test_an_upload_is_stored_under_a_name_that_ends_as_its_content_is(reporter, name):
    created = upload(client_for(reporter), file=gif_with_html(name))

    assert created.status_code == 201, created.content
    assert created.json()["url"].endswith(".gif") and ".html" not in created.json()["url"]
    assert Image.objects.get().file.name.endswith(".gif")


@pytest.mark.parametrize(
    "payload",
    [
        {"topics": [{}]},
        {"topics": [[]]},
        {"authors": [{}]},
        {"authors": ["\ud800"]},
        {"\ud800": 1},
        {"headline": 1},
        {"headline": ["x"]},
        {"standfirst": "\ud800"},
        {"body": [{"type": "paragraph", "html": "\ud800"}]},
    ],
)
def test_odd_values_in_a_body_are_a_400_never_a_500(desk_editor, payload):
    SectionFactory(slug="news")
    body = {"slug": "odd", "headline": "Odd", "section": "news", **payload}

    response = client_for(desk_editor, PUBLISHER).post(
        "/api/v1/articles/",
        json.dumps(body),
        content_type="application/json",  # escapes lone surrogates
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "fields, pointer",
    [
        ({"provider": "\ud800"}, "#/provider"),
        ({"duration": "999999999 00:00:00"}, "#/duration"),
        ({"duration": "-PT5M"}, "#/duration"),
        ({"duration": ""}, "#/duration"),
    ],
)
def test_odd_video_values_are_a_400_naming_the_field(desk_editor, fields, pointer):
    body = json.dumps({**NEW["videos"], **fields})  # escapes lone surrogates
    response = client_for(desk_editor, PUBLISHER).post(
        "/api/v1/videos/", body, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert [error["pointer"] for error in response.json()["errors"]] == [pointer]


@pytest.mark.parametrize("path", ["abc/", "%C2%B2/", "99999999999999999999999/"])
def test_an_image_id_that_is_not_a_number_is_a_404(desk_editor, path):
    response = client_for(desk_editor, PUBLISHER).get(f"/api/v1/images/{path}")

    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_a_truncated_image_is_a_400_and_leaves_no_file(reporter, settings):
    buffer = io.BytesIO()
    PILImage.new("RGB", (400, 300), (10, 200, 10)).save(buffer, format="JPEG")
    cut = SimpleUploadedFile("cut.jpg", buffer.getvalue()[: len(buffer.getvalue()) // 2], "image/jpeg")

    response = upload(client_for(reporter), file=cut)

    assert response.status_code == 400 and response.json()["errors"][0]["pointer"] == "#/file"
    assert not Image.objects.exists()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_the_public_original_carries_no_camera_or_position_data(reporter):
    picture = PILImage.new("RGB", (60, 40), (90, 90, 90))
    exif = picture.getexif()
    exif[0x010F], exif[0x0112] = "Canon", 6  # make; orientation: turned
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPS latitude
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes())

    created = upload(client_for(reporter), file=SimpleUploadedFile("p.jpg", buffer.getvalue(), "image/jpeg"))

    assert created.status_code == 201
    with Image.objects.get().file.open("rb") as stored, PILImage.open(stored) as original:
        assert dict(original.getexif()) == {} and original.size == (40, 60)  # upright, as shown
    assert (created.json()["width"], created.json()["height"]) == (40, 60)


def test_a_replaced_file_is_gone_once_the_change_commits(
    reporter, settings, django_capture_on_commit_callbacks
):
    writer = client_for(reporter)
    created = upload(writer, file=png_file(name="first.png"))
    first = Image.objects.get().file.name

    with django_capture_on_commit_callbacks(execute=True):
        changed = writer.patch(
            f"/api/v1/images/{created.json()['id']}/",
            {"file": png_file(name="second.png")},
            format="multipart",
            HTTP_IF_MATCH=created["ETag"],
        )

    assert changed.status_code == 200, changed.content
    assert not (settings.MEDIA_ROOT / first).exists()
    assert (settings.MEDIA_ROOT / Image.objects.get().file.name).exists()


def test_a_focal_point_may_come_as_a_json_part_and_a_stray_one_is_refused(reporter):
    writer = client_for(reporter)

    as_json = upload(writer, file=png_file(), focal_point='{"x": 0.2, "y": 0.8}')
    stray = upload(
        writer, file=png_file(), **{"focal_point.x": "0.2", "focal_point.y": "0.8", "focal_point.z": "1"}
    )
    half = writer.patch(
        f"/api/v1/images/{as_json.json()['id']}/",
        {"focal_point": {"x": 0.1}},
        format="json",
        HTTP_IF_MATCH=as_json["ETag"],
    )

    assert as_json.status_code == 201 and as_json.json()["focal_point"] == {"x": 0.2, "y": 0.8}
    assert stray.status_code == 400 and stray.json()["errors"][0]["pointer"] == "#/focal_point.z"
    assert half.status_code == 400 and half.json()["errors"][0]["pointer"] == "#/focal_point/y"


def test_an_image_an_article_leads_with_is_not_deleted(desk_editor):
    editor = client_for(desk_editor, PUBLISHER)
    created = upload(editor, file=png_file())
    ArticleFactory(live=True, hero_image=Image.objects.get())

    response = editor.delete(f"/api/v1/images/{created.json()['id']}/", HTTP_IF_MATCH=created["ETag"])

    assert response.status_code == 409 and Image.objects.exists()


def test_the_edit_route_answers_a_304_for_the_etag_held(reporter):
    ArticleFactory(slug="story")
    writer = client_for(reporter, WRITER)
    first = writer.get("/api/v1/articles/story/edit/", {"fields": "bogus"})  # no ?fields= there

    again = writer.get("/api/v1/articles/story/edit/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and again.status_code == 304 and again["ETag"] == first["ETag"]
