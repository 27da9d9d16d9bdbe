"""The load benchmark (bench/README.md): `make bench`, or `.venv/bin/python bench/run.py --help`.

Generates the data set if the bench database lacks it, then serves the project with gunicorn
(2 sync workers, production settings) on a free port of 127.0.0.1 and loads each scenario with
wrk from one thread and 16 connections, after a warm-up. Every figure is also given as a ratio to
the bare view (GET /api/health/) measured by the same server. Uncached scenarios run on a server
started with RESPONSE_CACHE=0, the 304 and server-cache scenarios on one started with the cache on.
Writes a Markdown table to stdout and bench/RESULTS.md, and the raw figures to bench/results/."""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RAW_DIR = BENCH_DIR / "results"  # git-ignored: raw wrk output, the server log
PYTHON = sys.executable
sys.path.insert(0, str(PROJECT_DIR))
from bench.generate import database_url  # noqa: E402  (after the path is set, as a script)

TIMEOUT = 2  # seconds: a slower response counts as an error (wrk's default, made explicit)
SECRET_KEY = secrets.token_urlsafe(50)
REDIS_URL = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/7"  # emptied before each phase
# Ratios to the bare view that issue 9 asks for; "cold list" must beat the plain-DRF baseline.
TARGETS = {
    "list": 0.30,
    "detail": 0.40,
    "list by topic": 0.20,
    "list by small topic": 0.20,
    "list by section": 0.20,
    "list ?fields=": 0.20,
    "list ?expand=": 0.20,
    "cursor page": 0.20,
    "deep page": 0.20,
    "changes": 0.20,
    "rss": 0.20,
    "topic": 0.25,
    "small topic": 0.25,
    "search": 0.10,
    "live posts": 0.20,
    "live poll, new post": 0.20,
    "revalidate": 1.0,
    "live poll 304": 1.0,
    "cached list": 1.0,
    "cached detail": 1.0,
}
PHASES = {
    "cold": "nothing cached anywhere (a dummy cache): every response, rendering and count made anew",
    "first reads": "Redis, server-side response cache off, and each process forgets before every "
    "request what it has read from the cache (bench/forget.py): as the first request after a purge, "
    "which checks every rendering and count it uses against Redis",
    "after a purge": "Redis, server-side response cache off (`RESPONSE_CACHE=0`): every request is "
    "built as after a purge, from the per-item renderings and counts kept in the cache, which each "
    "process has read once since",
    "cached": "Redis, server-side response cache on",
}


