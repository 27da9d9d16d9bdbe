import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage

from articles.images import RENDITION_WIDTHS, validate_image_upload
from articles.models import Image

from .factories import ArticleFactory, ImageFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_image_add")


def upload(name="photo.jpg", size=(64, 48), format="JPEG", color=(200, 30, 30), **save_options):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format=format, **save_options)
    return SimpleUploadedFile(name, buffer.getvalue())


def post_image(admin_client, file, **fields):
    data = {"file": file, "alt_text": "Soldiers on parade", "caption": "", "credit": "", **fields}
    return admin_client.post(
        ADD_URL, {**data, "focal_x": data.get("focal_x", ""), "focal_y": data.get("focal_y", "")}
    )


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def open_rendition(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return PILImage.open(io.BytesIO(b"".join(response.streaming_content)))


# --- Upload through the admin ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "format"),
    [("photo.png", "PNG"), ("photo.jpg", "JPEG"), ("photo.webp", "WEBP"), ("photo.gif", "GIF")],
)
def test_admin_upload_of_a_good_image_stores_size_and_renditions(admin_client, name, format):
    response = post_image(admin_client, upload(name, size=(700, 350), format=format))

    assert response.status_code == 302, response.context["adminform"].form.errors
    image = Image.objects.get()
    assert (image.width, image.height) == (700, 350)
    assert [(r["width"], r["height"]) for r in image.renditions] == [(320, 160), (640, 320), (700, 350)]


def test_a_text_file_named_jpg_is_rejected_by_its_content(admin_client, settings):
    response = post_image(admin_client, SimpleUploadedFile("photo.jpg", b"Not a picture at all."))

    assert response.status_code == 200
    assert "Upload a valid image" in str(response.context["adminform"].form.errors["file"])
    assert not Image.objects.exists()
    assert stored_files(settings) == []


def test_an_image_in_another_format_is_rejected_whatever_its_name(admin_client, settings):
    response = post_image(admin_client, upload("photo.png", format="BMP"))

    assert response.status_code == 200
    assert "Upload a JPEG, PNG, WebP or GIF image" in str(response.context["adminform"].form.errors["file"])
    assert not Image.objects.exists()
    assert stored_files(settings) == []


def test_a_file_over_the_size_limit_is_rejected(admin_client, settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 100

    response = post_image(admin_client, upload(size=(64, 48)))

    assert response.status_code == 200
    assert "files up to 100\xa0bytes can be uploaded" in str(
        response.context["adminform"].form.errors["file"]
    )
    assert not Image.objects.exists()
    assert stored_files(settings) == []


def test_an_image_wider_than_the_limit_is_rejected(admin_client, settings):
    settings.IMAGE_MAX_DIMENSION = 50

    response = post_image(admin_client, upload(size=(64, 48)))

    assert response.status_code == 200
    assert "The image is 64 × 48 pixels; at most 50 pixels per side" in str(
        response.context["adminform"].form.errors["file"]
    )
    assert not Image.objects.exists()


def test_an_image_with_too_many_pixels_is_rejected(admin_client, settings):
    settings.IMAGE_MAX_PIXELS = 1000

    response = post_image(admin_client, upload(size=(64, 48)))

    assert response.status_code == 200
    assert "megapixels" in str(response.context["adminform"].form.errors["file"])
    assert not Image.objects.exists()


def test_a_decompression_bomb_is_rejected_before_it_is_decoded(admin_client, settings, monkeypatch):
    # Pillow refuses to open images over twice MAX_IMAGE_PIXELS; lower it instead of building a bomb.
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 500)

    response = post_image(admin_client, upload(size=(64, 48)))
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload(size=(64, 48)))

    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not Image.objects.exists()
    assert stored_files(settings) == []
    assert error.value.messages == ["The image has too many pixels to process safely."]


def test_full_clean_rejects_a_text_file_named_jpg():
    image = Image(file=SimpleUploadedFile("photo.jpg", b"Not a picture at all."), alt_text="Text")

    with pytest.raises(ValidationError) as error:
        image.full_clean()

    assert "This file is not one, or it is damaged" in error.value.message_dict["file"][0]


