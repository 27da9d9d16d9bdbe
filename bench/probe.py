"""The Django side of the load benchmark, run by bench/run.py against the bench database:

    probe.py targets        JSON: the URLs the scenarios load (a real article, a busy topic, ...)
    probe.py count SPEC     JSON: SQL queries per request of each URL in SPEC, a JSON list of
                            [name, url, revalidate]; revalidate: send the ETag back (If-None-Match)
    probe.py writes         JSON: how long saving an article, a topic and an image takes, and
                            creating and changing an article through the write API, with the
                            plans of their queries (each in a transaction rolled back)

Each URL goes once through Django's test client first (warm-up, and for a server-cache hit the
request that fills the cache), then once more with its queries captured. The environment decides
the settings, as it does for gunicorn: DATABASE_URL, RESPONSE_CACHE, ..."""

import json
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEEP_PAGE = 500  # of 20 items: the deepest numbered page (cms.pagination.MAX_PAGE_DEPTH)


def targets() -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from articles.models import Article, Video
    from bench import dataset
    from bench.dataset import SEARCH_WORD
    from topics.models import Section, Topic

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
    # Most topics are small: a page of one is found differently (cms.compiled, plan_each_run).
    small_topic = (
        Topic.objects.active()
        .annotate(items=Count("articles"))
        .filter(items__gt=0)
        .order_by("items", "pk")
        .first()
    )
    section = Section.objects.annotate(items=Count("articles")).order_by("-items", "pk").first()
    if article is None or topic is None:
        raise SystemExit("No suitable article or topic: generate the data first (bench/generate.py).")
    live = dataset.live_page()
    client = Client(raise_request_exception=False)
    second_page = client.get("/api/v1/articles/?cursor=").json()["next"]
    return {
        "list": "/api/v1/articles/?page_size=20",
        "detail": f"/api/v1/articles/{article.slug}/",
        "list by topic": f"/api/v1/articles/?topic={topic.slug}",
        "list by small topic": f"/api/v1/articles/?topic={small_topic.slug}",
        "list by section": f"/api/v1/articles/?section={section.slug}",
        "list ?fields=": "/api/v1/articles/?fields=id,slug,headline,hero_image",
        "list ?expand=": "/api/v1/articles/?expand=section,topics,authors",
        "cursor page": second_page.removeprefix("http://testserver"),
        "deep page": f"/api/v1/articles/?page={DEEP_PAGE}",
        "changes": "/api/v1/changes/?page_size=20",  # a page of 20, as the lists
        "changes, 100": "/api/v1/changes/",  # its default page
        "topic": f"/api/v1/topics/{topic.slug}/",
        "small topic": f"/api/v1/topics/{small_topic.slug}/",
        "search": f"/api/v1/search/?q={SEARCH_WORD}",
        # A live page: its first page of posts; a poll that finds the newest post (after a purge,
        # as every poller's first one after a post is); a poll that finds nothing new (a 304).
        "live posts": f"/api/v1/articles/{live.slug}/posts/",
        "live poll, new post": f"/api/v1/articles/{live.slug}/posts/?since={live.live_revision - 1}",
        "live poll": f"/api/v1/articles/{live.slug}/posts/?since={live.live_revision}",
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


def _api_client():
    """A test client with the key of an editor made for this write (rolled back with it)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from cms.roles import EDITOR
    from partners.models import APIKey

    owner = get_user_model().objects.create_user("bench-editor", is_staff=True)
    owner.groups.add(Group.objects.get(name=EDITOR))
    scopes = ["content:read", "content:write", "content:publish"]
    _, key = APIKey.objects.create_key(name="bench", owner=owner, scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Api-Key {key}")


def writes() -> dict:
    """Each write five times, in a transaction rolled back: its median time, its queries, and any
    sequential scan of the article table among their plans. Each entry prepares a write (not
    timed) and returns what makes it."""
    import statistics
    import time

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from articles.models import Article, Author, Image
    from topics.models import Topic

    article = Article.objects.published().order_by("-published_at").first()
    topic = Topic.objects.active().order_by("pk").first()
    image = Image.objects.order_by("-pk").first()
    new_article = {
        "slug": "bench-new-article",
        "headline": "A new article through the write API",
        "standfirst": "Sent by a wire.",
        "section": article.section.slug,
        "topics": list(Topic.objects.active().order_by("pk").values_list("slug", flat=True)[:3]),
        "authors": list(Author.objects.order_by("pk").values_list("slug", flat=True)[:2]),
        "hero_image": image.pk,
        "body_html": "<p>" + "Columns were seen at dawn. " * 40 + "</p>",
    }

    def saving(obj, field, value):
        obj = type(obj).objects.get(pk=obj.pk)  # as the admin loads it
        setattr(obj, field, value)
        return obj.save

    def creating():
        client = _api_client()
        return lambda: client.post("/api/v1/articles/", new_article, content_type="application/json")

    def updating():
        client = _api_client()
        url = f"/api/v1/articles/{article.slug}/"
        etag = client.get(f"{url}edit/")["ETag"]
        change = {"standfirst": "A standfirst, rewritten."}
        return lambda: client.patch(url, change, content_type="application/json", HTTP_IF_MATCH=etag)

    changes = {
        "save an article": lambda: saving(article, "standfirst", "A standfirst, rewritten."),
        "save a topic": lambda: saving(topic, "name", "A renamed topic"),
        "save an image": lambda: saving(image, "alt_text", "New alt text"),
        "create an article (API, POST)": creating,
        "change a published article (API, PATCH)": updating,
    }
    found = {}
    for name, prepare in changes.items():
        times, plans = [], []
        for _ in range(5):
            with transaction.atomic():
                write = prepare()
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    answer = write()
                    times.append((time.perf_counter() - began) * 1000)
                if answer is not None and answer.status_code >= 300:
                    raise SystemExit(f"{name}: {answer.status_code} {answer.content[:500]!r}")
                for query in queries.captured_queries:
                    sql = query["sql"]
                    if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE")):
                        with connection.cursor() as cursor:
                            cursor.execute("EXPLAIN " + sql)
                            plans.append("\n".join(row[0] for row in cursor.fetchall()))
                transaction.set_rollback(True)
        scans = sorted(
            {
                line.strip()
                for plan in plans
                for line in plan.splitlines()
                if "Seq Scan on articles_article" in line
            }
        )
        found[name] = {
            "ms": statistics.median(times),
            "queries": len(queries),
            "seq_scans": scans,
            "plans": plans[: len(queries)],
        }
    return found


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    from bench.generate import database_url, setup_django

    setup_django(database_url())
    if argv[:1] == ["targets"]:
        print(json.dumps(targets()))
    elif argv[:1] == ["writes"]:
        print(json.dumps(writes()))
    elif argv[:1] == ["count"] and len(argv) == 2:
        print(json.dumps(count(json.loads(argv[1]))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
