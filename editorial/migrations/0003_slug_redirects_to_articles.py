"""Slug redirects now belong to articles (articles 0011 took over the table): drop the state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0002_changelog"),
        ("articles", "0011_slug_redirects_from_editorial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="SlugRedirect")]),
    ]
