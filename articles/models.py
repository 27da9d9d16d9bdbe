from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import BooleanField, Case, F, Prefetch, Q, When
from django.utils import timezone

from cms.publishing import PUBLISHING_FIELDS, Publishable, PublishableQuerySet, Status, live, live_index
from topics.models import Topic

from .blocks import plain_text
from .images import delete_files_on_commit, make_renditions, validate_image_upload, without_metadata
from .richtext import html_to_blocks, sanitize_html
from .search import refresh_after_save

# The columns of a teaser card both kinds share; each adds its title, summary and image.
TEASER_FIELDS = ("id", "slug", *PUBLISHING_FIELDS, "updated_at")


class Author(models.Model):
    name = models.CharField(max_length=150, help_text="Full name as shown in the byline.")
    slug = models.SlugField(max_length=150, unique=True, help_text="URL name; unique.")
    role = models.CharField(max_length=150, blank=True, help_text="e.g. “Defence correspondent”.")
    bio = models.TextField(blank=True, help_text="A short biography.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


FOCAL_RANGE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Image(models.Model):
    file = models.ImageField(
        upload_to="images/%Y/%m/",
        width_field="width",
        height_field="height",
        validators=[validate_image_upload],
        help_text="The original: JPEG, PNG, WebP or GIF. Resized copies are made from it when saved.",
    )
    alt_text = models.CharField(
        max_length=300, help_text="Describes the image for people who cannot see it. Required."
    )
    caption = models.CharField(max_length=500, blank=True, help_text="Shown under the image.")
    credit = models.CharField(max_length=200, blank=True, help_text="Photographer or agency.")
    width = models.PositiveIntegerField(
        editable=False, null=True, help_text="Pixels, as displayed (EXIF orientation applied)."
    )
    height = models.PositiveIntegerField(
        editable=False, null=True, help_text="Pixels, as displayed (EXIF orientation applied)."
    )
    focal_x = models.FloatField(
        "focal point across",
        null=True,
        blank=True,
        validators=FOCAL_RANGE,
        help_text="Where the subject is, so crops keep it in view: 0 is the left edge, 0.5 the middle, "
        "1 the right edge. Leave both focal point fields empty to crop around the centre.",
    )
    focal_y = models.FloatField(
        "focal point down",
        null=True,
        blank=True,
        validators=FOCAL_RANGE,
        help_text="Where the subject is, so crops keep it in view: 0 is the top edge, 0.5 the middle, "
        "1 the bottom edge.",
    )
    renditions = models.JSONField(
        default=list,
        editable=False,
        help_text="Resized copies of the file, made when it is saved: width, height and storage path "
        "of each, narrowest first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(focal_x__isnull=True, focal_y__isnull=True)
                | Q(focal_x__isnull=False, focal_y__isnull=False),
                name="image_focal_point_both_or_neither",
                violation_error_message="Set both focal point fields, or neither.",
            ),
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="image_focal_point_in_range",
                violation_error_message="Focal point fields go from 0 to 1.",
            ),
        ]

    def __str__(self):
        return self.alt_text

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        stale = []
        if (update_fields is None or "file" in update_fields) and self._file_changed():
            stale = self._make_renditions()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "renditions", "width", "height"}
        super().save(*args, **kwargs)
        self._saved_file_name = self.file.name
        delete_files_on_commit(self.file.storage, stale)

    @classmethod
    def from_db(cls, db, field_names, values):
        image = super().from_db(db, field_names, values)
        if "file" in field_names:
            # Which file the stored renditions were made from, so that save() notices a new one.
            image._saved_file_name = values[field_names.index("file")]
        return image

    def rebuild_renditions(self):
        """Make the renditions of the current file again, e.g. after the standard widths changed."""
        stale = self._make_renditions()
        self.save(update_fields=["renditions", "width", "height"])
        delete_files_on_commit(self.file.storage, stale)

    def _file_changed(self):
        if "file" in self.get_deferred_fields():
            return False
        return not self.file._committed or self.file.name != getattr(self, "_saved_file_name", None)

    def _make_renditions(self):
        """Renditions of the current file, and its displayed size; returns the paths they replace:
        the old renditions and, when the file is a new one, the old original."""
        previous = [rendition["path"] for rendition in self.renditions]
        replaced = getattr(self, "_saved_file_name", None)
        if replaced and replaced != self.file.name:
            previous.append(replaced)  # a takedown by replacement takes the old file down too
        if not self.file:
            self.renditions = []
            return previous
        if not self.file._committed:
            # Store the original first, as FileField.pre_save would, so copies are made from the stored
            # file; without its metadata (articles.images.without_metadata).
            self.file.save(self.file.name, without_metadata(self.file.file) or self.file.file, save=False)
            stored = self.file.name
            try:
                (self.width, self.height), self.renditions = make_renditions(self.file.storage, stored)
            except Exception:
                self.file.storage.delete(stored)  # nothing written stays behind a failed save
                raise
        else:
            (self.width, self.height), self.renditions = make_renditions(self.file.storage, self.file.name)
        current = {rendition["path"] for rendition in self.renditions}
        return [path for path in previous if path not in current]

    @property
    def focal_point(self):
        if self.focal_x is None or self.focal_y is None:
            return None
        return {"x": self.focal_x, "y": self.focal_y}


