"""Throughput under load: gunicorn on 127.0.0.1 and a bounded load from a second process.

The load comes from wrk (Debian package `wrk`) when it is installed, or
else from a small Python client with the same bounds: a fixed number of
keep-alive connections for a fixed number of seconds. Both run on the
same machine as gunicorn and PostgreSQL, so they take CPU from them.
"""

import http.client
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from bench.measure import percentile

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
_STARTUP_TIMEOUT = 30
# wrk prints its summary, then this script's line of JSON.
_WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "http_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclass
class LoadResult:
    """Requests per second and latency percentiles of one URL under load."""

    name: str
    url: str
    tool: str
    workers: int
    connections: int
    seconds: float
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def as_dict(self) -> dict:
        return asdict(self)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """Return the URL of the database that this process uses, for a server to use the same."""
    database = settings.DATABASES["default"]
    user = quote(database.get("USER") or "")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(database['NAME'])}"


def _server_environment() -> dict:
    """Return this process's environment with production settings and its database."""
    environment = dict(os.environ)
    environment.update(
        DJANGO_SETTINGS_MODULE="chorus_messages.settings",
        DATABASE_URL=database_url(),
        DEBUG="0",
        # The sessions that the runner opened are valid only under the same key.
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS=HOST,
        # Persistent connections, as a production deployment keeps them (or a
        # pooler does): opening one per request would add milliseconds to each.
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
    )
    return environment


@contextmanager
def gunicorn(workers: int):
    """Start gunicorn with `workers` sync workers on a free port; yield its base URL."""
    port = _free_port()
    gunicorn_path = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn_path),
        "chorus_messages.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
    ]
    environment = _server_environment()
    # The production settings serve static files through a manifest that collectstatic writes.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        env=environment,
        cwd=settings.BASE_DIR,
        check=True,
    )
    process = subprocess.Popen(command, env=environment, cwd=settings.BASE_DIR)
    try:
        _wait_for_port(port, process)
        yield f"http://{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode} at start-up")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {HOST}:{port} within {_STARTUP_TIMEOUT} s")


def check_page(base_url: str, path: str, cookie: str) -> None:
    """Raise RuntimeError unless GET `path` with `cookie` answers 200 (not a login redirect)."""
    connection = http.client.HTTPConnection(HOST, int(base_url.rsplit(":", 1)[1]), timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status} under gunicorn, not 200")


def load(name, base_url, path, cookie, *, connections, seconds, workers) -> LoadResult:
    """Load GET `path` for `seconds` with `connections` connections; return the figures."""
    check_page(base_url, path, cookie)
    if shutil.which("wrk"):
        figures = _load_with_wrk(base_url + path, cookie, connections, seconds)
        tool = "wrk"
    else:
        figures = _load_with_python(base_url, path, cookie, connections, seconds)
        tool = "python"
    return LoadResult(
        name=name,
        url=path,
        tool=tool,
        workers=workers,
        connections=connections,
        seconds=seconds,
        **figures,
    )


def _load_with_wrk(url, cookie, connections, seconds) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    try:
        output = subprocess.run(
            [
                "wrk",
                "--threads",
                "1",
                "--connections",
                str(connections),
                "--duration",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "--header",
                f"Cookie: {cookie}",
                "--script",
                script.name,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    summary = json.loads(output.strip().splitlines()[-1])
    duration = summary["duration_us"] / 1e6
    return {
        "requests": summary["requests"],
        "errors": summary["errors"] + summary["http_errors"],
        "requests_per_second": round(summary["requests"] / duration, 1),
        "p50_ms": round(summary["p50_us"] / 1000, 2),
        "p95_ms": round(summary["p95_us"] / 1000, 2),
        "p99_ms": round(summary["p99_us"] / 1000, 2),
    }


def _load_with_python(base_url, path, cookie, connections, seconds) -> dict:
    port = int(base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker():
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors[0] += not ok
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    values = sorted(value * 1000 for value in latencies) or [0.0]
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "requests_per_second": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
    }