@dataclass
class Scenario:
    name: str
    path: str
    phase: str  # a key of PHASES
    revalidate: bool = False  # send the ETag back: If-None-Match
    result: dict | None = None
    note: str = ""
    queries: int | None = None
    headers: dict = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(phase: str) -> dict:
    """Production-like settings, from the environment as in production (README, Configuration),
    with the bench's URLs (the plain-DRF baseline beside the API)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,  # one per run: the probe's cursors must be valid for the server
        "ALLOWED_HOSTS": "127.0.0.1,testserver",  # testserver: probe.py's test client
        "DATABASE_URL": database_url(),
        "BENCH_DATABASE_URL": database_url(),
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": "" if phase == "cold" else REDIS_URL,
        "BENCH_COLD": "1" if phase == "cold" else "0",
        "BENCH_FORGET": "1" if phase == "first reads" else "0",
        "RESPONSE_CACHE": "1" if phase == "cached" else "0",
        "LOG_LEVEL": "WARNING",
        # One client asks for the same search all along: what is measured is the search, not
        # the per-client limit (which would answer 429).
        "SEARCH_RATE_PER_CLIENT": "1000000/second",
        # Likewise one client makes every request: a quota it never reaches, still checked and
        # counted as in production (partners/quotas.py).
        "ANONYMOUS_QUOTA": "1000000000/second",
    }


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


class Server:
    """gunicorn with 2 sync workers on a free port, until the block ends."""

    def __init__(self, phase: str):
        self.port, self.phase = free_port(), phase
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.log = log = open(RAW_DIR / "gunicorn.log", "a")  # closed in __exit__
        command = [
            *[
                str(Path(PYTHON).parent / "gunicorn"),
                "config.wsgi",
                "--workers",
                "2",
                "--worker-class",
                "sync",
            ],
            *["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"],
        ]
        self.process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=server_env(self.phase), stdout=log, stderr=log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}: see {log.name}")
            try:
                if fetch(self.base + "/api/health/")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def run_json(command: list[str], *, phase: str) -> dict:
    """Run a bench script that ends its output with a line of JSON; on failure, show its errors."""
    done = subprocess.run(command, env=server_env(phase), capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{Path(command[1]).name} failed (exit status {done.returncode})")
    return json.loads(done.stdout.splitlines()[-1])


def wrk_options(connections: int, seconds: int) -> list[str]:
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={TIMEOUT}s", "--latency"]


def wrk(url: str, *, seconds: int, connections: int, headers: dict) -> dict:
    command = [*wrk_options(connections, seconds), "-s", str(BENCH_DIR / "report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(raw[kind] for kind in ("connect", "read", "write", "timeout", "status"))
    answered = raw["requests"] > raw["timeout"]  # else wrk has no latency to report
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000 if answered else None,
        "p99_ms": raw["p99_us"] / 1000 if answered else None,
        "errors": errors,
        "raw": raw,
        "output": output,
    }


def run_phase(scenarios: list[Scenario], *, phase: str, args) -> None:
    if phase != "cold":
        empty_redis()
    with Server(phase) as server:
        for scenario in scenarios:
            url = server.base + scenario.path
            status, headers = fetch(url)
            if status == 404 and scenario.name == "search":
                scenario.note = "skipped: /api/v1/search/ answers 404 (not built yet)"
                continue
            if not 200 <= status < 400:
                scenario.note = f"skipped: GET answers {status}"
                continue
            if scenario.revalidate:
                if "ETag" not in headers:
                    scenario.note = "skipped: the response has no ETag (conditional GET not built yet)"
                    continue
                scenario.headers = {"If-None-Match": headers["ETag"]}
                status = fetch(url, scenario.headers)[0]
                if status != 304:
                    scenario.note = f"skipped: If-None-Match with its own ETag answers {status}, not 304"
                    continue
            print(f"  {scenario.name}: {scenario.path}", flush=True)
            options = {"connections": args.connections, "headers": scenario.headers}
            wrk(url, seconds=args.warmup, **options)
            scenario.result = wrk(url, seconds=args.duration, **options)


def count_queries(scenarios: list[Scenario], *, phase: str) -> None:
    spec = [[s.name, s.path, s.revalidate] for s in scenarios if s.result]
    counts = run_json([PYTHON, str(BENCH_DIR / "probe.py"), "count", json.dumps(spec)], phase=phase)
    for scenario in scenarios:
        if scenario.name in counts:
            scenario.queries = counts[scenario.name]["queries"]
            if not 200 <= counts[scenario.name]["status"] < 400:
                scenario.note = f"the query count's request answered {counts[scenario.name]['status']}"
            if phase == "cached" and scenario.name.startswith("cached") and scenario.queries:
                scenario.note = (
                    f"the repeated request ran {scenario.queries} SQL queries: not a server-cache hit "
                    "(which needs none), or no server-side cache yet"
                )


def milliseconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _target(scenario: Scenario, ratio: float | None, baseline: float | None) -> str:
    """The goal and whether it is met: a ratio from TARGETS, or, cold, beating the DRF baseline."""
    if scenario.phase == "cold" and scenario.name.startswith("cold") and baseline:
        met = ratio is not None and ratio > baseline and not scenario.result["errors"]
        return f"> plain DRF ({baseline:.2f}) " + ("✓" if met else "✗")
    target = TARGETS.get(scenario.name) if scenario.phase != "cold" else None
    if not target:
        return ""
    met = ratio is not None and ratio >= target and not scenario.result["errors"]
    return f"≥ {target} " + ("✓" if met else "✗")


def table(phases: list[list[Scenario]]) -> str:
    lines = [
        "| phase | scenario | URL | requests/s | p50 ms | p99 ms | errors | ratio to bare | target | SQL |",
        "|---|---|---|--:|--:|--:|--:|--:|---|--:|",
    ]
    for scenarios in phases:
        bare = scenarios[0].result
        baseline = next((s.result for s in scenarios if s.name == "plain DRF list" and s.result), None)
        baseline_ratio = baseline["rps"] / bare["rps"] if baseline and bare else None
        for scenario in scenarios:
            path = f"`{scenario.path}`" + (" + `If-None-Match`" if scenario.revalidate else "")
            if len(path) > 70:
                path = path[:64] + "…`"
            if scenario.result is None:
                lines.append(f"| {scenario.phase} | {scenario.name} | {path} | skipped (notes) | | | | | | |")
                continue
            result = scenario.result
            ratio = result["rps"] / bare["rps"] if bare else None
            queries = "" if scenario.queries is None else str(scenario.queries)
            lines.append(
                f"| {scenario.phase} | {scenario.name} | {path} | {result['rps']:.0f} | "
                f"{milliseconds(result['p50_ms'])} | {milliseconds(result['p99_ms'])} | {result['errors']} | "
                f"{ratio:.2f} | {_target(scenario, ratio, baseline_ratio)} | {queries} |"
            )
    return "\n".join(lines)


def writes_table(writes: dict) -> str:
    lines = [
        "| write | ms (median of 5) | SQL queries | sequential scans of the article table |",
        "|---|--:|--:|---|",
    ]
    for name, found in writes.items():
        scans = ", ".join(found["seq_scans"]) or "none"
        lines.append(f"| {name} | {found['ms']:.1f} | {found['queries']} | {scans} |")
    return "\n".join(lines)


def machine() -> dict:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    memory_kb = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.MULTILINE)[1])
    git = ["git", "-C", str(PROJECT_DIR)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    import django
    import gunicorn

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu[1] if cpu else platform.processor(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "wrk": (wrk_version.stdout + wrk_version.stderr).split()[1],
        "commit": commit.strip() + (" with uncommitted changes" if dirty else ""),
    }


def section(*, phases, info, data, targets, writes, args) -> str:
    """The results of one data size: a section of RESULTS.md."""
    generated = f"generated in {data['seconds']} s" if data["seconds"] else "generated earlier"
    if data["seconds"] and not data["generated"]:
        generated += " by an earlier run"
    counts = ", ".join(f"{count} {name}" for name, count in data["counts"].items())
    notes = [f"- {s.name}: {s.note}" for scenarios in phases for s in scenarios if s.note]
    return "\n".join(
        [
            f"## {data['counts']['articles']:,} articles",
            "",
            f"- **Date:** {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- **Machine:** {info['cpus']} CPUs ({info['cpu']}), {info['memory_gib']} GiB memory; load "
            f"average {info['load']:.2f} before the run (other work on the machine skews the figures)",
            f"- **Software:** Python {info['python']}, Django {info['django']}, PostgreSQL "
            f"{targets['postgresql'] or '(not used)'}, gunicorn {info['gunicorn']}, wrk {info['wrk']}",
            f"- **Commit:** {info['commit']}",
            f"- **Data:** {counts} ({generated})",
            f"- **Load:** `{' '.join(wrk_options(args.connections, args.duration))}` per scenario after a "
            f"{args.warmup} s warm-up, against gunicorn with 2 sync workers on 127.0.0.1 (DEBUG=0); "
            "wrk, gunicorn, PostgreSQL and Redis share the machine",
            "",
            *(f"- **{name}:** {description}" for name, description in PHASES.items()),
            "",
            table(phases),
            "",
            "Writes, each in a transaction rolled back afterwards, with the plan of every query "
            "they run (`EXPLAIN`):",
            "",
            writes_table(writes),
            "",
            *(["Notes:", "", *notes, ""] if notes else []),
        ]
    )


HEADER = """# Benchmark results

