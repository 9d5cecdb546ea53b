"""Fixtures that drive Debian's Chromium through Playwright against pytest-django's live server."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in the test thread, and Django refuses
# ORM calls from such a thread (SynchronousOnlyOperation) unless this is set. The
# browser lives for the whole session, so the tests collected after these need it too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Playwright cannot download its own browser build here, so it drives the system one.
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH}: install it or set CHROMIUM_PATH.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport(request):
    """The window size of `page`: DESKTOP, or the parametrized value with indirect=True."""
    return getattr(request, "param", DESKTOP)


@pytest.fixture
def console_errors():
    """Errors that the browser logged, Content Security Policy violations included."""
    return []


@pytest.fixture
def page(browser, live_server, viewport, console_errors):
    """A browser tab in a fresh context (no cookies), with French as the browser language."""
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", lambda message: _keep_error(console_errors, message))
    tab.on("pageerror", lambda error: console_errors.append(str(error)))
    yield tab
    context.close()


def _keep_error(errors, message):
    if message.type == "error":
        errors.append(message.text)


@pytest.fixture
def screenshot_dir():
    """The folder named by SCREENSHOT_DIR for the tests' screenshots, or None when it is unset."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
