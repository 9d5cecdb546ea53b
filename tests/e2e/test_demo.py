"""The demo data set, as a person trying `make demo` meets it."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from structures.demo import DEMO_PASSWORD
from tests.e2e.test_login import TAB_NAMES, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_demo_supplier_sees_the_three_tabs_in_french(page, console_errors):
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    assert "fournisseur.dupont" in output.getvalue()

    log_in(page, "fournisseur.dupont", DEMO_PASSWORD)

    tabs = page.get_by_role("navigation", name="Mes messages").get_by_role("link")
    expect(tabs).to_have_count(len(TAB_NAMES))
    for index, name in enumerate(TAB_NAMES):
        expect(tabs.nth(index)).to_contain_text(name)
    expect(page.locator(".user-block__name")).to_have_text("Paul Dupont")
    assert console_errors == []
