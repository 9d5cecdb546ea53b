"""Mailing lists in Chromium: building a list, sending through it, reading it as each supplier.

With SCREENSHOT_DIR set, the tab, the list form with chips, a list's page, the
delete confirmation and the message form's list picker are saved there as PNG files.
"""

import re

import pytest
from playwright.sync_api import expect

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from messaging.models import Message, MessageStatus
from structures.models import PartnerKind
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.factories import (
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-demo-2026"  # the password of UserFactory
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(MOBILE, id="mobile")]
# Buttons found by their action, so that the tests do not depend on the labels' translation.
SAVE = 'button[name="action"][value="save"]'
SEND = 'button[name="action"][value="send"]'
SUPPLIERS = [
    ("79141015200015", "ATELIERS DUPONT SARL", "dupont"),
    ("84000001700019", "BUREAU PLUS FOURNITURES", "bureau"),
    ("84000002500012", "NETTOYAGE AQUITAINE SAS", "nettoyage"),
]


@pytest.fixture
def town():
    town = PublicStructureFactory(
        identifier="21330063500017", designation="COMMUNE DE BORDEAUX - MAIRE"
    )
    ServiceFactory(structure=town, code="STECH", label="Services techniques")
    return town


@pytest.fixture
def suppliers(town):
    """Three suppliers of the town, each with a user named in SUPPLIERS."""
    suppliers = []
    for identifier, designation, username in SUPPLIERS:
        supplier = StructureFactory(identifier=identifier, designation=designation)
        partners(supplier, town)
        MembershipFactory(structure=supplier, user__username=username)
        suppliers.append(supplier)
    return suppliers


@pytest.fixture
def town_user(town):
    return MembershipFactory(structure=town, user__username="mairie").user


def label(*parts):
    """Return a recipient label as the suggestions show it: its parts joined by en dashes."""
    return " \u2013 ".join(parts)