RIGHTS_FIELDS = ("copyright_holder", "credit_line", "usage_terms")


class Rights(models.Model):
    """Who owns an item and what others may do with it: carried by the API, feeds, JSON-LD and
    ninjs (articles.rights gives the values served, with the publisher's defaults)."""

    copyright_holder = models.CharField(
        max_length=200, blank=True, help_text="Who holds the copyright. Blank: the publisher (SITE_NAME)."
    )
    credit_line = models.CharField(
        max_length=200,
        blank=True,
        help_text="Credit shown with the item, e.g. “Reuters” for wire copy. Blank: none.",
    )
    usage_terms = models.CharField(
        max_length=500,
        blank=True,
        help_text="What partners may do with it, e.g. “Editorial use only”. Blank: the publisher's "
        "default terms (DEFAULT_USAGE_TERMS).",
    )

    class Meta:
        abstract = True


class SeoFields(models.Model):
    """What search engines and social cards show, when it should differ from the content's own."""

    seo_title = models.CharField(
        "SEO title", max_length=70, blank=True, help_text="For search engines; defaults to the title."
    )
    seo_description = models.CharField(
        "SEO description",
        max_length=160,
        blank=True,
        help_text="For search engines and social cards; defaults to the summary.",
    )

    class Meta:
        abstract = True


def public_corrections() -> Prefetch:
    """Prefetch of the correction log entries readers see (`item.corrections.all()`), oldest first."""
    return Prefetch("corrections", queryset=Correction.objects.public())


class SearchableManager(models.Manager):
    """Leaves the columns only search reads (in SQL) unloaded: they are as long as the body."""

    def get_queryset(self):
        return super().get_queryset().defer(*self.model.search_only_fields)


class VideoQuerySet(PublishableQuerySet):
    def for_api(self):
        return self.select_related("section", "thumbnail").prefetch_related(
            Prefetch("topics", queryset=Topic.objects.active().for_api())
        )

    def for_detail_api(self):
        """Everything the video page needs: with its correction log."""
        return self.for_api().prefetch_related(public_corrections())

    def for_list_api(self):
        """As for_api(), without the transcript that lists do not show."""
        return self.for_api().defer("transcript")

    def teasers(self):
        """What a teaser card needs (articles.teasers.teaser_data), and no more: topic, section and
        author pages load two dozen of them per request."""
        return self.select_related("thumbnail").only(*TEASER_FIELDS, "title", "description", "thumbnail")

    def for_feed(self):
        """What a feed item needs (articles.feeds), at a fixed number of queries."""
        return (
            self.select_related("thumbnail")
            .prefetch_related(Prefetch("topics", queryset=Topic.objects.active()), public_corrections())
            .defer("transcript")
        )


class Video(Publishable, SeoFields, Rights):
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
    search_vector = SearchVectorField(
        null=True,
        editable=False,
        help_text="For search: the weighted words of `search_fields`, kept on save (PostgreSQL only).",
    )

    objects = SearchableManager.from_queryset(VideoQuerySet)()
    search_fields = {"title": "A", "description": "B", "transcript": "C"}  # articles.search: weights
    search_only_fields = ["search_vector"]

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [live_index("video", include=["expires_at"])]
        permissions = [("publish_video", "Can publish, schedule and unpublish videos")]  # cms/roles.py

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_after_save(self, kwargs.get("update_fields"))

    @property
    def duration_seconds(self):
        return None if self.duration is None else int(self.duration.total_seconds())


def has_public_lead_video(now=None) -> Case:
    """Whether an article leads with a publicly visible video (now, or at `now`): its `has_video`
    (a join, not a subquery: the planner would otherwise scan every video)."""
    now = timezone.now() if now is None else now
    return Case(When(live(now, "lead_video__"), then=True), default=False, output_field=BooleanField())


