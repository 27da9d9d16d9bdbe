"""Bodies whose text held an escaped `<`, `>` or `&` were derived into blocks whose `html` had the
escape undone (`&lt;script&gt;` became `<script>`): derive those bodies again. Only a body with an
`&` in its HTML can differ."""

from django.db import migrations

from articles.blocks import plain_text
from articles.richtext import html_to_blocks

BATCH = 500


def derive_again(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    changed = []
    for article in Article.objects.filter(body_html__contains="&").only("pk", "body_html", "body").iterator():
        blocks = html_to_blocks(article.body_html)
        if blocks != article.body:
            article.body, article.body_text = blocks, plain_text(blocks)
            changed.append(article)
        if len(changed) >= BATCH:
            Article.objects.bulk_update(changed, ["body", "body_text"])
            changed = []
    Article.objects.bulk_update(changed, ["body", "body_text"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0014_search_time_index")]

    operations = [migrations.RunPython(derive_again, migrations.RunPython.noop, elidable=True)]
