"""Teaser cards: the small shape shared by related content and the latest items of a topic,
section or author. Kept apart from serializers.py so that topics can use it without a cycle."""

from django.core.files.storage import FileSystemStorage
from django.utils.encoding import filepath_to_uri
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cms.representation import absolute, iso

from .models import Article, Image


class FocalPointSerializer(serializers.Serializer):
    """Where the subject of an image is, as fractions of its width and height."""

    x = serializers.FloatField(help_text="From the left edge: 0 is the left, 1 the right.")
    y = serializers.FloatField(help_text="From the top edge: 0 is the top, 1 the bottom.")


class RenditionSerializer(serializers.Serializer):
    """A resized copy of an image, for srcset."""

    url = serializers.SerializerMethodField(help_text="Absolute URL of the file.")
    width = serializers.IntegerField(help_text="Pixels.")
    height = serializers.IntegerField(help_text="Pixels.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, rendition):  # schema only: ImageSerializer writes renditions itself
        return absolute(self.context, media_url(rendition["path"]))


def _storage():
    return Image._meta.get_field("file").storage


def media_url(name: str) -> str:
    """The storage's URL for a stored file. FileSystemStorage's url() goes through urljoin, which
    shows up in profiles of every list (six URLs per image): for it, join the strings directly."""
    storage = _storage()
    if isinstance(storage, FileSystemStorage) and storage.base_url.endswith("/"):
        return storage.base_url + filepath_to_uri(name).lstrip("/")
    return storage.url(name)


class ImageSerializer(serializers.ModelSerializer):
    """An image: original URL, size in pixels, alt text and credits, focal point and resized copies.
    Frontends build srcset from `renditions` and crop around `focal_point`."""

    url = serializers.ImageField(
        source="file", read_only=True, help_text="Absolute URL of the original file."
    )
    focal_point = FocalPointSerializer(
        read_only=True,
        allow_null=True,
        help_text="Where the subject is, so that crops keep it in view; null: crop around the centre.",
    )
    renditions = RenditionSerializer(
        many=True,
        read_only=True,
        help_text="Resized copies, narrowest first; never wider than the original. Use them for srcset.",
    )

    class Meta:
        model = Image
        fields = [
            "id",
            "url",
            "width",
            "height",
            "alt_text",
            "caption",
            "credit",
            "focal_point",
            "renditions",
        ]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}

    def to_representation(self, image):
        return image_data(image, self.context)


def image_data(image: Image, context: dict) -> dict:
    """ImageSerializer's output, built directly: images appear in almost every response."""
    return {
        "id": image.pk,
        "url": absolute(context, media_url(image.file.name)) if image.file else None,
        "width": image.width,
        "height": image.height,
        "alt_text": image.alt_text,
        "caption": image.caption,
        "credit": image.credit,
        "focal_point": image.focal_point,
        "renditions": [
            {"url": absolute(context, media_url(r["path"])), "width": r["width"], "height": r["height"]}
            for r in image.renditions
        ],
    }


class TeaserSerializer(serializers.Serializer):
    """A card linking to an article or a video."""

    type = serializers.ChoiceField(choices=["article", "video"], help_text="What the card links to.")
    id = serializers.IntegerField(help_text="Stable identifier of the article or video.")
    slug = serializers.SlugField(help_text="Slug of the article or video.")
    title = serializers.CharField(help_text="Headline of the article, or title of the video.")
    summary = serializers.CharField(help_text="Standfirst of the article, or description of the video.")
    thumbnail = ImageSerializer(
        allow_null=True, help_text="Hero image of the article, or thumbnail of the video."
    )
    published_at = serializers.DateTimeField(help_text="When it went live (UTC).")

    def to_representation(self, item):
        return teaser_data(item, self.context)


def teaser_data(item, context: dict) -> dict:
    is_article = isinstance(item, Article)
    image = item.hero_image if is_article else item.thumbnail
    return {
        "type": "article" if is_article else "video",
        "id": item.pk,
        "slug": item.slug,
        "title": item.headline if is_article else item.title,
        "summary": item.standfirst if is_article else item.description,
        "thumbnail": image_data(image, context) if image else None,
        "published_at": iso(item.published_at),
    }