class LiveStatus(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class ArticleQuerySet(PublishableQuerySet):
    def leading_with_video(self, present: bool = True):
        return self.alias(leads_with_video=has_public_lead_video()).filter(leads_with_video=present)

    def for_api(self):
        """Everything a list item (teaser) needs, at a fixed number of queries. The body is left
        unloaded: lists do not show it, and reading it is most of the cost of a row."""
        return (
            self.select_related("section", "hero_image")
            .prefetch_related(Prefetch("topics", queryset=Topic.objects.active().for_api()), "authors")
            .annotate(has_video=has_public_lead_video())
            .defer("body", "body_html")
        )

    def teasers(self):
        """What a teaser card needs (articles.teasers.teaser_data), and no more."""
        return self.select_related("hero_image").only(*TEASER_FIELDS, "headline", "standfirst", "hero_image")

    def for_feed(self):
        """What a feed item needs (articles.feeds): the body blocks, not the editor's HTML."""
        return (
            self.select_related("hero_image")
            .prefetch_related(
                Prefetch("topics", queryset=Topic.objects.active()), "authors", public_corrections()
            )
            .defer("body_html")
        )

    def with_lead_video(self):
        return self.select_related("lead_video__thumbnail")

    def with_related(self):
        """The related teasers, only those whose target is publicly visible."""
        public_related = RelatedContent.objects.filter(
            live(timezone.now(), "target_article__") | live(timezone.now(), "target_video__")
        ).select_related("target_article__hero_image", "target_video__thumbnail")
        public_related = public_related.defer(
            "target_article__body", "target_article__body_html", "target_video__transcript"
        )
        return self.prefetch_related(Prefetch("related_items", queryset=public_related))

    def for_detail_api(self):
        """Everything the article page needs, at a fixed number of queries."""
        return (
            self.for_api()
            .defer(None)
            .select_related("newsletter", "section__newsletter")  # the signup block
            .with_lead_video()
            .with_related()
            .prefetch_related(public_corrections())
        )


def derive_body(item) -> None:
    """What saving an article or a live post derives from the editor's HTML: the sanitized HTML,
    its blocks, its plain text."""
    item.body_html = sanitize_html(item.body_html)
    item.body = html_to_blocks(item.body_html)
    item.body_text = plain_text(item.body)


class Article(Publishable, SeoFields, Rights):
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
    body_text = models.TextField(
        blank=True,
        default="",
        editable=False,
        help_text="The body as plain text, derived on save, for search.",
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
    newsletter = models.ForeignKey(
        "newsletters.Newsletter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The newsletter promoted in the signup block under the article. Blank: the "
        "section's default newsletter. An inactive newsletter is never shown.",
    )
    live_status = models.CharField(
        "live coverage",
        max_length=10,
        choices=LiveStatus.choices,
        blank=True,
        default="",
        help_text="Makes the article a live page: a stream of timestamped posts under the body. "
        "Upcoming: announced; live: being covered now; ended: covered, kept as it is.",
    )
    coverage_start = models.DateTimeField(
        null=True, blank=True, help_text="When live coverage starts (or started)."
    )
    coverage_end = models.DateTimeField(
        null=True, blank=True, help_text="When live coverage ends (or ended)."
    )
    live_revision = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Goes up with every change readers see in the live posts: where `?since=` polling is.",
    )
    canonical_url = models.URLField(
        max_length=500, blank=True, help_text="Only when the original lives elsewhere (syndicated content)."
    )
    search_vector = SearchVectorField(
        null=True,
        editable=False,
        help_text="For search: the weighted words of `search_fields`, kept on save (PostgreSQL only).",
    )

    objects = SearchableManager.from_queryset(ArticleQuerySet)()
    search_fields = {"headline": "A", "standfirst": "B", "body_text": "C"}  # articles.search: weights
    search_only_fields = ["body_text", "search_vector"]  # columns only search (in SQL) reads

    class Meta:
        ordering = ["-published_at", "-pk"]  # stable order for pagination
        indexes = [live_index("article", include=["expires_at", "lead_video_id"])]
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]  # cms/roles.py
        constraints = [
            models.CheckConstraint(
                condition=Q(coverage_start__isnull=True)
                | Q(coverage_end__isnull=True)
                | Q(coverage_end__gte=F("coverage_start")),
                name="article_coverage_ends_after_it_starts",
                violation_error_message="Live coverage cannot end before it starts.",
            )
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        derive_body(self)
        if kwargs.get("update_fields") is None and not self._state.adding and not kwargs.get("force_insert"):
            # Every loaded field but the live revision, which only `touch` moves on, under a lock:
            # a form saved while a post lands must not put back the revision it read.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in deferred and field.name != "live_revision"
            ]
        if kwargs.get("update_fields") is not None and "body_html" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "body_text"}
        super().save(*args, **kwargs)
        refresh_after_save(self, kwargs.get("update_fields"))


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