def test_alt_text_is_required(admin_client, settings):
    response = post_image(admin_client, upload(), alt_text="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["alt_text"] == ["This field is required."]
    assert not Image.objects.exists()
    assert stored_files(settings) == []


def test_editing_an_image_keeps_its_file_and_renditions(admin_client, settings):
    image = ImageFactory(file=upload(size=(700, 350)))
    renditions = image.renditions
    settings.IMAGE_MAX_UPLOAD_BYTES = 10  # limits apply to new uploads, not to stored files

    response = admin_client.post(
        reverse("admin:articles_image_change", args=[image.pk]),
        {"alt_text": "New words", "caption": "", "credit": "", "focal_x": "0.25", "focal_y": "0.75"},
    )

    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.alt_text, image.focal_point) == ("New words", {"x": 0.25, "y": 0.75})
    assert image.renditions == renditions


# --- Renditions ------------------------------------------------------------------------------
def test_renditions_are_never_wider_than_the_original_and_keep_its_aspect_ratio(client):
    image = ImageFactory(file=upload(size=(1100, 733)))

    assert [(r["width"], r["height"]) for r in image.renditions] == [
        (320, 213),
        (640, 426),
        (1024, 682),
        (1100, 733),
    ]
    for rendition in image.renditions:
        with image.file.storage.open(rendition["path"]) as file, PILImage.open(file) as stored:
            assert stored.format == "WEBP"
            assert stored.size == (rendition["width"], rendition["height"])


def test_a_small_image_has_one_rendition_at_its_own_width():
    image = ImageFactory(file=upload(size=(64, 48)))

    assert [(r["width"], r["height"]) for r in image.renditions] == [(64, 48)]


def test_a_very_wide_image_stops_at_the_widest_standard_width():
    image = ImageFactory(file=upload(size=(3000, 60)))

    assert [r["width"] for r in image.renditions] == list(RENDITION_WIDTHS)


def test_renditions_follow_exif_orientation_and_carry_no_metadata(client):
    # Stored landscape, top half red and bottom half blue; orientation 6 means "rotate 90° clockwise
    # to display", so it is shown portrait with the red half on the right.
    original = PILImage.new("RGB", (60, 40), (0, 0, 255))
    original.paste((255, 0, 0), (0, 0, 60, 20))
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Model] = "Secret camera"
    buffer = io.BytesIO()
    original.save(buffer, format="JPEG", exif=exif, quality=95)

    image = ImageFactory(file=SimpleUploadedFile("rotated.jpg", buffer.getvalue()))

    assert (image.width, image.height) == (40, 60)
    [rendition] = image.renditions
    with image.file.storage.open(rendition["path"]) as file, PILImage.open(file) as stored:
        assert stored.size == (40, 60)
        red, green, blue = stored.convert("RGB").getpixel((35, 30))
        assert red > 200 and blue < 60
        red, green, blue = stored.convert("RGB").getpixel((5, 30))
        assert blue > 200 and red < 60
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_transparency_is_kept():
    buffer = io.BytesIO()
    PILImage.new("RGBA", (40, 40), (255, 0, 0, 0)).save(buffer, format="PNG")

    image = ImageFactory(file=SimpleUploadedFile("clear.png", buffer.getvalue()))

    with image.file.storage.open(image.renditions[0]["path"]) as file, PILImage.open(file) as stored:
        assert stored.mode == "RGBA"
        assert stored.getpixel((10, 10))[3] == 0


def test_a_new_file_replaces_the_renditions(django_capture_on_commit_callbacks):
    image = ImageFactory(file=upload(size=(700, 350)))
    storage, old_paths = image.file.storage, [r["path"] for r in image.renditions]

    image.file = upload("other.png", size=(400, 200), format="PNG")
    with django_capture_on_commit_callbacks(execute=True):
        image.save()

    image.refresh_from_db()
    assert [(r["width"], r["height"]) for r in image.renditions] == [(320, 160), (400, 200)]
    assert (image.width, image.height) == (400, 200)
    assert not any(storage.exists(path) for path in old_paths)
    assert all(storage.exists(r["path"]) for r in image.renditions)


def test_saving_without_a_new_file_leaves_the_renditions_alone(django_assert_num_queries):
    image = ImageFactory(file=upload(size=(700, 350)))
    image = Image.objects.get(pk=image.pk)
    renditions = image.renditions

    image.caption = "Changed"
    with django_assert_num_queries(1):  # the row: no other table is written
        image.save()

    image.refresh_from_db()
    assert image.renditions == renditions


