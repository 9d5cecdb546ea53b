"""Measure the benchmark scenarios of one workload on the current database."""

import fnmatch
import json
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import throughput
from bench.actions import national_actions
from bench.measure import (
    ActionResult,
    PageResult,
    Timing,
    logged_in_client,
    measure_action,
    measure_page,
    measure_sql,
    plain_statement,
)
from bench.scenarios import national_pages, w1_pages
from mailing_lists.models import MailingList
from messaging.models import Delivery, Message
from structures.models import Partner, Service, Structure

PAGES = {"national": national_pages, "w1": w1_pages}
# The pages loaded by the throughput run, per workload.
LOADED_PAGES = {"national": ("mailbox", "outbox"), "w1": ("w1_mailbox",)}
ACTION_REPEAT = 5


class Command(BaseCommand):
    help = (
        "Measure the benchmark scenarios of a workload on the current PostgreSQL database "
        "(filled by generate_bench_data) and write the figures as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workload", choices=sorted(PAGES), default="national")
        parser.add_argument(
            "--repeat", type=int, default=50, help="measured requests per page (default: 50)"
        )
        parser.add_argument(
            "--warmup", type=int, default=5, help="requests before measuring (default: 5)"
        )
        parser.add_argument(
            "--only", default="*", help="run the scenarios whose name matches this glob"
        )
        parser.add_argument(
            "--throughput-seconds",
            type=float,
            default=10,
            help="duration of the load on each loaded page, in seconds; 0 skips it (default: 10)",
        )
        parser.add_argument(
            "--connections", type=int, default=4, help="concurrent connections of the load"
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--output", type=Path, required=True, help="JSON file to write")
        parser.add_argument(
            "--explain",
            type=Path,
            help="also write EXPLAIN (ANALYZE, BUFFERS) of every SELECT of every page to this file",
        )

    def handle(self, *args, workload, repeat, warmup, only, output, explain, **options):
        self._check_database()
        # Production settings serve static files through a manifest that collectstatic writes.
        call_command("collectstatic", interactive=False, verbosity=0)
        self.clients = {}
        self._vacuum()

        pages = [page for page in PAGES[workload]() if fnmatch.fnmatch(page.name, only)]
        results = {
            "workload": workload,
            "dataset": dataset_counts(),
            "pages": [
                self._page(workload, page, repeat, warmup).as_dict(with_statements=bool(explain))
                for page in pages
            ],
            "actions": [],
            "throughput": [],
        }
        if workload == "national":
            actions = [a for a in national_actions() if fnmatch.fnmatch(a.name, only)]
            results["actions"] = [self._action(workload, action).as_dict() for action in actions]
            self._vacuum()

        if explain:
            explain.write_text(explain_pages(results["pages"]))
            self.stdout.write(f"Wrote {explain}")
        if options["throughput_seconds"] > 0:
            loaded = [page for page in pages if page.name in LOADED_PAGES[workload]]
            results["throughput"] = self._throughput(loaded, **options)

        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        self.stdout.write(f"Wrote {output}")

    def _vacuum(self):
        """Remove the dead rows that the rolled-back actions leave in the message tables.

        Each run rolls back five sends of 100,000 deliveries. Autovacuum waits
        for 20 % of a table to be dead, 4 million deliveries. Until then the
        planner reads through the dead index entries at the ends of the
        indexes to estimate ranges, which took 6 ms per query on the message
        page.
        """
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM messaging_delivery, messaging_message, messaging_messageevent")
        self.stdout.write(f"VACUUM of the message tables: {time.perf_counter() - started:.1f} s")

    @staticmethod
    def _check_database():
        if connection.vendor != "postgresql":
            raise CommandError(
                f"run_bench needs the PostgreSQL database that generate_bench_data filled; "
                f"DATABASE_URL points to {connection.vendor}."
            )
        if not Structure.objects.exists():
            raise CommandError("The database contains no structure: run generate_bench_data first.")

    def _client(self, username):
        if username not in self.clients:
            user = get_user_model().objects.get(username=username)
            self.clients[username] = logged_in_client(user)
        return self.clients[username]

    def _page(self, workload, page, repeat, warmup) -> PageResult:
        client = self._client(page.username)
        durations, statements, response = measure_page(
            client, page.path, page.params, repeat=repeat, warmup=warmup
        )
        request = Timing.of(durations)
        sql = Timing.of(measure_sql(statements, repeat=repeat))
        query = "&".join(f"{name}={value}" for name, value in page.params.items())
        result = PageResult(
            workload=workload,
            name=page.name,
            description=page.description,
            url=f"{page.path}?{query}" if query else page.path,
            status=response.status_code,
            bytes=len(response.content),
            queries=len(statements),
            request=request,
            sql=sql,
            ratio=round(request.median_ms / sql.median_ms, 1) if sql.median_ms else 0.0,
            statements=statements,
        )
        self.stdout.write(
            f"{page.name}: {request.median_ms} ms median, {request.p95_ms} ms p95, "
            f"{result.queries} queries, SQL {sql.median_ms} ms, ratio {result.ratio}, "
            f"HTTP {result.status}"
        )
        return result

    def _action(self, workload, action) -> ActionResult:
        durations, rows, peak, queries = measure_action(
            action.prepare, action.act, repeat=ACTION_REPEAT
        )
        result = ActionResult(
            workload=workload,
            name=action.name,
            description=action.description,
            rows=rows,
            queries=queries,
            duration=Timing.of(durations),
            peak_python_mb=peak,
        )
        self.stdout.write(
            f"{action.name}: {rows:,} rows, {result.duration.median_ms} ms median, "
            f"{result.duration.max_ms} ms max, {queries} queries, peak {peak} MiB"
        )
        return result

    def _throughput(self, pages, *, throughput_seconds, connections, workers, **options):
        results = []
        with throughput.gunicorn(workers) as base_url:
            for page in pages:
                client = self._client(page.username)
                cookie = "; ".join(
                    f"{key}={morsel.value}" for key, morsel in client.cookies.items()
                )
                result = throughput.load(
                    page.name,
                    base_url,
                    page.path,
                    cookie,
                    connections=connections,
                    seconds=throughput_seconds,
                    workers=workers,
                )
                self.stdout.write(
                    f"load {page.name}: {result.requests_per_second} requests/s, p50 "
                    f"{result.p50_ms} ms, p95 {result.p95_ms} ms, p99 {result.p99_ms} ms, "
                    f"{result.errors} errors ({result.tool})"
                )
                results.append(result.as_dict())
        return results


def explain_pages(pages) -> str:
    """Return the plans of the SELECT statements of `pages`, run with EXPLAIN (ANALYZE, BUFFERS)."""
    sections = []
    with connection.cursor() as cursor:
        for page in pages:
            sections.append(f"===== {page['name']}: {page['url']}")
            for sql in map(plain_statement, page.pop("statements")):
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                sections.append(f"--- {sql}\n{plan}\n")
    return "\n".join(sections)


def dataset_counts() -> dict:
    """Return the row counts that describe the data set the figures were measured on."""
    models = {
        "structures": Structure,
        "services": Service,
        "users": get_user_model(),
        "partner_rows": Partner,
        "messages": Message,
        "deliveries": Delivery,
        "mailing_lists": MailingList,
    }
    return {name: model.objects.count() for name, model in models.items()}
