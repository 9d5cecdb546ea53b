"""Strict readers of settings from environment variables.

A value that cannot be read as the expected type stops the start-up with an
ImproperlyConfigured error naming the variable, instead of being guessed.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off"}


def read_bool(name: str, default: bool) -> bool:
    """Return the boolean in variable `name`, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE_WORDS:
        return True
    if raw in _FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: expected one of {sorted(_TRUE_WORDS | _FALSE_WORDS)}."
    )


def read_str(name: str, default: str | None = None) -> str:
    """Return the text in variable `name`; raise when it is unset and has no default."""
    raw = os.environ.get(name, "").strip()
    if raw:
        return raw
    if default is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return default


def read_list(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated items of variable `name`, blanks removed."""
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or list(default)


def read_int(name: str, default: int) -> int:
    """Return the integer in variable `name`, or `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
