"""The Mailbox and Outbox rows rendered in one pass give django-tables2's own HTML."""

import datetime
import re

import django_tables2 as tables
import pytest
from django.urls import reverse
from django.utils import timezone

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from mailing_lists.tables import MailingListTable
from mailing_lists.views import ListIndexView
from messaging import views
from messaging.models import Delivery, Message
from messaging.sending import Recipient, add_recipients
from messaging.tables import MailboxTable, OutboxTable, RecipientTable
from messaging.views.lists import MailboxView, OutboxView
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
    sent_message,
)


class StockOutboxTable(OutboxTable):
    paginated_rows = tables.Table.paginated_rows

    class Meta(OutboxTable.Meta):
        pass


class StockMailboxTable(MailboxTable):
    paginated_rows = tables.Table.paginated_rows

    class Meta(MailboxTable.Meta):
        pass


class StockMailingListTable(MailingListTable):
    paginated_rows = tables.Table.paginated_rows

    class Meta(MailingListTable.Meta):
        pass


class StockRecipientTable(RecipientTable):
    paginated_rows = tables.Table.paginated_rows

    class Meta(RecipientTable.Meta):
        pass


def _table_html(client, url, **params):
    """Return the page's table, without the whitespace between tags that templates leave."""
    page = client.get(url, params).text
    table = page[page.index("<table") : page.index("</table>")]
    return re.sub(r">\s+<", "><", table)


def _both(client, monkeypatch, view, stock_table, url, **params):
    """Return the table's HTML rendered in one pass, then by django-tables2 itself."""
    fast = _table_html(client, url, **params)
    monkeypatch.setattr(view, "table_class", stock_table)
    return fast, _table_html(client, url, **params)


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE D'ÉLAGAGE & <FILS>")


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-reference", "title", "-display_end", "sender_designation"])
def test_outbox_rows_match_django_tables2(client, monkeypatch, town, sort):
    today = timezone.localdate()
    DraftFactory(sender=town, title="", display_start=None, display_end=None)
    DraftFactory(sender=town, title="Brouillon <b>gras</b>")
    sent_message(sender=town, recipients=[StructureFactory()])
    expired = sent_message(sender=town, recipients=[StructureFactory()])
    past = today - datetime.timedelta(days=30)
    Message.objects.filter(pk=expired.pk).update(display_start=past, display_end=past)
    client.force_login(MembershipFactory(structure=town).user)
    url = reverse("messaging:outbox")

    fast, stock = _both(client, monkeypatch, OutboxView, StockOutboxTable, url, sort=sort)

    assert fast == stock
    assert "<td >—</td>" in fast


@pytest.mark.django_db
def test_mailbox_rows_match_django_tables2(client, monkeypatch, town):
    vendor = StructureFactory()
    read = sent_message(sender=town, recipients=[vendor], title="Lu & relu")
    sent_message(sender=town, recipients=[vendor], body="Ligne 1\r\nLigne 2 " + "x" * 150)
    Delivery.objects.filter(message=read).update(read_at=timezone.now())
    client.force_login(MembershipFactory(structure=vendor).user)
    url = reverse("messaging:mailbox")

    fast, stock = _both(client, monkeypatch, MailboxView, StockMailboxTable, url)

    assert fast == stock
    assert 'class="is-unread' in fast


@pytest.mark.django_db
def test_recipient_rows_match_django_tables2(client, monkeypatch, town):
    vendor = StructureFactory(designation="ATELIERS <DUPONT> & FILS")
    service = ServiceFactory(structure=vendor, code="STECH")
    message = sent_message(sender=town, recipients=[vendor, StructureFactory()])
    author = MembershipFactory(structure=town).user
    partners(vendor, town, supplier_service=service)
    add_recipients(message, [Recipient(vendor.pk, service.pk)], by=author)
    client.force_login(author)
    url = reverse("messaging:message-detail", args=[message.pk])

    fast = _table_html(client, url)
    monkeypatch.setattr(views.detail, "RecipientTable", StockRecipientTable)
    stock = _table_html(client, url)

    assert fast == stock
    assert "STECH" in fast


@pytest.mark.django_db
def test_mailing_list_rows_match_django_tables2(client, monkeypatch, town):
    vendor = StructureFactory()
    service = ServiceFactory(structure=town, code="STECH", label="Services <techniques>")
    partners(vendor, town)
    suppliers = PartnerKind.SUPPLIERS
    whole = MailingList(owner=town, name="Fournisseurs & <voirie>", recipient_kind=suppliers)
    save_mailing_list(whole, [(vendor.pk, None)], by=None)
    of_service = MailingList(
        owner=town, owner_service=service, name="Atelier", recipient_kind=suppliers
    )
    save_mailing_list(of_service, [(vendor.pk, None)], by=None)
    client.force_login(MembershipFactory(structure=town).user)
    url = reverse("mailing_lists:list-index")

    fast, stock = _both(client, monkeypatch, ListIndexView, StockMailingListTable, url)

    assert fast == stock
    assert "Fournisseurs &amp; &lt;voirie&gt;" in fast
    assert "<td >—</td>" in fast
