import pytest
from django.core.exceptions import ImproperlyConfigured

from chorus_messages.env import read_bool, read_int, read_list, read_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("True", True), ("yes", True), ("0", False), ("false", False), ("OFF", False)],
)
def test_read_bool_reads_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)

    assert read_bool("FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["Flase", "2", "enabled"])
def test_read_bool_rejects_other_words(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        read_bool("FLAG", default=False)


def test_read_bool_takes_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)

    assert read_bool("FLAG", default=True) is True


def test_read_str_requires_a_value_without_default(monkeypatch):
    monkeypatch.delenv("SECRET", raising=False)

    with pytest.raises(ImproperlyConfigured, match="SECRET"):
        read_str("SECRET")


def test_read_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")

    assert read_list("HOSTS", default=[]) == ["a.example", "b.example"]


def test_read_int_rejects_text(monkeypatch):
    monkeypatch.setenv("COUNT", "ten")

    with pytest.raises(ImproperlyConfigured, match="COUNT"):
        read_int("COUNT", default=1)


def test_production_requires_secret_key():
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "chorus_messages.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_non_boolean_debug_stops_startup():
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "Flase",
        "SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "chorus_messages.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DEBUG='flase' is not a boolean" in result.stderr
