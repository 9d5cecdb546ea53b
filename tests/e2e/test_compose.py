"""Writing, sending and modifying messages in Chromium, with and without JavaScript.

With SCREENSHOT_DIR set, the message form's states are saved there as PNG files.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging.models import Message, MessageStatus
from structures.models import PartnerKind
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
    sent_message,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-demo-2026"  # the password of UserFactory
DAY = datetime.timedelta(days=1)
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(MOBILE, id="mobile")]
# Buttons found by their action, so that the tests do not depend on the labels' translation.
SAVE = 'button[name="action"][value="save"]'
SEND = 'button[name="action"][value="send"]'
SEARCH = 'button[name="action"][value="search"]'
ADD = "button[data-add-typed]"


@pytest.fixture
def town():
    town = PublicStructureFactory(
        identifier="21330063500017", designation="COMMUNE DE BORDEAUX - MAIRE"
    )
    ServiceFactory(structure=town, code="STECH", label="Services techniques")
    return town


@pytest.fixture
def suppliers(town):
    names = ["ATELIERS DUPONT SARL", "BUREAU PLUS FOURNITURES", "NETTOYAGE AQUITAINE SAS"]
    identifiers = ["79141015200015", "84000001700019", "84000002500012"]
    suppliers = [
        StructureFactory(identifier=identifier, designation=name, city="Bordeaux")
        for identifier, name in zip(identifiers, names, strict=True)
    ]
    for supplier in suppliers:
        partners(supplier, town)
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


def save(page, screenshot_dir, name, viewport, *, full_page=True):
    """Save a screenshot when SCREENSHOT_DIR is set; full_page=False keeps to the window."""
    if screenshot_dir:
        label = "desktop" if viewport == DESKTOP else "mobile"
        page.screenshot(path=screenshot_dir / f"{name}-{label}.png", full_page=full_page)


def pick_suggestion(page, typed, label):
    # After a click that navigates, the form's script may not listen yet: keys typed
    # before the load event would bring no suggestion.
    page.wait_for_load_state()
    page.locator("#id_siret").press_sequentially(typed)
    option = page.get_by_role("option", name=label)
    expect(option).to_be_visible()
    option.click()


def test_public_user_drafts_then_sends_to_two_suppliers(
    page, town, suppliers, town_user, console_errors
):
    log_in(page, "mairie")
    page.goto("/messages/nouveau/")
    page.locator("#id_title").fill("Fermeture annuelle")
    page.locator(SAVE).click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    draft = Message.objects.get()
    expect(page.locator(".messages")).to_contain_text(draft.reference)

    page.goto(f"/messages/{draft.reference}/modifier/")
    pick_suggestion(page, "7914", label("79141015200015", "ATELIERS DUPONT SARL"))
    page.locator("#id_search-designation").fill("bureau")
    page.locator(SEARCH).click()
    page.get_by_role("checkbox", name=re.compile("BUREAU PLUS FOURNITURES")).check()
    page.locator("[data-add-selected]").click()
    expect(page.locator(".chip")).to_have_count(2)
    page.locator("#id_body").fill("Nos services sont fermés du 1er au 15 février.")
    page.locator(SEND).click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    draft.refresh_from_db()
    assert draft.status == MessageStatus.SENT
    assert set(draft.deliveries.values_list("recipient_id", flat=True)) == {
        suppliers[0].pk,
        suppliers[1].pk,
    }
    assert draft.deliveries.get(recipient=suppliers[1]).source == "search"
    assert console_errors == []


def test_supplier_writes_to_all_its_customers(page, town, suppliers, console_errors):
    other_town = PublicStructureFactory(designation="COMMUNE DE BEGLES")
    partners(suppliers[0], other_town)
    MembershipFactory(structure=suppliers[0], user__username="dupont")

    log_in(page, "dupont")
    page.goto("/messages/nouveau/")
    expect(page.locator('input[name="recipient_kind"][type="radio"]')).to_have_count(0)
    page.locator('input[name="all_recipients"][value="True"]').check()
    page.locator("#id_title").fill("Nouveau RIB")
    page.locator("#id_body").fill("Nos coordonnées bancaires changent au 1er janvier.")
    page.locator(SEND).click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    message = Message.objects.get()
    assert message.recipient_kind == PartnerKind.CUSTOMERS
    assert set(message.deliveries.values_list("recipient_id", flat=True)) == {
        town.pk,
        other_town.pk,
    }
    assert console_errors == []


def test_sent_message_gets_new_end_date_and_recipient(
    page, town, suppliers, town_user, console_errors
):
    message = sent_message(sender=town, recipients=[suppliers[0]], created_by=town_user)
    new_end = timezone.localdate() + 30 * DAY

    log_in(page, "mairie")
    page.goto(f"/messages/{message.reference}/modifier/")
    expect(page.locator("#id_title")).to_have_count(0)
    page.locator("#id_display_end").fill(new_end.strftime("%d/%m/%Y"))
    pick_suggestion(page, "8400 0001", label("84000001700019", "BUREAU PLUS FOURNITURES"))
    page.locator(SAVE).click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    message.refresh_from_db()
    assert message.display_end == new_end
    assert message.deliveries.count() == 2
    assert console_errors == []


def test_counters_count_characters_like_the_server(page, town, town_user):
    log_in(page, "mairie")
    page.goto("/messages/nouveau/")

    page.locator("#id_title").fill("Été \U0001f4e2")
    page.locator("#id_body").fill("ligne 1\nligne 2\n\U0001f600")

    expect(page.locator("#id_title_counter")).to_contain_text("5 / 50")
    expect(page.locator("#id_body_counter")).to_contain_text("17 / 2000")
    page.locator("#id_title").fill("x" * 51)
    expect(page.locator("#id_title_counter")).to_have_class(re.compile("counter--over"))


def test_chip_is_removed_without_reload(page, town, suppliers, town_user):
    log_in(page, "mairie")
    page.goto("/messages/nouveau/")
    pick_suggestion(page, "7914", label("79141015200015", "ATELIERS DUPONT SARL"))
    page.evaluate("window.notReloaded = true")

    page.locator(".chip__remove").click()

    expect(page.locator(".chip")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True


def test_private_sender_hides_recipient_type(page, town, suppliers):
    user = MembershipFactory(structure=town, user__username="multi").user
    MembershipFactory(user=user, structure=suppliers[0])

    log_in(page, "multi")
    page.goto("/messages/nouveau/")
    kind = page.locator("[data-recipient-kind]")
    page.locator("#id_sender").select_option(str(town.pk))
    expect(kind).to_be_visible()
    page.locator("#id_recipient_kind_1").check()
    page.locator("#id_sender").select_option(str(suppliers[0].pk))

    expect(kind).to_be_hidden()
    expect(page.locator("#id_recipient_kind_0")).to_be_checked()


def test_form_works_without_javascript(browser, live_server, town, suppliers, town_user):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "mairie")
        page.goto("/messages/nouveau/")
        page.locator("#id_siret").fill("791 410 152 00015")
        page.locator(ADD).click()
        expect(page.locator(".chip")).to_have_count(1)

        page.locator("#id_search-city").fill("bordeaux")
        page.locator(SEARCH).click()
        page.get_by_role("checkbox", name=re.compile("NETTOYAGE AQUITAINE")).check()
        page.locator("[data-add-selected]").click()
        expect(page.locator(".chip")).to_have_count(2)

        page.locator(".chip__remove").first.click()
        expect(page.locator(".chip")).to_have_count(1)
        page.locator("#id_title").fill("Sans script")
        page.locator("#id_body").fill("Envoyé sans JavaScript.")
        page.locator(SEND).click()

        expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
        message = Message.objects.get()
        assert message.status == MessageStatus.SENT
        assert list(message.deliveries.values_list("recipient_id", flat=True)) == [suppliers[2].pk]
    finally:
        context.close()


# ---------- Screens ----------


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_message_form_screens(
    page, viewport, town, suppliers, town_user, console_errors, screenshot_dir
):
    log_in(page, "mairie")
    page.goto("/messages/nouveau/")
    expect(page.get_by_role("heading", level=2)).to_be_visible()
    check_page(page, console_errors)
    save(page, screenshot_dir, "compose-empty", viewport)

    pick_suggestion(page, "7914", label("79141015200015", "ATELIERS DUPONT SARL"))
    pick_suggestion(page, "8400", label("84000001700019", "BUREAU PLUS FOURNITURES"))
    page.locator("#id_siret").press_sequentially("8400")
    expect(page.locator("#siret-suggestions [role=option]")).to_have_count(2)
    page.locator("#id_siret").scroll_into_view_if_needed()
    save(page, screenshot_dir, "compose-suggestions", viewport, full_page=False)

    page.locator("#id_siret").fill("")
    page.locator("#id_title").fill("x" * 60)
    page.locator(SEND).click()
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator(".chip")).to_have_count(2)
    check_page(page, console_errors)
    save(page, screenshot_dir, "compose-errors", viewport)

    page.locator("#id_search-city").fill("bordeaux")
    page.locator(SEARCH).click()
    expect(page.locator(".recipient-results table")).to_be_visible()
    check_page(page, console_errors)
    save(page, screenshot_dir, "compose-search", viewport)


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_sent_message_and_delete_screens(
    page, viewport, town, suppliers, town_user, console_errors, screenshot_dir
):
    message = sent_message(
        sender=town,
        recipients=suppliers[:2],
        created_by=town_user,
        title="Nouveau code service STECH",
        body="Bonjour,\n\nÀ compter du 1er janvier, les factures portent le code STECH.",
    )
    draft = DraftFactory(sender=town, title="Brouillon à supprimer")

    log_in(page, "mairie")
    page.goto(f"/messages/{message.reference}/modifier/")
    expect(page.get_by_role("heading", level=2)).to_contain_text(message.reference)
    check_page(page, console_errors)
    save(page, screenshot_dir, "modify-sent", viewport)

    page.goto(f"/messages/{draft.reference}/supprimer/")
    expect(page.get_by_role("heading", level=2)).to_contain_text(draft.reference)
    check_page(page, console_errors)
    save(page, screenshot_dir, "delete-draft", viewport)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/boite-envoi/$"))
    assert not Message.objects.filter(pk=draft.pk).exists()
