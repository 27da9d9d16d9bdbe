from django.db import models


class Section(models.Model):
    name = models.CharField(max_length=100, help_text="Shown as the section label, e.g. “News”.")
    slug = models.SlugField(max_length=100, unique=True, help_text="URL name; unique.")
    description = models.TextField(blank=True, help_text="What the section covers.")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in navigation: lower numbers first."
    )
    newsletter = models.ForeignKey(
        "newsletters.Newsletter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The newsletter promoted in the signup block of the section's articles, unless an "
        "article picks its own. Blank: no signup block.",
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class TopicQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_api(self):
        return self.select_related("parent")


class Topic(models.Model):
    name = models.CharField(max_length=100, help_text="Shown as the tag label.")
    slug = models.SlugField(max_length=100, unique=True, help_text="URL name; unique.")
    description = models.TextField(blank=True, help_text="What the topic is about.")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="Optional broader topic, e.g. “Ukraine war” under “Europe”.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive topics are hidden from the public API."
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.was_active = self.is_active

    @classmethod
    def from_db(cls, db, field_names, values):
        topic = super().from_db(db, field_names, values)
        topic.was_active = topic.__dict__.get("is_active")  # to tell whether a save shows or hides it
        return topic
