"""The benchmark runner in smoke mode: every scenario measured once, on a tiny data set."""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from bench.actions import national_actions
from bench.national import national_tables
from bench.report import check_targets, markdown, targets_as_dicts
from bench.scenarios import national_pages, w1_pages

SCALE = 0.0005
W1_SCALE = 0.002
SMOKE = {"repeat": 1, "warmup": 0, "throughput_seconds": 1, "connections": 2}


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def _run(workload, scale, tmp_path):
    call_command("generate_bench_data", workload=workload, scale=scale, reset=True, stdout=_Sink())
    output = tmp_path / f"{workload}.json"
    call_command("run_bench", workload=workload, output=output, stdout=_Sink(), **SMOKE)
    return json.loads(output.read_text())


@pytest.fixture(scope="module")
def national_results(django_db_setup, django_db_blocker, tmp_path_factory):
    """Generate the national data set and run every scenario once, for this module."""
    with django_db_blocker.unblock():
        results = _run("national", SCALE, tmp_path_factory.mktemp("bench"))
        results["expected_pages"] = [page.name for page in national_pages()]
        results["expected_actions"] = [action.name for action in national_actions()]
        yield results
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(national_tables())} CASCADE")


@pytest.fixture
def national(national_results):
    return national_results


@pytest.mark.postgresql
def test_every_national_page_is_measured(national):
    measured = [page["name"] for page in national["pages"]]

    assert measured == national["expected_pages"]
    assert all(page["status"] == 200 for page in national["pages"])
    assert all(page["queries"] > 0 for page in national["pages"])
    assert all(page["sql"]["median_ms"] > 0 for page in national["pages"])


@pytest.mark.postgresql
def test_every_national_action_is_measured(national):
    measured = [action["name"] for action in national["actions"]]

    assert measured == national["expected_actions"]
    assert all(action["rows"] > 0 for action in national["actions"])


@pytest.mark.postgresql
def test_national_load_reaches_gunicorn(national):
    loaded = {load["name"]: load for load in national["throughput"]}

    assert set(loaded) == {"mailbox", "outbox"}
    assert all(load["requests"] > 0 for load in loaded.values())
    assert all(load["errors"] == 0 for load in loaded.values())


@pytest.mark.postgresql
def test_w1_pages_and_report(transactional_db, tmp_path):
    w1 = _run("w1", W1_SCALE, tmp_path)
    results = {
        "date": "2026-01-01",
        "context": {"scale": W1_SCALE},
        "datasets": {"w1": w1["dataset"]},
        "pages": w1["pages"],
        "actions": w1["actions"],
        "throughput": w1["throughput"],
    }
    results["targets"] = targets_as_dicts(check_targets(results))
    report = markdown(results)

    assert [page["name"] for page in w1["pages"]] == [page.name for page in w1_pages()]
    assert {target["target"].split(":")[0] for target in results["targets"]} >= {
        "W1 Mailbox first page",
        "W1 Mailbox page 1,000",
        "W1 Mailbox filtered by sender",
    }
    assert "| w1_mailbox |" in report
    assert "## Targets" in report
