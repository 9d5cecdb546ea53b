"""Logging in and out in Chromium, and what the frame shows a supplier user."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from structures.models import IdentifierType, Membership, Structure

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-demo-2026"
TAB_NAMES = ["Boîte de réception", "Boîte d'envoi", "Listes de diffusion"]


@pytest.fixture
def supplier_user():
    supplier = Structure.objects.create(
        identifier_type=IdentifierType.SIRET,
        identifier="79141015200015",
        designation="ATELIERS DUPONT SARL",
        is_public=False,
    )
    user = get_user_model().objects.create_user(
        username="cdupont", password=PASSWORD, first_name="Claire", last_name="Dupont"
    )
    Membership.objects.create(user=user, structure=supplier)
    return user


def log_in(page, username, password=PASSWORD):
    page.goto("/connexion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_supplier_logs_in_and_out(page, supplier_user, console_errors):
    log_in(page, "cdupont")

    expect(page.get_by_role("heading", level=1)).to_have_text("Mes messages")
    tabs = page.get_by_role("navigation", name="Mes messages").get_by_role("link")
    expect(tabs).to_have_text(TAB_NAMES)
    expect(tabs.first).to_have_attribute("aria-current", "page")
    expect(page.locator(".user-block__name")).to_have_text("Claire Dupont")

    page.get_by_role("button", name="Déconnexion").click()

    expect(page).to_have_url(re.compile(r"/connexion/$"))
    expect(page.get_by_role("status")).to_contain_text("déconnecté")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/$"))
    assert console_errors == []


def test_tabs_lead_to_each_other(page, supplier_user):
    log_in(page, "cdupont")
    tabs = page.get_by_role("navigation", name="Mes messages")

    for name in reversed(TAB_NAMES):
        tabs.get_by_role("link", name=name).click()

        expect(tabs.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", level=2)).to_have_text(name)


def test_header_shows_first_then_previous_login(page, supplier_user):
    log_in(page, "cdupont")
    expect(page.locator(".user-block__login")).to_have_text("Première connexion")
    page.get_by_role("button", name="Déconnexion").click()

    log_in(page, "cdupont")

    expect(page.locator(".user-block__login")).to_have_text(
        re.compile(r"^Dernière connexion le \d{2}/\d{2}/\d{4} à \d{2}:\d{2}:\d{2}$")
    )


def test_wrong_password_shows_error(page, supplier_user, console_errors):
    log_in(page, "cdupont", password="mauvais")

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_username")).to_have_value("cdupont")
    assert console_errors == []


def test_language_switch_keeps_page(page, supplier_user):
    log_in(page, "cdupont")
    page.goto("/boite-envoi/")

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=2)).to_have_text("Outbox")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_skip_link_moves_focus_to_main(page, supplier_user):
    log_in(page, "cdupont")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu principal")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
