"""Image files: what an upload must be, and the resized copies (renditions) made from it.

Renditions are made once, when an image is saved with a new file, and stored beside the original;
requests only ever read them. Their list lives on the Image row, so serving them costs no query."""

import io
import posixpath
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from PIL import Image as PILImage
from PIL import ImageOps

# Standard widths for srcset. After changing them, run `manage.py rebuild_renditions`.
RENDITION_WIDTHS = (320, 640, 1024, 1600, 2400)
RENDITION_QUALITY = 80

# Pillow format names, and only these decoders are tried on an upload; a stored original's name
# ends as its content is, whatever name it came with (an "x.html" that is a GIF is stored as .gif).
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


def validate_image_upload(file) -> None:
    """A new upload must be a JPEG, PNG, WebP or GIF by its content (whatever its name says), within
    the size limit, and small enough in pixels to decode safely (no decompression bombs)."""
    if getattr(file, "_committed", False):
        return  # already stored: it was checked when uploaded, and limits may have changed since
    if file.size > settings.IMAGE_MAX_UPLOAD_BYTES:
        raise ValidationError(
            "The file is %(size)s; files up to %(limit)s can be uploaded.",
            code="file_too_large",
            params={
                "size": filesizeformat(file.size),
                "limit": filesizeformat(settings.IMAGE_MAX_UPLOAD_BYTES),
            },
        )
    not_an_image = ValidationError(
        "Upload a JPEG, PNG, WebP or GIF image. This file is not one, or it is damaged.",
        code="unsupported_image",  # not "invalid_image": ModelForm would put its own message in
    )
    file.seek(0)
    try:
        # open() reads only the header, so the size is known before any pixel is decoded.
        with PILImage.open(file, formats=UPLOAD_FORMATS) as image:
            _check_dimensions(*image.size)
            image.verify()
        file.seek(0)
        with PILImage.open(file, formats=UPLOAD_FORMATS) as image:
            image.load()  # every pixel there: a truncated file fails here, not when copies are made
    except PILImage.DecompressionBombError as error:
        raise ValidationError(
            "The image has too many pixels to process safely.", code="image_too_large"
        ) from error
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds of errors on files it cannot read
        raise not_an_image from error
    finally:
        file.seek(0)


def stored_name(file) -> str:
    """The name an upload is stored under: its own, ending as its content is (a checked image)."""
    file.seek(0)
    with PILImage.open(file, formats=UPLOAD_FORMATS) as image:
        extension = EXTENSIONS[image.format]
    file.seek(0)
    stem = posixpath.splitext(posixpath.basename(file.name or ""))[0].rsplit(".", 1)[0] or "image"
    return stem + extension


def _check_dimensions(width: int, height: int) -> None:
    max_side, max_pixels = settings.IMAGE_MAX_DIMENSION, settings.IMAGE_MAX_PIXELS
    if width > max_side or height > max_side:
        raise ValidationError(
            "The image is %(width)s × %(height)s pixels; at most %(max)s pixels per side are allowed.",
            code="image_too_large",
            params={"width": width, "height": height, "max": max_side},
        )
    if width * height > max_pixels:
        raise ValidationError(
            "The image has %(pixels)s megapixels; at most %(max)s are allowed.",
            code="image_too_large",
            params={"pixels": round(width * height / 1e6, 1), "max": round(max_pixels / 1e6, 1)},
        )


def without_metadata(file) -> ContentFile | None:
    """A copy of an upload without its EXIF and XMP metadata (camera, GPS position, ...), upright,
    with its colour profile; None when it carries none. The original is public (its URL is in the
    API), and a photo's position can name a source. Animated images are kept as they are."""
    file.seek(0)
    with PILImage.open(file, formats=UPLOAD_FORMATS) as image:
        exif = image.getexif()
        carries = bool(exif) or "xmp" in image.info or "XML:com.adobe.xmp" in image.info
        if not carries or image.format == "GIF" or getattr(image, "is_animated", False):
            file.seek(0)
            return None
        options = {"icc_profile": image.info.get("icc_profile")}
        if image.format == "JPEG" and exif.get(0x0112, 1) == 1:  # upright already: its own encoding
            options.update(quality="keep", subsampling="keep", qtables="keep")
            copy = image
        else:
            copy = ImageOps.exif_transpose(image)
            if image.format in ("JPEG", "WEBP"):
                options["quality"] = 95
        buffer = io.BytesIO()
        copy.save(buffer, format=image.format, **{k: v for k, v in options.items() if v is not None})
    file.seek(0)
    return ContentFile(buffer.getvalue(), name=file.name)


def rendition_widths(width: int) -> list[int]:
    """The standard widths narrower than the original, plus the original's own width if it is not
    wider than the widest standard one: never upscaled, and never a copy larger than srcset needs."""
    widths = [standard for standard in RENDITION_WIDTHS if standard < width]
    if width <= RENDITION_WIDTHS[-1]:
        widths.append(width)
    return widths


def make_renditions(storage: Storage, name: str) -> tuple[tuple[int, int], list[dict]]:
    """Write the renditions of the stored original `name` as WebP files under renditions/, upright
    (EXIF orientation applied) and without metadata apart from the colour profile. Returns the
    original's size as displayed and the renditions, narrowest first: [{width, height, path}]."""
    directory = posixpath.join("renditions", posixpath.splitext(name)[0])
    with storage.open(name, "rb") as original, PILImage.open(original) as image:
        ImageOps.exif_transpose(image, in_place=True)
        # The colour profile is kept (without it wide-gamut photos look dull), but only when the pixels
        # stay in its colour space: a CMYK or greyscale profile does not describe RGB pixels.
        profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        width, height = image.size
        renditions = []
        try:
            _write_renditions(storage, directory, image, profile, renditions)
        except Exception:
            for rendition in renditions:  # nothing of a failed save stays behind
                storage.delete(rendition["path"])
            raise
    return (width, height), renditions


def _write_renditions(storage, directory, image, profile, renditions) -> None:
    """Each standard width's copy as WebP, appended to `renditions` as it is stored."""
    width, height = image.size
    for target in rendition_widths(width):
        target_height = max(1, round(height * target / width))
        resized = (
            image
            if target == width
            else image.resize((target, target_height), PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        )
        buffer = io.BytesIO()
        # WebP's encoder writes EXIF and XMP only when asked to, so camera and GPS data stay out.
        resized.save(buffer, format="WEBP", quality=RENDITION_QUALITY, icc_profile=profile)
        path = storage.save(f"{directory}/{target}.webp", ContentFile(buffer.getvalue()))
        renditions.append({"width": target, "height": target_height, "path": path})


def delete_files_on_commit(storage: Storage, names: Iterable[str]) -> None:
    """Delete stored files once the current transaction commits (at once outside of one), so that
    a rolled-back save or delete never leaves a row pointing at missing files."""
    names = [name for name in names if name]

    def delete():
        for name in names:
            storage.delete(name)

    if names:
        transaction.on_commit(delete)


def delete_image_files(sender, instance, **kwargs) -> None:
    """post_delete: a deleted image takes its original and its renditions with it (connected in
    ArticlesConfig.ready, so that bulk deletes from the admin are covered too)."""
    rendition_paths = [rendition["path"] for rendition in instance.renditions]
    delete_files_on_commit(instance.file.storage, [instance.file.name, *rendition_paths])
