"""Run the benchmarks: `python -m bench.run [--scale S]`, what `make bench` calls.

At scale 1 the national data set and the W1 workload must already be in
their databases (`make bench-data` fills them). At a smaller scale the run
creates two throwaway databases, fills them at that scale, measures with
fewer repetitions (a smoke run, no timing is checked), then drops them.

Each workload is measured by `manage.py run_bench` in its own process, on
its own database; this script merges their figures into
bench/results/<date>.json and a Markdown table beside it.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import dj_database_url
import psycopg

from bench.report import check_targets, markdown, targets_as_dicts

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URLS = {
    "national": "postgres://postgres@127.0.0.1:5432/chorus_bench",
    "w1": "postgres://postgres@127.0.0.1:5432/chorus_bench_w1",
}
URL_VARIABLES = {"national": "BENCH_DATABASE_URL", "w1": "BENCH_W1_DATABASE_URL"}
THROWAWAY_NAMES = {"national": "chorus_bench_ci", "w1": "chorus_bench_ci_w1"}


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data set scale, in ]0, 1]")
    parser.add_argument(
        "--repeat", type=int, help="measured requests per page (default: 50, 3 below scale 1)"
    )
    parser.add_argument(
        "--warmup", type=int, help="requests before measuring (default: 5, 1 below scale 1)"
    )
    parser.add_argument(
        "--throughput-seconds",
        type=float,
        help="load duration per loaded page, 0 to skip (default: 15, 2 below scale 1)",
    )
    parser.add_argument(
        "--only", default="*", help="run the scenarios whose name matches this glob"
    )
    parser.add_argument("--workloads", default="national,w1", help="comma-separated workloads")
    parser.add_argument(
        "--keep", action="store_true", help="keep the throwaway databases of a run below scale 1"
    )
    parser.add_argument(
        "--generate",
        action="store_true",
        help="create, migrate and fill the scale-1 databases (replacing their data), then stop",
    )
    arguments = parser.parse_args(argv)
    full = arguments.scale == 1
    if arguments.repeat is None:
        arguments.repeat = 50 if full else 3
    if arguments.warmup is None:
        arguments.warmup = 5 if full else 1
    if arguments.throughput_seconds is None:
        arguments.throughput_seconds = 15 if full else 2
    return arguments


def manage(*args, database_url, environment):
    """Run `manage.py args` on `database_url`; raise CalledProcessError when it fails."""
    env = {**environment, "DATABASE_URL": database_url}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _server_url(url: str, database: str) -> str:
    config = dj_database_url.parse(url)
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{config['HOST']}:{config['PORT'] or 5432}/{database}"


@contextmanager
def throwaway_database(base_url: str, name: str, *, keep: bool):
    """Create database `name` on the server of `base_url`; yield its URL; drop it afterwards."""
    with psycopg.connect(_server_url(base_url, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _server_url(base_url, name)
    finally:
        if not keep:
            with psycopg.connect(_server_url(base_url, "postgres"), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def generate(workload, environment) -> None:
    """Create the scale-1 database of `workload` if needed, migrate it and fill it anew."""
    url = os.environ.get(URL_VARIABLES[workload], DEFAULT_URLS[workload])
    name = dj_database_url.parse(url)["NAME"]
    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--verbosity", "0", database_url=url, environment=environment)
    manage(
        "generate_bench_data",
        "--workload",
        workload,
        "--reset",
        database_url=url,
        environment=environment,
    )


def measure(workload, url, arguments, environment) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / f"{workload}.json"
        manage(
            "run_bench",
            "--workload",
            workload,
            "--repeat",
            str(arguments.repeat),
            "--warmup",
            str(arguments.warmup),
            "--only",
            arguments.only,
            "--throughput-seconds",
            str(arguments.throughput_seconds),
            "--output",
            str(output),
            database_url=url,
            environment=environment,
        )
        return json.loads(output.read_text())


def run_workload(workload, arguments, environment) -> dict:
    base_url = os.environ.get(URL_VARIABLES[workload], DEFAULT_URLS[workload])
    if arguments.scale == 1:
        return measure(workload, base_url, arguments, environment)
    with throwaway_database(base_url, THROWAWAY_NAMES[workload], keep=arguments.keep) as url:
        manage("migrate", "--verbosity", "0", database_url=url, environment=environment)
        manage(
            "generate_bench_data",
            "--workload",
            workload,
            "--scale",
            str(arguments.scale),
            database_url=url,
            environment=environment,
        )
        return measure(workload, url, arguments, environment)


def machine_context(arguments) -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "scale": arguments.scale,
        "repetitions": f"{arguments.repeat} measured requests after {arguments.warmup} warm-up",
        "machine": f"{os.cpu_count()} CPUs, {memory_kb / 2**20:.0f} GiB, {platform.platform()}",
        "python": platform.python_version(),
        "postgresql": server_settings(),
        "commit": commit or "unknown",
    }


# The server settings that change the figures most: cache size, sort memory, JIT.
SERVER_SETTINGS = ("server_version", "shared_buffers", "work_mem", "jit")


def server_settings() -> str:
    """Return the PostgreSQL version and settings that the measurements ran with, as text."""
    url = os.environ.get(URL_VARIABLES["national"], DEFAULT_URLS["national"])
    with psycopg.connect(_server_url(url, "postgres")) as connection:
        values = [connection.execute(f"SHOW {name}").fetchone()[0] for name in SERVER_SETTINGS]
    return ", ".join(f"{name} {value}" for name, value in zip(SERVER_SETTINGS, values, strict=True))


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    # Sessions are opened by run_bench and read by the gunicorn it starts: any
    # key works as long as both share it, and no production key is needed.
    environment = {
        **os.environ,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),
    }
    environment.pop("DEBUG", None)
    started = time.perf_counter()
    if arguments.generate:
        for workload in arguments.workloads.split(","):
            generate(workload, environment)
        return 0
    parts = {w: run_workload(w, arguments, environment) for w in arguments.workloads.split(",")}
    results = {
        "date": datetime.date.today().isoformat(),
        "context": machine_context(arguments),
        "datasets": {workload: part["dataset"] for workload, part in parts.items()},
        "pages": [page for part in parts.values() for page in part["pages"]],
        "actions": [action for part in parts.values() for action in part["actions"]],
        "throughput": [load for part in parts.values() for load in part["throughput"]],
    }
    results["targets"] = targets_as_dicts(check_targets(results))
    folder = RESULTS if arguments.scale == 1 else RESULTS / "tmp"
    stem = results["date"] if arguments.scale == 1 else f"{results['date']}-scale-{arguments.scale}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (folder / f"{stem}.md").write_text(markdown(results))
    print(f"Wrote {folder / stem}.json and .md in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
