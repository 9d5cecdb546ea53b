import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from messaging.models import Delivery, DeliverySource, Message, MessageEvent, MessageStatus
from messaging.sending import Recipient, add_recipients, send, set_draft_recipients
from structures.models import PartnerKind
from tests.factories import (
    DraftFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    partners,
    sent_message,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def vendor(town):
    vendor = StructureFactory(designation="ATELIERS DUPONT SARL")
    partners(vendor, town)
    return vendor


def test_send_delivers_to_chosen_supplier(town, vendor):
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendor.pk)])

    assert send(message, by=UserFactory()) is True

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert list(message.deliveries.values_list("recipient_id", flat=True)) == [vendor.pk]


def test_second_send_does_nothing(town, vendor):
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendor.pk)])
    send(message, by=None)

    assert send(message, by=None) is False
    assert message.deliveries.count() == 1
    assert message.events.filter(action=MessageEvent.Action.SENT).count() == 1


def test_non_partner_recipient_is_named_in_error(town, vendor):
    stranger = StructureFactory(designation="INCONNU SA")
    message = DraftFactory(sender=town)

    with pytest.raises(ValidationError) as error:
        set_draft_recipients(message, [Recipient(vendor.pk), Recipient(stranger.pk)])

    text = " ".join(error.value.message_dict["recipients"])
    assert stranger.identifier in text
    assert "INCONNU SA" in text
    assert vendor.identifier not in text
    assert message.deliveries.count() == 0


def test_supplier_is_not_a_customer(town, vendor):
    message = DraftFactory(sender=town, recipient_kind=PartnerKind.CUSTOMERS)

    with pytest.raises(ValidationError):
        set_draft_recipients(message, [Recipient(vendor.pk)])


def test_private_sender_writes_to_its_customers(town, vendor):
    message = DraftFactory(sender=vendor, recipient_kind=PartnerKind.CUSTOMERS)
    set_draft_recipients(message, [Recipient(town.pk)])

    send(message, by=None)

    assert message.deliveries.get().recipient == town


def test_private_sender_cannot_write_to_suppliers(vendor):
    message = DraftFactory.build(sender=vendor, recipient_kind=PartnerKind.SUPPLIERS)

    with pytest.raises(ValidationError) as error:
        message.full_clean()
    assert "recipient_kind" in error.value.message_dict


def test_service_recipient_needs_invoices_naming_it(town):
    service = ServiceFactory(structure=StructureFactory(), code="SERVICE_DEFAULT")
    other_service = ServiceFactory(structure=service.structure, code="AUTRE")
    partners(service.structure, town, supplier_service=service)
    message = DraftFactory(sender=town)

    set_draft_recipients(message, [Recipient(service.structure_id, service.pk)])
    with pytest.raises(ValidationError) as error:
        set_draft_recipients(message, [Recipient(service.structure_id, other_service.pk)])

    assert "(AUTRE)" in " ".join(error.value.message_dict["recipients"])


def test_all_my_recipients_delivers_to_every_partner(town):
    vendors = StructureFactory.create_batch(3)
    for vendor in vendors:
        partners(vendor, town)
    customer = PublicStructureFactory()
    partners(town, customer)
    message = DraftFactory(sender=town, all_recipients=True)

    send(message, by=None)

    delivered = set(message.deliveries.values_list("recipient_id", flat=True))
    assert delivered == {v.pk for v in vendors}
    assert set(message.deliveries.values_list("source", flat=True)) == {DeliverySource.ALL}


def test_all_and_typed_recipient_collapse_into_one_delivery(town, vendor):
    message = DraftFactory(sender=town, all_recipients=True)
    set_draft_recipients(message, [Recipient(vendor.pk)])

    send(message, by=None)

    assert message.deliveries.count() == 1


def test_all_my_recipients_skips_inactive_partners(town, vendor):
    closed = StructureFactory(is_active=False)
    partners(closed, town)
    message = DraftFactory(sender=town, all_recipients=True)

    send(message, by=None)

    assert list(message.deliveries.values_list("recipient_id", flat=True)) == [vendor.pk]


def test_send_without_recipient_is_rejected_and_stays_draft(town):
    message = DraftFactory(sender=town)

    with pytest.raises(ValidationError) as error:
        send(message, by=None)

    assert "recipients" in error.value.message_dict
    message.refresh_from_db()
    assert message.is_draft


def test_incomplete_draft_cannot_be_sent(town, vendor):
    message = DraftFactory(sender=town, title="", body="", display_start=None, display_end=None)
    set_draft_recipients(message, [Recipient(vendor.pk)])

    with pytest.raises(ValidationError) as error:
        send(message, by=None)

    assert set(error.value.message_dict) == {"title", "body", "display_start", "display_end"}


def test_start_in_the_past_cannot_be_sent(town, vendor):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    message = DraftFactory(sender=town, display_start=yesterday)
    set_draft_recipients(message, [Recipient(vendor.pk)])

    with pytest.raises(ValidationError) as error:
        send(message, by=None)

    assert "display_start" in error.value.message_dict


def test_failed_send_keeps_no_delivery(town, vendor):
    """A recipient that stopped being a partner blocks the send; "all" rows are rolled back."""
    gone = StructureFactory()
    partners(gone, town)
    message = DraftFactory(sender=town, all_recipients=True)
    set_draft_recipients(message, [Recipient(gone.pk)])
    town.partner_links.filter(partner=gone).delete()

    with pytest.raises(ValidationError):
        send(message, by=None)

    assert list(message.deliveries.values_list("recipient_id", flat=True)) == [gone.pk]
    message.refresh_from_db()
    assert message.is_draft


def test_draft_recipients_are_replaced(town, vendor):
    other = StructureFactory()
    partners(other, town)
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendor.pk)])

    set_draft_recipients(message, [Recipient(other.pk)])

    assert list(message.deliveries.values_list("recipient_id", flat=True)) == [other.pk]


def test_sent_message_gets_new_recipients(town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    newcomer = StructureFactory()
    partners(newcomer, town)

    added = add_recipients(message, [Recipient(newcomer.pk), Recipient(vendor.pk)], by=None)

    assert added == 1
    assert message.deliveries.count() == 2
    assert message.events.filter(action=MessageEvent.Action.RECIPIENTS_ADDED).exists()


def test_sent_message_recipients_are_never_replaced(town, vendor):
    message = sent_message(sender=town, recipients=[vendor])

    with pytest.raises(ValidationError):
        set_draft_recipients(message, [])

    assert message.deliveries.count() == 1


def test_expired_message_gets_no_new_recipient(town, vendor):
    message = sent_message(sender=town, recipients=[vendor])
    past = datetime.date.today() - datetime.timedelta(days=10)
    Message.objects.filter(pk=message.pk).update(
        display_start=past, display_end=past + datetime.timedelta(days=2)
    )
    newcomer = StructureFactory()
    partners(newcomer, town)

    with pytest.raises(ValidationError):
        add_recipients(message, [Recipient(newcomer.pk)], by=None)


def test_sent_message_cannot_be_deleted(town, vendor):
    message = sent_message(sender=town, recipients=[vendor])

    with pytest.raises(models.ProtectedError):
        message.delete()
    with pytest.raises(models.ProtectedError):
        Message.objects.filter(pk=message.pk).delete()

    assert Delivery.objects.filter(message=message).count() == 1


def test_draft_can_be_deleted(town, vendor):
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendor.pk)])

    message.delete()

    assert not Message.objects.exists()
    assert not Delivery.objects.exists()
