"""The documented deployment: nginx (deploy/nginx.conf) in front of gunicorn's two sync workers.
Slow clients hold nginx connections, not workers, and nginx's own refusals are problem documents."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, deadline: float = 20.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    directory = tmp_path_factory.mktemp("front")
    app, web = free_port(), free_port()
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1"}
    env.pop("DATABASE_URL", None)
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{app}",
            "--limit-request-line",
            "8190",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app};")
    conf = conf.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{web};")
    (directory / "nginx.conf").write_text(conf)
    nginx = subprocess.Popen(
        [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(app)
        wait_for(web)
        yield web
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
            process.wait(timeout=10)


def exchange(port: int, raw: bytes, timeout: float = 5.0) -> tuple[int, dict, bytes]:
    """Send `raw`, read one answer (to its Content-Length: nginx may linger on the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 1 << 30  # no length: read to the end


def get(port: int, target: str) -> tuple[int, dict, bytes]:
    return exchange(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())


def test_clients_that_never_send_their_body_do_not_hold_the_workers(front):
    stalled = []
    for _ in range(6):  # three times the workers
        connection = socket.create_connection(("127.0.0.1", front), timeout=5)
        connection.sendall(
            b"POST /api/v1/newsletters/x/subscriptions/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        stalled.append(connection)
    try:
        for _ in range(3):
            status, _, body = get(front, "/api/health/")  # within exchange()'s 5 s, or it raises
            assert (status, body) == (200, b'{"status": "ok"}')
    finally:
        for connection in stalled:
            connection.close()


def test_nginx_refusals_are_problem_documents(front):
    status, headers, body = get(front, "/api/v1/articles/?q=" + "a" * 9000)
    assert status == 414 and headers["content-type"] == "application/problem+json"
    assert b'"status": 414' in body

    # A header line without a colon is dropped by nginx (ignore_invalid_headers): gunicorn never
    # sees it, so its HTML error page never answers.
    status, _, body = exchange(front, b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBroken\r\n\r\n")
    assert (status, body) == (200, b'{"status": "ok"}')
    status, headers, _ = exchange(
        front, b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"y" * 5000 + b"\r\n\r\n"
    )
    assert status == 400 and headers["content-type"] == "application/problem+json"

    status, headers, _ = exchange(
        front,
        b"POST /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Length: 20000000\r\nConnection: close\r\n\r\n",
    )
    assert status == 413 and headers["content-type"] == "application/problem+json"
