"""The Mailbox, the Outbox and a message page in Chromium, on a desktop and a phone.

With SCREENSHOT_DIR set, each screen is also saved there as a PNG.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging.models import Message
from tests.e2e.conftest import DESKTOP, MOBILE
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    StructureFactory,
    sent_message,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-demo-2026"  # the password of UserFactory
DAY = datetime.timedelta(days=1)
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(MOBILE, id="mobile")]


def log_in(page, username):
    page.goto("/connexion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def check_no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def save(page, screenshot_dir, name, viewport):
    if screenshot_dir:
        label = "desktop" if viewport == DESKTOP else "mobile"
        page.screenshot(path=screenshot_dir / f"{name}-{label}.png", full_page=True)


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def supplier(town):
    return StructureFactory(designation="ATELIERS DUPONT SARL")


@pytest.fixture
def supplier_user(supplier):
    return MembershipFactory(structure=supplier, user__username="cdupont").user


@pytest.fixture
def town_user(town):
    return MembershipFactory(structure=town, user__username="mairie").user


def test_mailbox_shows_message_only_during_display(page, town, supplier, supplier_user):
    message = sent_message(
        sender=town, recipients=[supplier], title="Fermeture estivale", body="Du 1er au 15 août."
    )
    log_in(page, "cdupont")
    mailbox = page.locator("main table")

    expect(mailbox).to_contain_text("Fermeture estivale")
    expect(mailbox).to_contain_text(message.reference)
    expect(mailbox.locator("tr.is-unread")).to_have_count(1)
    expect(page.locator(".tabs__count")).to_contain_text("1")

    today = timezone.localdate()
    Message.objects.filter(pk=message.pk).update(
        display_start=today - 10 * DAY, display_end=today - DAY
    )
    page.reload()

    expect(mailbox).not_to_contain_text("Fermeture estivale")
    expect(page.locator(".tabs__count")).to_have_count(0)


def test_opening_message_marks_it_read(page, town, supplier, supplier_user):
    message = sent_message(sender=town, recipients=[supplier], title="Nouveau code service")
    log_in(page, "cdupont")

    page.locator("main table").get_by_role("link", name=re.compile(message.reference)).click()

    expect(page.get_by_role("heading", level=2)).to_contain_text(message.reference)
    expect(page.locator(".tabs__count")).to_have_count(0)
    page.go_back()
    page.reload()
    expect(page.locator("main table tr.is-unread")).to_have_count(0)


def test_outbox_title_filter_sort_and_page_two(page, town, town_user):
    for number in range(12):
        DraftFactory(sender=town, title=f"Élagage secteur {number:02d}")
    DraftFactory(sender=town, title="Fermeture estivale")
    log_in(page, "mairie")
    page.goto("/boite-envoi/")

    page.locator("#id_title").fill("elagage")
    page.locator(".filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"title=elagage"))
    title_header = page.locator("main table thead").get_by_role("link", name="Titre")
    title_header.click()
    expect(page).to_have_url(re.compile(r"sort=title"))
    title_header.click()
    expect(page).to_have_url(re.compile(r"sort=-title"))
    page.locator("#id_per_page").select_option("5")
    page.locator(".per-page button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"per_page=5"))
    page.locator(".pagination").get_by_role("link", name="Page 2", exact=True).click()

    expect(page).to_have_url(re.compile(r"title=elagage"))
    expect(page).to_have_url(re.compile(r"sort=-title"))
    expect(page).to_have_url(re.compile(r"per_page=5"))
    expect(page).to_have_url(re.compile(r"page=2"))
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Élagage secteur 06")
    expect(rows.last).to_contain_text("Élagage secteur 02")
    expect(page.locator("main table")).not_to_contain_text("Fermeture")
    expect(page.locator("#id_title")).to_have_value("elagage")


def test_outbox_invalid_date_shows_field_error(page, town, town_user):
    log_in(page, "mairie")
    page.goto("/boite-envoi/")

    page.locator("#id_start_from").fill("31/02/2026")
    page.locator(".filters button[type=submit]").click()

    expect(page.locator("#id_start_from")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".errorlist").first).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_list_and_detail_screens(page, viewport, town, supplier, console_errors, screenshot_dir):
    user = MembershipFactory(structure=town, user__username="multi").user
    MembershipFactory(user=user, structure=supplier)
    for number in range(6):
        sent_message(
            sender=town,
            recipients=[supplier, StructureFactory()],
            title=f"Annonce numéro {number}",
            body="Les factures des travaux de voirie doivent porter le code service STECH. " * 3,
        )
    DraftFactory(sender=town, title="Brouillon en cours")
    incoming = sent_message(
        sender=PublicStructureFactory(designation="SEC ETAT AUPRES MINISTRE ECO FINANCES"),
        recipients=[supplier],
        title="Rappel : mentions obligatoires",
    )
    log_in(page, "multi")

    screens = [
        ("outbox", "/boite-envoi/"),
        ("mailbox", "/"),
        ("detail-sender", f"/messages/{Message.objects.filter(sender=town).last().reference}/"),
        ("detail-recipient", f"/messages/{incoming.reference}/"),
    ]
    for name, path in screens:
        page.goto(path)
        expect(page.get_by_role("heading", level=2)).to_be_visible()
        check_no_sideways_scroll(page)
        save(page, screenshot_dir, name, viewport)
    assert console_errors == []


# Counts the line boxes of the text node of the table's body that reads `text`:
# 1 when it does not wrap.
TEXT_LINES = """(text) => {
  const walker = document.createTreeWalker(
    document.querySelector("main tbody"), NodeFilter.SHOW_TEXT
  );
  while (walker.nextNode()) {
    if (walker.currentNode.textContent.trim() === text) {
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      return range.getClientRects().length;
    }
  }
  return 0;
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True)
def test_outbox_cells_keep_identifiers_whole(page, viewport, town, town_user):
    sent = sent_message(sender=town, recipients=[StructureFactory()], title="Fermeture estivale")
    draft = DraftFactory(sender=town, title="W" * 50)
    log_in(page, "mairie")

    page.goto("/boite-envoi/")

    check_no_sideways_scroll(page)
    for text in (sent.reference, draft.reference, town.identifier, "Brouillon", "Envoyé"):
        assert page.evaluate(TEXT_LINES, text) == 1, f"{text} wraps"