def test_rebuild_renditions_remakes_every_image(settings, django_capture_on_commit_callbacks):
    images = [ImageFactory(file=upload(size=(700, 350))), ImageFactory(file=upload(size=(64, 48)))]
    Image.objects.filter(pk=images[0].pk).update(renditions=[], width=None, height=None)
    stale = images[1].renditions[0]["path"]
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("rebuild_renditions", stdout=out)

    assert "2 image(s)" in out.getvalue()
    first, second = (Image.objects.get(pk=image.pk) for image in images)
    assert (first.width, first.height) == (700, 350)
    assert [r["width"] for r in first.renditions] == [320, 640, 700]
    assert [r["width"] for r in second.renditions] == [64]
    storage = first.file.storage
    assert all(storage.exists(r["path"]) for r in [*first.renditions, *second.renditions])
    assert second.renditions[0]["path"] != stale and not storage.exists(stale)


def test_rebuild_renditions_reports_images_whose_file_is_missing():
    image = ImageFactory()
    image.file.storage.delete(image.file.name)

    with pytest.raises(CommandError, match=f"image {image.pk}"):
        call_command("rebuild_renditions", stdout=io.StringIO())


def test_deleting_an_image_removes_its_files(admin_client, settings, django_capture_on_commit_callbacks):
    image = ImageFactory(file=upload(size=(700, 350)))
    assert len(stored_files(settings)) == 4  # the original and three renditions

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:articles_image_delete", args=[image.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Image.objects.exists()
    assert stored_files(settings) == []


def test_bulk_deleting_images_removes_their_files(settings, django_capture_on_commit_callbacks):
    ImageFactory.create_batch(2, file=upload(size=(400, 200)))

    with django_capture_on_commit_callbacks(execute=True):
        Image.objects.all().delete()

    assert stored_files(settings) == []


# --- Focal point -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("focal_x", "focal_y", "field", "message"),
    [
        ("1.5", "0.5", "focal_x", "Ensure this value is less than or equal to 1.0."),
        ("0.5", "-0.1", "focal_y", "Ensure this value is greater than or equal to 0.0."),
    ],
)
def test_focal_point_outside_the_image_is_rejected(admin_client, focal_x, focal_y, field, message):
    response = post_image(admin_client, upload(), focal_x=focal_x, focal_y=focal_y)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert not Image.objects.exists()


def test_focal_point_needs_both_coordinates(admin_client):
    response = post_image(admin_client, upload(), focal_x="0.5")

    assert response.status_code == 200
    assert "Set both focal point fields, or neither." in response.text
    assert not Image.objects.exists()


# --- Admin pages -----------------------------------------------------------------------------
def test_admin_preview_uses_a_small_rendition_and_the_form_lists_them(admin_client):
    image = ImageFactory(file=upload(size=(700, 350)), alt_text="Tanks at dawn")
    small_url = image.file.storage.url(image.renditions[0]["path"])

    changelist = admin_client.get(reverse("admin:articles_image_changelist"))
    change = admin_client.get(reverse("admin:articles_image_change", args=[image.pk]))

    assert f'<img src="{small_url}" alt="Tanks at dawn"' in changelist.text
    assert f'<img src="{small_url}" alt="Tanks at dawn"' in change.text
    assert "320 × 160" in change.text and "700 × 350" in change.text
    assert 'name="focal_x"' in change.text and 'name="focal_y"' in change.text


# --- API -------------------------------------------------------------------------------------
def test_api_serves_renditions_sorted_by_width_with_urls_that_resolve(api_client):
    image = ImageFactory(file=upload(size=(1100, 733)), focal_x=0.3, focal_y=0.6)
    article = ArticleFactory(live=True, hero_image=image)

    hero = api_client.get(f"/api/v1/articles/{article.slug}/").json()["hero_image"]

    assert hero["focal_point"] == {"x": 0.3, "y": 0.6}
    assert [(r["width"], r["height"]) for r in hero["renditions"]] == [
        (320, 213),
        (640, 426),
        (1024, 682),
        (1100, 733),
    ]
    for rendition in hero["renditions"]:
        assert rendition["url"].startswith("http://testserver/media/renditions/")
        with open_rendition(api_client, rendition["url"]) as served:
            assert served.size == (rendition["width"], rendition["height"])


def test_api_serves_a_null_focal_point_when_none_is_set(api_client):
    article = ArticleFactory(live=True, hero_image=ImageFactory())

    hero = api_client.get("/api/v1/articles/").json()["results"][0]["hero_image"]

    assert hero["focal_point"] is None
    assert [(r["width"], r["height"]) for r in hero["renditions"]] == [(64, 48)]
    assert article.hero_image.renditions[0]["path"] in hero["renditions"][0]["url"]
