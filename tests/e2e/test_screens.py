"""Every page of the frame in a desktop and a phone window: no CSP violation, no sideways scroll.

With SCREENSHOT_DIR set, each page is also saved there as a PNG, for a look at the theme.
"""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from structures.models import Membership, Structure
from tests.e2e.conftest import DESKTOP, MOBILE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [("mailbox", "/"), ("outbox", "/boite-envoi/"), ("lists", "/listes/")]
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(MOBILE, id="mobile")]


@pytest.fixture
def user():
    structure = Structure.objects.create(
        identifier="79141015200015", designation="ATELIERS DUPONT SARL", is_public=False
    )
    user = get_user_model().objects.create_user(
        username="demo", password="motdepasse-demo-2026", first_name="Utilisateur", last_name="Démo"
    )
    Membership.objects.create(user=user, structure=structure)
    return user


def check_page(page, console_errors):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
    assert console_errors == []


def save(page, screenshot_dir, name, viewport):
    if screenshot_dir:
        label = "desktop" if viewport == DESKTOP else "mobile"
        page.screenshot(path=screenshot_dir / f"{name}-{label}.png", full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_login_page_screen(page, viewport, console_errors, screenshot_dir):
    page.goto("/connexion/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    check_page(page, console_errors)
    save(page, screenshot_dir, "login", viewport)

    page.locator("main form button[type=submit]").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    check_page(page, console_errors)
    save(page, screenshot_dir, "login-errors", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_tab_screens(page, viewport, user, console_errors, screenshot_dir):
    page.goto("/connexion/")
    page.locator("#id_username").fill("demo")
    page.locator("#id_password").fill("motdepasse-demo-2026")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    for name, path in PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", level=2)).to_be_visible()
        check_page(page, console_errors)
        save(page, screenshot_dir, name, viewport)
