"""The benchmark report: targets checked against the figures, and the Markdown table."""

from dataclasses import asdict, dataclass

LIST_PAGE_PREFIXES = ("mailbox", "outbox", "mailing_lists")
DETAIL_PREFIX = "detail_"
LIST_PAGE_P95_MS = 30
LIST_PAGE_MAX_QUERIES = 10
SUGGESTIONS_P95_MS = 10
SEND_MAX_SECONDS = 2
SEND_MAX_MB = 300
MAX_REQUEST_TO_SQL_RATIO = 3
MIN_MAILBOX_REQUESTS_PER_SECOND = 300
W1_FIRST_PAGE_P95_MS = 15
W1_PAGE_1000_P95_MS = 30
W1_SENDER_FILTER_P95_MS = 15


@dataclass
class Target:
    """One target of the benchmarks and whether the figures meet it."""

    target: str
    measured: str
    met: bool


def _pages(results, workload, predicate):
    return [p for p in results["pages"] if p["workload"] == workload and predicate(p["name"])]


def _is_list_page(name) -> bool:
    return name.startswith(LIST_PAGE_PREFIXES)


def _worst(pages, key):
    return max(pages, key=key) if pages else None


def check_targets(results) -> list[Target]:
    """Return every target of the benchmarks with the measured value it is checked on."""
    targets = []
    national = _pages(
        results, "national", lambda n: _is_list_page(n) or n.startswith(DETAIL_PREFIX)
    )
    slowest = _worst(national, lambda p: p["request"]["p95_ms"])
    if slowest:
        fast = sum(page["request"]["p95_ms"] < LIST_PAGE_P95_MS for page in national)
        targets.append(
            Target(
                f"list pages and message detail: p95 < {LIST_PAGE_P95_MS} ms",
                f"{fast} of {len(national)} pages; slowest: {slowest['name']} "
                f"{slowest['request']['p95_ms']} ms",
                slowest["request"]["p95_ms"] < LIST_PAGE_P95_MS,
            )
        )
        most = _worst(national, lambda p: p["queries"])
        targets.append(
            Target(
                f"list pages and message detail: at most {LIST_PAGE_MAX_QUERIES} queries",
                f"most: {most['name']} {most['queries']}",
                most["queries"] <= LIST_PAGE_MAX_QUERIES,
            )
        )
    targets += _same_count_targets(results)
    targets += _ratio_targets(results)
    targets += _suggestion_targets(results)
    targets += _send_targets(results)
    targets += _throughput_targets(results)
    targets += _w1_targets(results)
    return targets


def _same_count_targets(results) -> list[Target]:
    targets = []
    by_name = {p["name"]: p for p in results["pages"]}
    for prefix in ("mailbox", "outbox", "w1_mailbox"):
        few, many = by_name.get(f"{prefix}_per_page_5"), by_name.get(f"{prefix}_per_page_50")
        if few and many:
            targets.append(
                Target(
                    f"{prefix}: same query count at 5 and 50 rows",
                    f"{few['queries']} and {many['queries']}",
                    few["queries"] == many["queries"],
                )
            )
    return targets


def _ratio_targets(results) -> list[Target]:
    pages = _pages(results, "national", _is_list_page) + _pages(results, "w1", _is_list_page)
    worst = _worst(pages, lambda p: p["ratio"])
    if not worst:
        return []
    within = sum(page["ratio"] <= MAX_REQUEST_TO_SQL_RATIO for page in pages)
    return [
        Target(
            f"list pages: request time at most {MAX_REQUEST_TO_SQL_RATIO} times its SQL time",
            f"{within} of {len(pages)} pages; worst: {worst['name']} {worst['ratio']}",
            worst["ratio"] <= MAX_REQUEST_TO_SQL_RATIO,
        )
    ]


def _suggestion_targets(results) -> list[Target]:
    pages = _pages(results, "national", lambda n: n.startswith("suggestions"))
    slowest = _worst(pages, lambda p: p["request"]["p95_ms"])
    if not slowest:
        return []
    return [
        Target(
            f"recipient suggestions: p95 < {SUGGESTIONS_P95_MS} ms",
            f"slowest: {slowest['name']} {slowest['request']['p95_ms']} ms",
            slowest["request"]["p95_ms"] < SUGGESTIONS_P95_MS,
        )
    ]