class SlugRedirect(models.Model):
    """A slug an item had before: the API answers it with a permanent redirect to the current one."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    old_slug = models.SlugField(max_length=200, db_index=False, help_text="The slug the item no longer has.")
    object_id = models.PositiveBigIntegerField(help_text="The item it now leads to.")
    content_object = GenericForeignKey()
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the slug was changed.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "old_slug"], name="slug_redirect_unique_old_slug")
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="slug_redirect_item_idx")]

    def __str__(self):
        return self.old_slug


class CorrectionQuerySet(models.QuerySet):
    def public(self):
        """What readers see: the entries not retracted, oldest first."""
        return self.filter(retracted_at__isnull=True).order_by("at", "pk")


class Correction(models.Model):
    """One entry of an article's or a video's public correction log. Entries are appended, never
    edited: the text, kind and time of a saved entry cannot change. Taking one down is itself
    recorded (who, when, why) and the entry kept; readers then no longer see it. Adding or
    retracting one is a change readers see (articles.touch: `updated_at`, change sync, purge)."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        CLARIFICATION = "clarification", "Clarification"
        UPDATE = "update", "Update"

    # PROTECT: an item with a correction log is unpublished, not deleted (the log is a public record).
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    video = models.ForeignKey(
        Video, null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(
        max_length=2000,
        help_text="What readers are told, e.g. “An earlier version of this article gave the wrong date "
        "for the meeting. It is on Wednesday.”",
    )
    at = models.DateTimeField(default=timezone.now, editable=False, help_text="When it was added.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    retracted_at = models.DateTimeField(null=True, blank=True, editable=False)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    retraction_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why it was taken down (kept in the log; readers do not see it).",
    )

    objects = CorrectionQuerySet.as_manager()

    # The fields an entry is, once saved: they never change.
    APPENDED = ("article_id", "video_id", "kind", "text", "at", "created_by_id")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "correction log entry"
        verbose_name_plural = "correction log"
        constraints = [
            models.CheckConstraint(
                condition=Q(article__isnull=True, video__isnull=False)
                | Q(article__isnull=False, video__isnull=True),
                name="correction_exactly_one_item",
                violation_error_message="A correction belongs to one article or one video.",
            ),
            models.CheckConstraint(
                condition=Q(retracted_at__isnull=True) | ~Q(retraction_reason=""),
                name="correction_retraction_has_a_reason",
                violation_error_message="Say why the entry is taken down.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored", None)
        if stored is not None:
            changed = [
                name for name in self.APPENDED if name in stored and getattr(self, name) != stored[name]
            ]
            retraction = ("retracted_at", "retracted_by_id", "retraction_reason")
            if stored.get("retracted_at") is not None:
                changed += [name for name in retraction if getattr(self, name) != stored.get(name)]
            if changed:
                raise ValueError(
                    "A correction log entry is never edited: add a new entry, or retract this one."
                )
        super().save(*args, **kwargs)
        self._stored = {field.attname: getattr(self, field.attname) for field in self._meta.concrete_fields}

    @classmethod
    def from_db(cls, db, field_names, values):
        entry = super().from_db(db, field_names, values)
        entry._stored = dict(zip(field_names, values, strict=True))
        return entry

    @property
    def item(self):
        return self.article or self.video

    def retract(self, *, by, reason: str) -> None:
        """Take the entry down, on the record."""
        self.retracted_at, self.retracted_by, self.retraction_reason = timezone.now(), by, reason
        self.full_clean(exclude=["article", "video", "text", "kind"])
        self.save(update_fields=["retracted_at", "retracted_by", "retraction_reason"])


def touch(item: Article | Video, *, live_posts: bool = False) -> int:
    """A change readers see that is not in the item's own fields (a correction, a live post): a
    published item's `updated_at` moves on, and the save purges what shows it and tells partners
    (change sync, webhooks), as any edit does. With `live_posts`, the article's live revision
    goes up too; returns it. The row is locked until the transaction commits, so concurrent
    changes of one item follow each other, and revisions are given out in commit order (0 until
    the article has first been published)."""
    with transaction.atomic():
        fresh = type(item).objects.select_for_update().get(pk=item.pk)
        fields = ["updated_at"]
        if fresh.status == Status.PUBLISHED:
            fresh.updated_at = timezone.now()
        revision = 0
        first = getattr(fresh, "first_published_at", None)
        if live_posts and first is not None and first <= timezone.now():
            # Only once the page has been seen: nobody polls it before, and `removed` must never
            # name a post nobody could see.
            fresh.live_revision = revision = fresh.live_revision + 1
            fields.append("live_revision")
        fresh.save(update_fields=fields)
        return revision


class LivePostQuerySet(models.QuerySet):
    def public(self):
        """The posts readers see: published and not deleted."""
        return self.filter(status=LivePost.Status.PUBLISHED, deleted_at__isnull=True)

    def newest(self, article_id: int, *, before: tuple | None = None):
        """The article's public posts, newest first; older than `before` (published_at, id)."""
        posts = self.public().filter(article_id=article_id)
        if before is not None:
            at, pk = before
            posts = posts.filter(Q(published_at__lt=at) | Q(published_at=at, pk__lt=pk), published_at__lte=at)
        return posts.order_by("-published_at", "-pk")

    def changed_since(self, article_id: int, revision: int):
        """The article's posts changed where readers see it after `revision`, oldest change first:
        deleted or unpublished ones among them (they were public at some point)."""
        return self.filter(article_id=article_id, revision__gt=revision).order_by("revision", "pk")


class LivePost(models.Model):
    """One timestamped post of a live page. Written in the same editor, with the same sanitiser,
    as an article's body. Every change readers see (publishing, an edit of a published post,
    deleting one) gives it the article's next live revision, so that pollers asking for what
    changed `?since=` a revision get it, deletions included: a deleted post is kept as a
    tombstone (`deleted_at`), its content no longer served."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="live_posts")
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Reporters write drafts; an editor publishes them.",
    )
    title = models.CharField(max_length=200, blank=True, help_text="Optional.")
    body_html = models.TextField("body", blank=True, help_text="Sanitized when saved, as an article's body.")
    body = models.JSONField("body blocks", default=list, editable=False)
    body_text = models.TextField(default="", editable=False, help_text="The body as plain text.")
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The byline."
    )
    key_event = models.BooleanField(
        default=False, help_text="A key moment of the story: listed in the page's summary of key events."
    )
    pinned = models.BooleanField(
        default=False, help_text="Shown at the top of the page, above the newest posts."
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was published: the post's time."
    )
    edited_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its published content last changed."
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    revision = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="The article's live revision of its last change readers saw."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LivePostQuerySet.as_manager()

    # What readers see of a published post: a change to one is an edit, shown as such.
    CONTENT = ("title", "body_html", "author_id")  # pinning and key events are not edits

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = "live post"
        permissions = [("publish_livepost", "Can publish live posts")]  # cms/roles.py
        indexes = [
            models.Index(fields=["article", "status", "-published_at", "-id"], name="livepost_page_idx"),
            models.Index(fields=["article", "revision"], name="livepost_revision_idx"),
        ]

    def __str__(self):
        return self.title or self.body_text[:60] or f"Post {self.pk}"

    def save(self, *args, **kwargs):
        derive_body(self)
        stored = getattr(self, "_stored", None)
        was_public = (
            stored is not None
            and stored.get("status") == self.Status.PUBLISHED
            and stored.get("deleted_at") is None
        )
        now = timezone.now()
        if self.is_public and self.published_at is None:
            self.published_at = now
        elif was_public and self.is_public and any(getattr(self, n) != stored.get(n) for n in self.CONTENT):
            self.edited_at = now
        if stored is not None and stored.get("article_id") not in (None, self.article_id):
            raise ValueError("A live post stays on its page: delete it and post it on the other one.")
        with transaction.atomic():
            if was_public or self.is_public:  # a change readers see: a revision, for pollers
                self.revision = touch(self.article, live_posts=True)
            kwargs.pop("update_fields", None)  # what save() sets besides: every field
            super().save(*args, **kwargs)
        self._stored = {field.attname: getattr(self, field.attname) for field in self._meta.concrete_fields}

    def delete(self, *args, **kwargs):
        """Kept as a tombstone, so that pollers learn it is gone."""
        self.deleted_at = timezone.now()
        self.save()
        return 0, {}

    @classmethod
    def from_db(cls, db, field_names, values):
        post = super().from_db(db, field_names, values)
        post._stored = dict(zip(field_names, values, strict=True))
        return post

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.deleted_at is None
