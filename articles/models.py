from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q

from cms.publishing import Publishable, PublishableQuerySet
from topics.models import Topic

from .richtext import html_to_blocks, sanitize_html


class Author(models.Model):
    name = models.CharField(max_length=150, help_text="Full name as shown in the byline.")
    slug = models.SlugField(max_length=150, unique=True, help_text="URL name; unique.")
    role = models.CharField(max_length=150, blank=True, help_text="e.g. “Defence correspondent”.")
    bio = models.TextField(blank=True, help_text="A short biography.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Image(models.Model):
    file = models.ImageField(
        upload_to="images/%Y/%m/", width_field="width", height_field="height", help_text="The original."
    )
    alt_text = models.CharField(
        max_length=300, help_text="Describes the image for people who cannot see it. Required."
    )
    caption = models.CharField(max_length=500, blank=True, help_text="Shown under the image.")
    credit = models.CharField(max_length=200, blank=True, help_text="Photographer or agency.")
    width = models.PositiveIntegerField(editable=False, null=True, help_text="Pixels, read from the file.")
    height = models.PositiveIntegerField(editable=False, null=True, help_text="Pixels, read from the file.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.alt_text


class VideoQuerySet(PublishableQuerySet):
    def for_api(self):
        return self.select_related("section", "thumbnail").prefetch_related(
            Prefetch("topics", queryset=Topic.objects.active())
        )


class Video(Publishable):
    class Provider(models.TextChoices):
        YOUTUBE = "youtube", "YouTube"
        VIMEO = "vimeo", "Vimeo"
        SELF_HOSTED = "self_hosted", "Self-hosted"
        OTHER = "other", "Other"

    title = models.CharField(max_length=200, help_text="Shown on the player and on teaser cards.")
    slug = models.SlugField(max_length=200, unique=True, help_text="URL name; unique.")
    description = models.TextField(blank=True, help_text="A few sentences about the video.")
    provider = models.CharField(
        max_length=20,
        choices=Provider.choices,
        default=Provider.SELF_HOSTED,
        help_text="Who hosts the video.",
    )
    source_url = models.URLField(
        max_length=500, blank=True, help_text="The video file or its page at the provider."
    )
    embed_url = models.URLField(max_length=500, blank=True, help_text="URL for an embedded player (iframe).")
    duration = models.DurationField(null=True, blank=True, help_text="Running time, e.g. 00:02:30.")
    thumbnail = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Poster frame."
    )
    transcript = models.TextField(
        blank=True, help_text="Full text of what is said, for accessibility and search."
    )
    section = models.ForeignKey(
        "topics.Section", null=True, blank=True, on_delete=models.PROTECT, related_name="videos"
    )
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="videos")

    objects = VideoQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self):
        return self.title

    @property
    def duration_seconds(self):
        return None if self.duration is None else int(self.duration.total_seconds())


class ArticleQuerySet(PublishableQuerySet):
    def for_api(self):
        """Everything a list item (teaser) needs, at a fixed number of queries."""
        public_lead_video = Video.objects.published().filter(pk=OuterRef("lead_video_id"))
        return (
            self.select_related("section", "hero_image")
            .prefetch_related(Prefetch("topics", queryset=Topic.objects.active()), "authors")
            .annotate(has_video=Exists(public_lead_video))
        )

    def for_detail_api(self):
        """Everything the article page needs, at a fixed number of queries."""
        public_related = RelatedContent.objects.filter(
            Q(target_article__in=Article.objects.published()) | Q(target_video__in=Video.objects.published())
        ).select_related("target_article__hero_image", "target_video__thumbnail")
        return (
            self.for_api()
            .select_related("lead_video__thumbnail")
            .prefetch_related(Prefetch("related_items", queryset=public_related))
        )


class Article(Publishable):
    headline = models.CharField(max_length=200, help_text="The main title.")
    slug = models.SlugField(max_length=200, unique=True, help_text="URL name; unique.")
    standfirst = models.CharField(max_length=400, blank=True, help_text="One sentence under the headline.")
    body_html = models.TextField(
        "body",
        blank=True,
        help_text="The article text. Sanitized when saved: only what the editor can produce is kept.",
    )
    body = models.JSONField(
        "body blocks", default=list, editable=False, help_text="Typed blocks derived from the body on save."
    )
    section = models.ForeignKey("topics.Section", on_delete=models.PROTECT, related_name="articles")
    topics = models.ManyToManyField("topics.Topic", blank=True, related_name="articles")
    authors = models.ManyToManyField(Author, blank=True, related_name="articles")
    hero_image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Main picture."
    )
    lead_video = models.ForeignKey(
        Video,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_of",
        help_text="Shown at the top instead of the hero image.",
    )
    seo_title = models.CharField(
        "SEO title", max_length=70, blank=True, help_text="For search engines; defaults to the headline."
    )
    seo_description = models.CharField(
        "SEO description",
        max_length=160,
        blank=True,
        help_text="For search engines; defaults to the standfirst.",
    )
    canonical_url = models.URLField(
        max_length=500, blank=True, help_text="Only when the original lives elsewhere (syndicated content)."
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]  # stable order for pagination
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.body_html = sanitize_html(self.body_html)
        self.body = html_to_blocks(self.body_html)
        super().save(*args, **kwargs)


class RelatedContent(models.Model):
    """One teaser card under an article: another article or a video, in the editor's order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_items")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers first.")
    target_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="article"
    )
    target_video = models.ForeignKey(
        Video, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="video"
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "related item"
        constraints = [
            models.CheckConstraint(
                condition=Q(target_article__isnull=True, target_video__isnull=False)
                | Q(target_article__isnull=False, target_video__isnull=True),
                name="related_content_exactly_one_target",
                violation_error_message="Pick either an article or a video.",
            ),
            models.CheckConstraint(
                condition=~Q(target_article=F("article")),
                name="related_content_not_itself",
                violation_error_message="An article cannot be related to itself.",
            ),
            models.UniqueConstraint(
                fields=["article", "target_article"], name="related_content_unique_article"
            ),
            models.UniqueConstraint(fields=["article", "target_video"], name="related_content_unique_video"),
        ]

    def __str__(self):
        return str(self.target_article or self.target_video)

    @property
    def target(self):
        return self.target_article or self.target_video


def latest_public_content(*, limit: int = 12, **lookups) -> list:
    """The newest publicly visible articles and videos matching `lookups` (e.g. topics=topic),
    newest first, in two queries."""
    articles = Article.objects.published().filter(**lookups).select_related("hero_image")[:limit]
    videos = Video.objects.published().filter(**lookups).select_related("thumbnail")[:limit]
    items = sorted([*articles, *videos], key=lambda item: (item.published_at, item.pk), reverse=True)
    return items[:limit]
