"""Slug redirects move from editorial to articles, with their rows: the model's state is created
here on the existing table, which is then renamed; editorial's 0003 drops only its state. The
content type moves too, so permissions granted on it stay granted."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="articles", model="slugredirect").exists():
        ContentType.objects.filter(app_label="editorial", model="slugredirect").update(app_label="articles")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="editorial", model="slugredirect").exists():
        ContentType.objects.filter(app_label="articles", model="slugredirect").update(app_label="editorial")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0010_signup_newsletter"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("editorial", "0002_changelog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SlugRedirect",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("old_slug", models.SlugField(db_index=False, help_text="The slug the item no longer has.", max_length=200)),
                        ("object_id", models.PositiveBigIntegerField(help_text="The item it now leads to.")),
                        ("created_at", models.DateTimeField(auto_now_add=True, help_text="When the slug was changed.")),
                        ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype")),
                    ],
                    options={
                        "db_table": "editorial_slugredirect",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [models.Index(fields=["content_type", "object_id"], name="editorial_s_content_944dc1_idx")],
                        "constraints": [models.UniqueConstraint(fields=("content_type", "old_slug"), name="slug_redirect_unique_old_slug")],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="slugredirect", table=None),
        migrations.RenameIndex(
            model_name="slugredirect", new_name="slug_redirect_item_idx", old_name="editorial_s_content_944dc1_idx"
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
