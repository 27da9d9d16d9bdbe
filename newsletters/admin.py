from django.contrib import admin

from .models import Newsletter


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "frequency", "is_active"]
    list_filter = ["frequency", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

from . import admin_editions  # noqa: E402, F401  (registers the edition admin)