def log_in(page, username):
    page.goto("/connexion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def check_page(page, console_errors):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
    assert console_errors == []


def save(page, screenshot_dir, name, viewport):
    if screenshot_dir:
        label = "desktop" if viewport == DESKTOP else "mobile"
        page.screenshot(path=screenshot_dir / f"{name}-{label}.png", full_page=True)


def pick_suggestion(page, typed, label):
    # After a click that navigates, the form's script may not listen yet: keys typed
    # before the load event would bring no suggestion.
    page.wait_for_load_state()
    page.locator("#id_siret").press_sequentially(typed)
    option = page.get_by_role("option", name=label)
    expect(option).to_be_visible()
    option.click()


def pick_the_three_suppliers(page):
    for identifier, designation, _ in SUPPLIERS:
        pick_suggestion(page, identifier[:4], label(identifier, designation))


def test_list_reaches_each_supplier(
    browser, live_server, page, town, suppliers, town_user, console_errors
):
    log_in(page, "mairie")
    page.goto("/listes/")
    page.locator('a[href="/listes/nouvelle/"]').click()
    page.locator("#id_name").fill("Fournisseurs voirie")
    pick_the_three_suppliers(page)
    expect(page.locator(".chip")).to_have_count(3)
    expect(page.locator("[data-chip-count]")).to_contain_text("3")
    page.locator(SAVE).click()

    expect(page).to_have_url(re.compile(r"/listes/$"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Fournisseurs voirie")
    mailing_list = MailingList.objects.get()
    assert mailing_list.members.count() == 3

    page.goto("/messages/nouveau/")
    page.get_by_label(re.compile("Fournisseurs voirie")).check()
    page.locator("#id_title").fill("Travaux de voirie")
    page.locator("#id_body").fill("La rue Sainte-Catherine est fermée du 3 au 7 mars.")
    page.locator(SEND).click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    message = Message.objects.get()
    assert message.status == MessageStatus.SENT
    assert message.deliveries.count() == 3
    assert console_errors == []

    for _, _, username in SUPPLIERS:
        context = browser.new_context(base_url=live_server.url, locale="fr-FR")
        supplier_page = context.new_page()
        try:
            log_in(supplier_page, username)
            supplier_page.goto("/")
            expect(supplier_page.locator("tbody")).to_contain_text("Travaux de voirie")
            expect(supplier_page.locator("tbody")).to_contain_text(message.reference)
        finally:
            context.close()


def test_picker_shows_only_lists_of_the_chosen_type(page, town, suppliers, town_user):
    customer = PublicStructureFactory(designation="HOPITAL CLIENT")
    partners(town, customer)
    customers = MailingList(owner=town, name="Clients hospitaliers", recipient_kind="customers")
    save_mailing_list(customers, [(customer.pk, None)], by=None)
    vendors = MailingList(owner=town, name="Fournisseurs voirie", recipient_kind="suppliers")
    save_mailing_list(vendors, [(s.pk, None) for s in suppliers], by=None)

    log_in(page, "mairie")
    page.goto("/messages/nouveau/")
    suppliers_option = page.get_by_label(re.compile("Fournisseurs voirie"))
    customers_option = page.get_by_label(re.compile("Clients hospitaliers"))
    expect(suppliers_option).to_be_visible()
    expect(customers_option).to_be_hidden()

    suppliers_option.check()
    page.locator(f'input[name="recipient_kind"][value="{PartnerKind.CUSTOMERS}"]').check()

    expect(suppliers_option).to_be_hidden()
    expect(suppliers_option).to_be_disabled()
    expect(customers_option).to_be_visible()


def test_list_form_works_without_javascript(browser, live_server, town, suppliers, town_user):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "mairie")
        page.goto("/listes/nouvelle/")
        page.locator("#id_siret").fill("791 410 152 00015")
        page.locator('button[name="action"][value="add"][data-add-typed]').click()
        expect(page.locator(".chip")).to_have_count(1)
        page.locator("#id_search-designation").fill("nettoyage")
        page.locator('button[name="action"][value="search"]').click()
        page.get_by_role("checkbox", name=re.compile("NETTOYAGE AQUITAINE")).check()
        page.locator("[data-add-selected]").click()
        expect(page.locator(".chip")).to_have_count(2)
        page.locator("#id_name").fill("Sans script")
        page.locator(SAVE).click()

        expect(page).to_have_url(re.compile(r"/listes/$"))
        mailing_list = MailingList.objects.get()
        assert set(mailing_list.members.values_list("structure_id", flat=True)) == {
            suppliers[0].pk,
            suppliers[2].pk,
        }
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_mailing_list_screens(
    page, viewport, town, suppliers, town_user, console_errors, screenshot_dir
):
    stech = town.services.get(code="STECH")
    existing = MailingList(
        owner=town, owner_service=stech, name="Prestataires des services techniques"
    )
    existing.recipient_kind = PartnerKind.SUPPLIERS
    save_mailing_list(existing, [(s.pk, None) for s in suppliers[:2]], by=town_user)

    log_in(page, "mairie")
    page.goto("/listes/")
    expect(page.get_by_role("heading", level=2)).to_be_visible()
    check_page(page, console_errors)
    save(page, screenshot_dir, "lists-tab", viewport)

    page.goto("/listes/nouvelle/")
    page.locator("#id_name").fill("Fournisseurs voirie")
    pick_the_three_suppliers(page)
    expect(page.locator(".chip")).to_have_count(3)
    check_page(page, console_errors)
    save(page, screenshot_dir, "lists-create-chips", viewport)

    page.locator("#id_name").fill("")
    page.locator(SAVE).click()
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator(".chip")).to_have_count(3)
    check_page(page, console_errors)
    save(page, screenshot_dir, "lists-create-errors", viewport)

    page.goto(f"/listes/{existing.pk}/")
    expect(page.get_by_role("heading", level=2)).to_contain_text(existing.name)
    check_page(page, console_errors)
    save(page, screenshot_dir, "lists-detail", viewport)

    page.goto(f"/listes/{existing.pk}/supprimer/")
    expect(page.get_by_role("heading", level=2)).to_contain_text(existing.name)
    check_page(page, console_errors)
    save(page, screenshot_dir, "lists-delete", viewport)

    page.goto("/messages/nouveau/")
    expect(page.locator("[data-list-picker]")).to_contain_text(existing.name)
    check_page(page, console_errors)
    save(page, screenshot_dir, "lists-message-picker", viewport)
