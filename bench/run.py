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
# Ratios to the bare view that the issue asks for (issue 4, "Benchmark").
TARGETS = {"list": 0.18, "detail": 0.30, "revalidate": 0.8, "cached list": 0.8, "cached detail": 0.8}


@dataclass
class Scenario:
    name: str
    path: str
    cached: bool  # served with the server-side response cache on
    revalidate: bool = False  # send the ETag back: If-None-Match
    result: dict | None = None
    note: str = ""
    queries: int | None = None
    headers: dict = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(*, cached: bool) -> dict:
    """Production-like settings, from the environment as in production (README, Configuration)."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",  # testserver: probe.py's test client
        "DATABASE_URL": database_url(),
        "BENCH_DATABASE_URL": database_url(),
        "SECURE_SSL_REDIRECT": "0",
        "RESPONSE_CACHE": "1" if cached else "0",
        "LOG_LEVEL": "WARNING",
    }


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

    def __init__(self, *, cached: bool):
        self.port, self.cached = free_port(), cached
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
            command, cwd=PROJECT_DIR, env=server_env(cached=self.cached), stdout=log, stderr=log
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


def run_json(command: list[str], *, cached: bool) -> dict:
    """Run a bench script that ends its output with a line of JSON; on failure, show its errors."""
    done = subprocess.run(command, env=server_env(cached=cached), capture_output=True, text=True)
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


def run_phase(scenarios: list[Scenario], *, cached: bool, args) -> None:
    with Server(cached=cached) as server:
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


def count_queries(scenarios: list[Scenario], *, cached: bool) -> None:
    spec = [[s.name, s.path, s.revalidate] for s in scenarios if s.result]
    counts = run_json([PYTHON, str(BENCH_DIR / "probe.py"), "count", json.dumps(spec)], cached=cached)
    for scenario in scenarios:
        if scenario.name in counts:
            scenario.queries = counts[scenario.name]["queries"]
            if not 200 <= counts[scenario.name]["status"] < 400:
                scenario.note = f"the query count's request answered {counts[scenario.name]['status']}"
            if cached and scenario.name.startswith("cached") and scenario.queries:
                scenario.note = (
                    f"the repeated request ran {scenario.queries} SQL queries: not a server-cache hit "
                    "(which needs none), or no server-side cache yet"
                )


def milliseconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(phases: list[list[Scenario]]) -> str:
    lines = [
        "| scenario | URL | requests/s | p50 ms | p99 ms | errors | ratio to bare | target | SQL queries |",
        "|---|---|--:|--:|--:|--:|--:|---|--:|",
    ]
    for scenarios in phases:
        bare = scenarios[0].result
        for scenario in scenarios:
            target = TARGETS.get(scenario.name)
            goal = f"≥ {target}" if target else ""
            path = f"`{scenario.path}`" + (" + `If-None-Match`" if scenario.revalidate else "")
            if scenario.result is None:
                lines.append(f"| {scenario.name} | {path} | skipped (notes) | | | | | {goal} | |")
                continue
            result = scenario.result
            ratio = result["rps"] / bare["rps"] if bare else None
            if target and ratio is not None:
                goal += " ✓" if ratio >= target and not result["errors"] else " ✗"
            queries = "" if scenario.queries is None else str(scenario.queries)
            lines.append(
                f"| {scenario.name} | {path} | {result['rps']:.0f} | {milliseconds(result['p50_ms'])} | "
                f"{milliseconds(result['p99_ms'])} | {result['errors']} | {ratio:.2f} | {goal} | {queries} |"
            )
    return "\n".join(lines)


def machine() -> dict:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    memory_kb = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.MULTILINE)[1])
    git = ["git", "-C", str(PROJECT_DIR)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout.strip()
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


def report(*, phases, info, data, targets, args) -> str:
    generated = f"generated in {data['seconds']} s" if data["seconds"] else "generated earlier"
    if data["seconds"] and not data["generated"]:
        generated += " by an earlier run"
    counts = ", ".join(f"{count} {name}" for name, count in data["counts"].items())
    notes = [f"- {s.name}: {s.note}" for scenarios in phases for s in scenarios if s.note]
    return "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `make bench` (bench/run.py); bench/README.md says what each row measures.",
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
            "wrk, gunicorn and PostgreSQL share the machine",
            "",
            "Ratios are to the bare view (`/api/health/`) measured by the same server. The first group ran "
            "with the server-side response cache off (`RESPONSE_CACHE=0`), the second with it on. Errors are "
            "socket errors plus responses other than 2xx/3xx. SQL queries: per request, counted with "
            "Django's test client against the same database after one warm-up request. A 304 or a cache "
            "hit can beat the bare view: the response cache answers before the middleware that comes "
            "after it (sessions, CSRF, auth, messages), which the bare view goes through.",
            "",
            table(phases),
            "",
            *(["Notes:", "", *notes, ""] if notes else []),
        ]
    )


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
    data = run_json(generate, cached=False)
    print(f"  {'generated in ' + str(data['seconds']) + ' s' if data['generated'] else 'already there'}")
    targets = run_json([PYTHON, str(BENCH_DIR / "probe.py"), "targets"], cached=False)

    uncached = [
        Scenario("bare", "/api/health/", cached=False),
        Scenario("list", targets["list"], cached=False),
        Scenario("detail", targets["detail"], cached=False),
        Scenario("topic", targets["topic"], cached=False),
        Scenario("search", targets["search"], cached=False),
    ]
    cached = [
        Scenario("bare", "/api/health/", cached=True),
        Scenario("revalidate", targets["detail"], cached=True, revalidate=True),
        Scenario("cached list", targets["list"], cached=True),
        Scenario("cached detail", targets["detail"], cached=True),
    ]
    for scenarios, is_cached in ((uncached, False), (cached, True)):
        print(f"Server-side response cache {'on' if is_cached else 'off'}:", flush=True)
        run_phase(scenarios, cached=is_cached, args=args)
        count_queries(scenarios, cached=is_cached)

    info = {**machine(), "load": load}
    text = report(phases=[uncached, cached], info=info, data=data, targets=targets, args=args)
    print()
    print(text)
    args.output.write_text(text)
    raw = {
        "machine": info,
        "data": data,
        "scenarios": [
            {"name": s.name, "path": s.path, "cached": s.cached, "result": s.result, "queries": s.queries}
            for s in [*uncached, *cached]
        ],
    }
    (RAW_DIR / "latest.json").write_text(json.dumps(raw, indent=2))


if __name__ == "__main__":
    main()
