"""Search on PostgreSQL ranks the newest matches of a query with `ts_rank`, which reads each one's
whole `search_vector`. A vector (about 2 KB compressed for an article) was stored out of line, in
the TOAST table, with the bodies: each rank cost a TOAST lookup (ranking 200 matches took 1.2 ms
at 50,000 articles, 0.4 ms with the vectors in their rows). Stored in the row (STORAGE MAIN: compressed, and moved out only when the row cannot hold
it once the bodies have gone out), it is read with the row the search fetches anyway.

This applies to rows written from now on; existing rows move as they are next saved (or at once
with `VACUUM FULL articles_article`)."""

from django.db import migrations

COLUMNS = (("articles_article", "search_vector"), ("articles_video", "search_vector"))


def set_storage(storage: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET STORAGE {storage}")

    return apply


class Migration(migrations.Migration):
    dependencies = [("articles", "0019_live_coverage_rules_and_correction_protect")]

    operations = [migrations.RunPython(set_storage("MAIN"), set_storage("EXTENDED"), elidable=False)]
