"""The admin lists every model without a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging.sending import Recipient, set_draft_recipients
from tests.factories import (
    DraftFactory,
    InvoiceFactory,
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    partners,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:structures_structure_changelist",
    "admin:structures_service_changelist",
    "admin:structures_invoice_changelist",
    "admin:structures_partner_changelist",
    "admin:structures_membership_changelist",
    "admin:messaging_message_changelist",
    "admin:messaging_delivery_changelist",
    "admin:messaging_messageevent_changelist",
]


def _add_rows(count):
    for _ in range(count):
        service = ServiceFactory()
        invoice = InvoiceFactory(client=service.structure, client_service=service)
        MembershipFactory(structure=service.structure, service=service)
        message = DraftFactory(sender=invoice.client)
        set_draft_recipients(message, [Recipient(invoice.supplier_id)])


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, name):
    url = reverse(name)
    _add_rows(1)
    one = _count_queries(admin_client, url)

    _add_rows(5)
    six = _count_queries(admin_client, url)

    assert six == one


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelist_search_works(admin_client, name):
    _add_rows(1)

    response = admin_client.get(reverse(name), {"q": "1"})

    assert response.status_code == 200


def test_admin_rejects_bad_check_digit(admin_client):
    response = admin_client.post(
        reverse("admin:structures_structure_add"),
        {
            "identifier_type": "SIRET",
            "identifier": "110 002 011 00045",
            "designation": "TEST",
            "country_code": "FR",
            "services-TOTAL_FORMS": "0",
            "services-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "identifier" in response.context["adminform"].form.errors


def test_admin_keeps_imported_bad_checksum(admin_client):
    structure = PublicStructureFactory(identifier="13001100000000")

    response = admin_client.post(
        reverse("admin:structures_structure_change", args=[structure.pk]),
        {
            "identifier_type": "SIRET",
            "identifier": "13001100000000",
            "designation": "NOUVEAU NOM",
            "is_public": "on",
            "is_active": "on",
            "country_code": "FR",
            "services-TOTAL_FORMS": "0",
            "services-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.designation == "NOUVEAU NOM"


def test_admin_normalises_a_pasted_siret(admin_client):
    response = admin_client.post(
        reverse("admin:structures_structure_add"),
        {
            "identifier_type": "SIRET",
            "identifier": "110\u00a0002\u00a0011\u00a000044",
            "designation": "SEC ETAT",
            "country_code": "FR",
            "services-TOTAL_FORMS": "0",
            "services-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    from structures.models import Structure

    assert Structure.objects.get(designation="SEC ETAT").identifier == "11000201100044"


def test_admin_cannot_delete_a_sent_message(admin_client):
    town = PublicStructureFactory()
    vendor = StructureFactory()
    partners(vendor, town)
    from tests.factories import sent_message

    message = sent_message(sender=town, recipients=[vendor])

    response = admin_client.post(
        reverse("admin:messaging_message_delete", args=[message.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    message.refresh_from_db()


def test_admin_ignores_a_posted_sent_title(admin_client):
    from tests.factories import sent_message

    message = sent_message(recipients=[StructureFactory()])
    url = reverse("admin:messaging_message_change", args=[message.pk])
    data = {
        "sender": message.sender_id,
        "recipient_kind": message.recipient_kind,
        "title": "Titre changé",
        "body": message.body,
        "display_start": message.display_start.strftime("%d/%m/%Y"),
        "display_end": message.display_end.strftime("%d/%m/%Y"),
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.title != "Titre changé"


def test_non_staff_user_cannot_open_admin(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("admin:structures_structure_changelist"))

    assert response.status_code == 302


def test_admin_finds_a_message_by_reference(admin_client):
    from tests.factories import sent_message

    message = sent_message(recipients=[StructureFactory()])
    DraftFactory()

    response = admin_client.get(
        reverse("admin:messaging_message_changelist"), {"q": message.reference}
    )

    assert [m.pk for m in response.context["cl"].result_list] == [message.pk]


def test_admin_shows_sent_content_read_only(admin_client):
    from tests.factories import sent_message

    message = sent_message(recipients=[StructureFactory()])

    response = admin_client.get(reverse("admin:messaging_message_change", args=[message.pk]))

    form = response.context["adminform"].form
    assert "title" not in form.fields
    assert "display_end" in form.fields