def _send_targets(results) -> list[Target]:
    send = next((a for a in results["actions"] if a["name"] == "send_all_recipients"), None)
    if not send:
        return []
    seconds = send["duration"]["max_ms"] / 1000
    return [
        Target(
            f"send to all recipients: under {SEND_MAX_SECONDS} s, one transaction",
            f"{send['rows']:,} deliveries, slowest of {send['duration']['samples']} runs: "
            f"{seconds:.2f} s",
            seconds < SEND_MAX_SECONDS,
        ),
        Target(
            f"send to all recipients: memory under {SEND_MAX_MB} MB",
            f"Python peak {send['peak_python_mb']} MiB",
            send["peak_python_mb"] < SEND_MAX_MB,
        ),
    ]


def _throughput_targets(results) -> list[Target]:
    mailbox = next(
        (t for t in results["throughput"] if t["name"] == "mailbox"),
        None,
    )
    if not mailbox:
        return []
    return [
        Target(
            f"Mailbox first page under load: at least {MIN_MAILBOX_REQUESTS_PER_SECOND} requests/s",
            f"{mailbox['requests_per_second']} requests/s",
            mailbox["requests_per_second"] >= MIN_MAILBOX_REQUESTS_PER_SECOND,
        )
    ]


def _w1_targets(results) -> list[Target]:
    by_name = {p["name"]: p for p in results["pages"] if p["workload"] == "w1"}
    checks = (
        ("w1_mailbox", W1_FIRST_PAGE_P95_MS, "W1 Mailbox first page"),
        ("w1_mailbox_page_1000", W1_PAGE_1000_P95_MS, "W1 Mailbox page 1,000"),
        ("w1_mailbox_filter_sender", W1_SENDER_FILTER_P95_MS, "W1 Mailbox filtered by sender"),
    )
    targets = []
    for name, limit, label in checks:
        page = by_name.get(name)
        if page:
            p95 = page["request"]["p95_ms"]
            targets.append(Target(f"{label}: p95 < {limit} ms", f"{p95} ms", p95 < limit))
    return targets


def markdown(results) -> str:
    """Return the report as Markdown: context, pages, actions, throughput, targets."""
    lines = [f"# Benchmark results, {results['date']}", ""]
    lines += [f"- {name}: {value}" for name, value in results["context"].items()]
    for workload, counts in results["datasets"].items():
        described = ", ".join(
            f"{count:,} {name.replace('_', ' ')}" for name, count in counts.items()
        )
        lines.append(f"- {workload} data set: {described}")
    lines += [
        "",
        "## Pages (in-process, Django test client)",
        "",
        "| scenario | description | median ms | p95 ms | queries | SQL ms | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in results["pages"]:
        lines.append(
            f"| {page['name']} | {page['description']} | {page['request']['median_ms']} "
            f"| {page['request']['p95_ms']} | {page['queries']} | {page['sql']['median_ms']} "
            f"| {page['ratio']} |"
        )
    if results["actions"]:
        lines += [
            "",
            "## Domain functions",
            "",
            "| scenario | description | rows | median ms | max ms | queries | Python peak MiB |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for action in results["actions"]:
            duration = action["duration"]
            lines.append(
                f"| {action['name']} | {action['description']} | {action['rows']:,} "
                f"| {duration['median_ms']} | {duration['max_ms']} | {action['queries']} "
                f"| {action['peak_python_mb']} |"
            )
    if results["throughput"]:
        lines += [
            "",
            "## Throughput (gunicorn on 127.0.0.1, load from a second process)",
            "",
            "| page | tool | workers | connections | seconds | requests/s "
            "| p50 ms | p95 ms | p99 ms | errors |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for load in results["throughput"]:
            lines.append(
                f"| {load['name']} | {load['tool']} | {load['workers']} | {load['connections']} "
                f"| {load['seconds']} | {load['requests_per_second']} | {load['p50_ms']} "
                f"| {load['p95_ms']} | {load['p99_ms']} | {load['errors']} |"
            )
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    for target in results["targets"]:
        lines.append(
            f"| {target['target']} | {target['measured']} | {'yes' if target['met'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def targets_as_dicts(targets: list[Target]) -> list[dict]:
    return [asdict(target) for target in targets]
