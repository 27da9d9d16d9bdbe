"""Search on PostgreSQL: where the `rum` extension can be installed (Debian's postgresql-15-rum), a
RUM index per searchable table holding each row's publish time with its words, so that the newest
matches of a query come from the index in order, without reading the rows that are not wanted
(articles.search). Where it cannot, nothing changes: search keeps the GIN index."""

from django.db import migrations

TABLES = ("articles_article", "articles_video")


def index_name(table: str) -> str:
    return f"{table}_search_rum"


def rum_available(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return cursor.fetchone() is not None


def create_time_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not rum_available(schema_editor):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS rum")
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no index on a table with pending checks
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(index_name(table))} "
            f"ON {schema_editor.quote_name(table)} "
            "USING rum (search_vector rum_tsvector_addon_ops, published_at) "
            "WITH (attach = 'published_at', to = 'search_vector')"
        )


def drop_time_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index_name(table))}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_live_newest_indexes"),
    ]

    operations = [migrations.RunPython(create_time_index, drop_time_index, elidable=False)]
