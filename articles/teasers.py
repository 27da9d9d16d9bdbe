"""Teaser cards: the small shape shared by related content and the latest items of a topic,
section or author. Kept apart from serializers.py so that topics can use it without a cycle."""

from rest_framework import serializers

from .models import Article, Image


class ImageSerializer(serializers.ModelSerializer):
    """An image: original URL, size in pixels, alt text and credits."""

    url = serializers.ImageField(
        source="file", read_only=True, help_text="Absolute URL of the original file."
    )

    class Meta:
        model = Image
        fields = ["id", "url", "width", "height", "alt_text", "caption", "credit"]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}


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
        is_article = isinstance(item, Article)
        image = item.hero_image if is_article else item.thumbnail
        return {
            "type": "article" if is_article else "video",
            "id": item.pk,
            "slug": item.slug,
            "title": item.headline if is_article else item.title,
            "summary": item.standfirst if is_article else item.description,
            "thumbnail": ImageSerializer(image, context=self.context).data if image else None,
            "published_at": self.fields["published_at"].to_representation(item.published_at),
        }
