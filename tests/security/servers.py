"""Throwaway servers for the fault tests: a PostgreSQL cluster and gunicorn, on 127.0.0.1.

Both live in a temporary folder, listen on free ports, and are stopped and
removed by their context managers, so a test can stop its own PostgreSQL
without touching the machine's shared server.
"""

import contextlib
import glob
import http.cookiejar
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.security.conftest import BASE_DIR, production_environment, run_manage

STARTUP_SECONDS = 30


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 on which nothing listens right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgresql_bin_dir() -> Path:
    """Return the folder of initdb and pg_ctl, or skip the test when PostgreSQL is not installed."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("initdb not found: the PostgreSQL server binaries are not installed")
    return Path(found[-1]).parent


def _as_cluster_owner(command: list[str]) -> list[str]:
    # initdb refuses to run as root, so root runs the cluster as the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own: its data folder, port and pg_ctl."""

    folder: Path
    port: int
    bin_dir: Path

    def pg_ctl(self, *arguments):
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), *arguments]
        subprocess.run(_as_cluster_owner(command), check=True, capture_output=True, timeout=60)

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self.pg_ctl("-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self, mode="fast"):
        self.pg_ctl("-m", mode, "-w", "stop")

    def url(self, database) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, database):
        command = ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database]
        subprocess.run(command, check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def throwaway_cluster():
    """Yield a started PostgreSQL cluster in a temporary folder; stop and remove it afterwards."""
    bin_dir = _postgresql_bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="chorus-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    cluster = Cluster(folder, free_port(), bin_dir)
    initdb = [str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "postgres"]
    initdb += ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]
    try:
        subprocess.run(_as_cluster_owner(initdb), check=True, capture_output=True, timeout=120)
        cluster.start()
        yield cluster
    finally:
        # A test that failed while its cluster was stopped leaves nothing to stop.
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop(mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def gunicorn(environment, folder: Path):
    """Yield the base URL of a gunicorn serving the application with `environment`."""
    port = free_port()
    log = (folder / "gunicorn.log").open("w")
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "chorus_messages.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "30",
    ]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(port, server)
        yield base_url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _wait_until_listening(port, server):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"gunicorn did not listen on port {port} within {STARTUP_SECONDS} s")


def application_environment(cluster, database, folder: Path) -> dict[str, str]:
    """Return a production environment on plain HTTP, with the cluster's database."""
    return production_environment(
        DATABASE_URL=cluster.url(database),
        CONN_MAX_AGE="60",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_COOKIES="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        BEHIND_TLS_PROXY="0",
        STATIC_ROOT=str(folder / "static"),
        LOG_LEVEL="WARNING",
    )


def prepare_application(environment, *, username, password):
    """Migrate the database, collect static files and create a superuser."""
    for arguments in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = run_manage(*arguments, environment=environment)
        assert result.returncode == 0, result.stderr
    superuser = {
        **environment,
        "DJANGO_SUPERUSER_USERNAME": username,
        "DJANGO_SUPERUSER_PASSWORD": password,
        "DJANGO_SUPERUSER_EMAIL": f"{username}@example.invalid",
    }
    result = run_manage("createsuperuser", "--noinput", environment=superuser)
    assert result.returncode == 0, result.stderr


class Browser:
    """An HTTP client with cookies, enough to log in through the login form."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path, data=None) -> tuple[int, str, dict]:
        """Return the status, body and headers of the response, following redirects."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, data=body, timeout=30) as answer:
                return answer.status, answer.read().decode(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def log_in(self, username, password):
        self.request("/connexion/")
        token = next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        return self.request("/connexion/", fields)
