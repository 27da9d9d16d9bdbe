"""The Django side of the load benchmark, run by bench/run.py against the bench database:

    probe.py targets        JSON: the URLs the scenarios load (a real article, a busy topic, ...)
    probe.py count SPEC     JSON: SQL queries per request of each URL in SPEC, a JSON list of
                            [name, url, revalidate]; revalidate: send the ETag back (If-None-Match)

Each URL goes once through Django's test client first (warm-up, and for a server-cache hit the
request that fills the cache), then once more with its queries captured. The environment decides
the settings, as it does for gunicorn: DATABASE_URL, RESPONSE_CACHE, ..."""

import json
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def targets() -> dict:
    from django.db import connection
    from django.db.models import Count

    from articles.models import Article, Video
    from bench.dataset import SEARCH_WORD
    from topics.models import Topic

    # The newest article with everything an article page can show: the detail scenario.
    public_videos = Video.objects.published()
    article = (
        Article.objects.published()
        .filter(
            lead_video__in=public_videos,
            hero_image__isnull=False,
            topics__is_active=True,
            related_items__target_video__in=public_videos,
        )
        .filter(related_items__target_article__in=Article.objects.published())
        .order_by("-published_at", "-pk")
        .first()
    )
    topic = Topic.objects.active().annotate(items=Count("articles")).order_by("-items", "pk").first()
    if article is None or topic is None:
        raise SystemExit("No suitable article or topic: generate the data first (bench/generate.py).")
    return {
        "list": "/api/v1/articles/?page_size=20",
        "detail": f"/api/v1/articles/{article.slug}/",
        "topic": f"/api/v1/topics/{topic.slug}/",
        "search": f"/api/v1/search/?q={SEARCH_WORD}",
        "postgresql": connection.cursor().connection.info.parameter_status("server_version")
        if connection.vendor == "postgresql"
        else None,
    }


def count(spec: list) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, counts = Client(raise_request_exception=False), {}
    for name, url, revalidate in spec:
        first = client.get(url)
        headers = {"If-None-Match": first["ETag"]} if revalidate and first.has_header("ETag") else {}
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        counts[name] = {"status": response.status_code, "queries": len(queries)}
    return counts


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    from bench.generate import database_url, setup_django

    setup_django(database_url())
    if argv[:1] == ["targets"]:
        print(json.dumps(targets()))
    elif argv[:1] == ["count"] and len(argv) == 2:
        print(json.dumps(count(json.loads(argv[1]))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
