"""Generate the bench data set (bench/README.md).

    .venv/bin/python bench/generate.py --articles 50000 --videos 5000 --topics 1000
    .venv/bin/python bench/generate.py --reset ...   # delete the generated rows first, then generate

The database is BENCH_DATABASE_URL (default: the PostgreSQL database newsroom_bench on
127.0.0.1, created when missing); it is migrated first. Without --reset, a database that already
holds generated data is left as it is."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
LAST_GENERATION = PROJECT_DIR / "bench" / "results" / "generation.json"  # git-ignored; for RESULTS.md
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/newsroom_bench"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def create_database_if_missing(url: str) -> None:
    """PostgreSQL: create the database through the server's maintenance database."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return  # SQLite creates its file on first use
    server = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def last_generation(url: str) -> dict:
    """How long generating the data in `url` took, if this checkout generated it."""
    if LAST_GENERATION.exists():
        last = json.loads(LAST_GENERATION.read_text())
        if last["database"] == url:
            return {"seconds": last["seconds"]}
    return {}


def setup_django(url: str) -> None:
    """Point the project's settings at `url` and set Django up, as manage.py would."""
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--videos", type=int, default=5_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
    parser.add_argument("--reset", action="store_true", help="delete the generated rows first")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    args = parser.parse_args(argv)
    if min(args.articles, args.videos, args.topics) < 1:
        parser.error("--articles, --videos and --topics must be at least 1")

    url = database_url()
    create_database_if_missing(url)
    setup_django(url)
    from django.core.management import call_command

    from bench import dataset

    call_command("migrate", interactive=False, verbosity=0)
    began = time.perf_counter()

    def log(message: str) -> None:
        if not args.json:
            print(f"  {time.perf_counter() - began:6.1f} s  {message}", flush=True)

    if args.reset:
        dataset.wipe()
        dataset.vacuum()
        log("deleted the generated rows")
    counts = dataset.existing()
    if counts["articles"]:
        summary = {"generated": False, "seconds": None, "counts": counts, **last_generation(url)}
        message = "Generated data is already there (--reset to generate it again)"
    else:
        started = time.perf_counter()
        counts = dataset.generate(
            articles=args.articles, videos=args.videos, topics=args.topics, seed=args.seed, log=log
        )
        seconds = round(time.perf_counter() - started, 1)
        summary = {"generated": True, "seconds": seconds, "counts": counts}
        message = f"Generated in {seconds} s"
        LAST_GENERATION.parent.mkdir(exist_ok=True)
        LAST_GENERATION.write_text(json.dumps({"database": url, "seconds": seconds}))
    if dataset.live_page(seed=args.seed) is not None:  # data generated before live pages had none
        summary["counts"] = counts = dataset.existing()
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{message}: " + ", ".join(f"{count} {name}" for name, count in counts.items()))
    return summary


if __name__ == "__main__":
    main()