Written by `make bench` (bench/run.py), one section per data size; bench/README.md says what each
row measures. Ratios are to the bare view (`/api/health/`) measured by the same server. Errors are
socket errors plus responses other than 2xx/3xx. SQL: queries per request, counted with Django's
test client against the same database after one warm-up request. A 304 or a cache hit can beat
the bare view: the response cache answers before the middleware that comes after it.
"""


def write_results(path: Path, text: str, articles: int) -> None:
    """Replace this data size's section of `path`, keeping the others, largest last."""
    sections = {}
    if path.exists():
        for part in re.split(r"^(?=## )", path.read_text(), flags=re.MULTILINE)[1:]:
            size = int(re.match(r"## ([\d,]+) articles", part)[1].replace(",", ""))
            sections[size] = part.rstrip() + "\n"
    sections[articles] = text.rstrip() + "\n"
    path.write_text(HEADER + "\n" + "\n".join(sections[size] for size in sorted(sections)))


def scenarios_of(targets: dict) -> list[list[Scenario]]:
    def bare(phase):
        return Scenario("bare", "/api/health/", phase)

    return [
        [
            bare("cold"),
            Scenario("plain DRF list", "/bench/drf-articles/", "cold"),
            Scenario("cold list", targets["list"], "cold"),
            Scenario("cold detail", targets["detail"], "cold"),
        ],
        [
            bare("first reads"),
            Scenario("first list", targets["list"], "first reads"),
            Scenario("first detail", targets["detail"], "first reads"),
        ],
        [
            bare("after a purge"),
            Scenario("list", targets["list"], "after a purge"),
            Scenario("detail", targets["detail"], "after a purge"),
            Scenario("list by topic", targets["list by topic"], "after a purge"),
            Scenario("list by small topic", targets["list by small topic"], "after a purge"),
            Scenario("list by section", targets["list by section"], "after a purge"),
            Scenario("list ?fields=", targets["list ?fields="], "after a purge"),
            Scenario("list ?expand=", targets["list ?expand="], "after a purge"),
            Scenario("cursor page", targets["cursor page"], "after a purge"),
            Scenario("deep page", targets["deep page"], "after a purge"),
            Scenario("changes", targets["changes"], "after a purge"),
            Scenario("changes, 100", targets["changes, 100"], "after a purge"),
            Scenario("rss", "/feeds/rss/", "after a purge"),
            Scenario("topic", targets["topic"], "after a purge"),
            Scenario("small topic", targets["small topic"], "after a purge"),
            Scenario("search", targets["search"], "after a purge"),
            Scenario("live posts", targets["live posts"], "after a purge"),
            Scenario("live poll, new post", targets["live poll, new post"], "after a purge"),
        ],
        [
            bare("cached"),
            Scenario("revalidate", targets["detail"], "cached", revalidate=True),
            Scenario("live poll 304", targets["live poll"], "cached", revalidate=True),
            Scenario("cached list", targets["list"], "cached"),
            Scenario("cached detail", targets["detail"], "cached"),
        ],
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION") or 15))
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--videos", type=int, default=5_000)
    parser.add_argument("--topics", type=int, default=1_000)
    parser.add_argument("--reset", action="store_true", help="generate the data again")
    parser.add_argument("--only", help="run only the scenarios whose names hold this text (and bare)")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    RAW_DIR.mkdir(exist_ok=True)

    print(f"Data in {database_url()}", flush=True)
    sizes = ["--articles", str(args.articles), "--videos", str(args.videos), "--topics", str(args.topics)]
    generate = [
        PYTHON,
        str(BENCH_DIR / "generate.py"),
        *sizes,
        "--json",
        *(["--reset"] if args.reset else []),
    ]
    data = run_json(generate, phase="cold")
    print(f"  {'generated in ' + str(data['seconds']) + ' s' if data['generated'] else 'already there'}")
    targets = run_json([PYTHON, str(BENCH_DIR / "probe.py"), "targets"], phase="cold")

    phases = scenarios_of(targets)
    if args.only:
        phases = [[s for s in scenarios if s.name == "bare" or args.only in s.name] for scenarios in phases]
        phases = [scenarios for scenarios in phases if len(scenarios) > 1]
    for scenarios in phases:
        phase = scenarios[0].phase
        print(f"{phase}: {PHASES[phase]}", flush=True)
        run_phase(scenarios, phase=phase, args=args)
        count_queries(scenarios, phase=phase)
    writes = run_json([PYTHON, str(BENCH_DIR / "probe.py"), "writes"], phase="after a purge")

    info = {**machine(), "load": load}
    text = section(phases=phases, info=info, data=data, targets=targets, writes=writes, args=args)
    print()
    print(text)
    if not args.only:
        write_results(args.output, text, data["counts"]["articles"])
    raw = {
        "machine": info,
        "data": data,
        "writes": writes,
        "scenarios": [
            {"name": s.name, "path": s.path, "phase": s.phase, "result": s.result, "queries": s.queries}
            for scenarios in phases
            for s in scenarios
        ],
    }
    (RAW_DIR / f"latest-{data['counts']['articles']}.json").write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
