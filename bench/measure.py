"""Timing of requests in-process, of their SQL alone, and of domain functions.

Request times are wall-clock times of Django's test Client: middleware,
view, SQL and template rendering, without a network or a WSGI server.
A page's SQL time re-executes the statements that one request ran, as
captured, with a raw cursor, and fetches their rows. The ratio of the two
shows how much of a request is spent outside the database.
"""

import re
import statistics
import time
import tracemalloc
from dataclasses import asdict, dataclass, field

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

# The host that the in-process client sends; it must be in ALLOWED_HOSTS.
CLIENT_HOST = "127.0.0.1"


@dataclass
class Timing:
    """Summary of repeated durations, in milliseconds."""

    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    samples: int

    @classmethod
    def of(cls, seconds: list[float]) -> "Timing":
        milliseconds = sorted(value * 1000 for value in seconds)
        return cls(
            median_ms=round(statistics.median(milliseconds), 2),
            p95_ms=round(percentile(milliseconds, 95), 2),
            min_ms=round(milliseconds[0], 2),
            max_ms=round(milliseconds[-1], 2),
            samples=len(milliseconds),
        )


def percentile(sorted_values: list[float], rank: float) -> float:
    """Return the nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(rank / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


@dataclass
class PageResult:
    """The figures of one page scenario."""

    workload: str
    name: str
    description: str
    url: str
    status: int
    bytes: int
    queries: int
    request: Timing
    sql: Timing
    ratio: float
    statements: list[str] = field(default_factory=list)

    def as_dict(self, *, with_statements=False) -> dict:
        data = asdict(self)
        if not with_statements:
            data.pop("statements")
        return data


def logged_in_client(user) -> Client:
    client = Client(HTTP_HOST=CLIENT_HOST)
    client.force_login(user)
    return client


def measure_page(client, url, params, *, repeat, warmup) -> tuple:
    """Return (request durations, captured queries, last response) of GET `url`."""
    for _ in range(warmup):
        client.get(url, params)
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        durations.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    return durations, [query["sql"] for query in captured.captured_queries], response


# Django iterates some querysets through server-side cursors; their SELECT is timed instead.
_SERVER_SIDE_CURSOR = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR ')


def plain_statement(sql: str) -> str:
    """Return `sql`, or the SELECT of a server-side cursor's DECLARE, whose rows it fetches."""
    return _SERVER_SIDE_CURSOR.sub("", sql, count=1)


def measure_sql(statements: list[str], *, repeat: int) -> list[float]:
    """Return the durations of running `statements` and fetching their rows, `repeat` times.

    Each round runs in a transaction that is rolled back, so statements
    that write (a session update, marking deliveries read) change nothing.
    """
    statements = [plain_statement(sql) for sql in statements]
    durations = []
    for _ in range(repeat):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            durations.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return durations


@dataclass
class ActionResult:
    """The figures of one domain-function scenario."""

    workload: str
    name: str
    description: str
    rows: int
    queries: int
    duration: Timing
    peak_python_mb: float

    def as_dict(self) -> dict:
        return asdict(self)


def measure_action(prepare, act, *, repeat: int) -> tuple[list[float], int, float, int]:
    """Time `act(subject)` on a fresh `prepare()` subject, each time rolled back.

    Returns (durations, rows that act reported, peak Python memory in MiB
    of one extra traced run, queries of that run).
    """
    durations = []
    rows = 0
    for _ in range(repeat):
        with transaction.atomic():
            subject = prepare()
            started = time.perf_counter()
            rows = act(subject)
            durations.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    with transaction.atomic():
        subject = prepare()
        tracemalloc.start()
        with CaptureQueriesContext(connection) as captured:
            act(subject)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        transaction.set_rollback(True)
    return durations, rows, round(peak / 2**20, 1), len(captured.captured_queries)
