from django.db import models


class NewsletterQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Newsletter(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        BREAKING = "breaking", "Breaking news (as it happens)"

    name = models.CharField(max_length=150, help_text="Shown on the signup block.")
    slug = models.SlugField(max_length=150, unique=True, help_text="URL name; unique.")
    description = models.TextField(blank=True, help_text="What subscribers get, in a sentence or two.")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY, help_text="How often it is sent."
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive newsletters are hidden and take no signups."
    )

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
