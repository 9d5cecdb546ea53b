import pytest
from django.core.exceptions import ValidationError

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList
from messaging.models import DeliverySource
from messaging.sending import Recipient, add_mailing_lists, send, set_draft_recipients
from structures.models import PartnerKind
from tests.factories import DraftFactory, PublicStructureFactory, StructureFactory, partners

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    return PublicStructureFactory()


@pytest.fixture
def vendors(town):
    vendors = StructureFactory.create_batch(4)
    for vendor in vendors:
        partners(vendor, town)
    return vendors


def _list(owner, members, name="Liste", kind=PartnerKind.SUPPLIERS):
    mailing_list = MailingList(owner=owner, name=name, recipient_kind=kind)
    return save_mailing_list(mailing_list, [(m.pk, None) for m in members], by=None)


def test_overlapping_lists_deliver_once_per_recipient(town, vendors):
    first = _list(town, vendors[:3], name="A")
    second = _list(town, vendors[1:], name="B")
    message = DraftFactory(sender=town)
    message.mailing_lists.set([first, second])
    set_draft_recipients(message, [Recipient(vendors[0].pk)])

    send(message, by=None)

    recipients = list(message.deliveries.values_list("recipient_id", flat=True))
    assert sorted(recipients) == sorted(v.pk for v in vendors)


def test_list_members_are_a_snapshot_at_sending(town, vendors):
    mailing_list = _list(town, vendors[:2])
    message = DraftFactory(sender=town)
    message.mailing_lists.set([mailing_list])
    send(message, by=None)

    save_mailing_list(mailing_list, [(vendors[3].pk, None)], by=None)

    assert set(message.deliveries.values_list("recipient_id", flat=True)) == {
        vendors[0].pk,
        vendors[1].pk,
    }
    assert set(message.deliveries.values_list("source", flat=True)) == {DeliverySource.MAILING_LIST}


def test_list_member_no_longer_partner_blocks_send(town, vendors):
    mailing_list = _list(town, vendors[:2])
    town.partner_links.filter(partner=vendors[1]).delete()
    message = DraftFactory(sender=town)
    message.mailing_lists.set([mailing_list])

    with pytest.raises(ValidationError) as error:
        send(message, by=None)

    assert vendors[1].identifier in " ".join(error.value.message_dict["recipients"])
    assert not message.deliveries.exists()
    message.refresh_from_db()
    assert message.is_draft


def test_list_of_another_structure_is_refused(town, vendors):
    other = PublicStructureFactory()
    partners(vendors[0], other)
    foreign = _list(other, vendors[:1])
    message = DraftFactory(sender=town)
    message.mailing_lists.set([foreign])

    with pytest.raises(ValidationError) as error:
        send(message, by=None)

    assert "mailing_lists" in error.value.message_dict


def test_list_of_other_recipient_type_is_refused(town, vendors):
    customer = PublicStructureFactory()
    partners(town, customer)
    customers = _list(town, [customer], kind=PartnerKind.CUSTOMERS)
    message = DraftFactory(sender=town)
    message.mailing_lists.set([customers])

    with pytest.raises(ValidationError):
        send(message, by=None)


def test_sent_message_receives_a_new_list(town, vendors):
    message = DraftFactory(sender=town)
    set_draft_recipients(message, [Recipient(vendors[0].pk)])
    send(message, by=None)
    mailing_list = _list(town, vendors[:3])

    added = add_mailing_lists(message, [mailing_list], by=None)

    assert added == 2
    assert message.deliveries.count() == 3
    assert list(message.mailing_lists.all()) == [mailing_list]


def test_deleting_a_list_keeps_the_deliveries(town, vendors):
    mailing_list = _list(town, vendors[:2])
    message = DraftFactory(sender=town)
    message.mailing_lists.set([mailing_list])
    send(message, by=None)

    mailing_list.delete()

    assert message.deliveries.count() == 2
