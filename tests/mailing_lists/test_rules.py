import pytest
from django.core.exceptions import ValidationError

from mailing_lists.editing import save_mailing_list
from mailing_lists.models import MailingList, Member
from structures.models import PartnerKind
from tests.factories import (
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    partners,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    return PublicStructureFactory()


@pytest.fixture
def vendors(town):
    vendors = StructureFactory.create_batch(3)
    for vendor in vendors:
        partners(vendor, town)
    return vendors


def _new_list(owner, **fields):
    fields.setdefault("name", "Fournisseurs informatique")
    fields.setdefault("recipient_kind", PartnerKind.SUPPLIERS)
    return MailingList(owner=owner, **fields)


def test_list_is_saved_with_its_recipients(town, vendors):
    mailing_list = save_mailing_list(
        _new_list(town), [(v.pk, None) for v in vendors], by=UserFactory()
    )

    assert set(mailing_list.members.values_list("structure_id", flat=True)) == {
        v.pk for v in vendors
    }


def test_list_needs_a_recipient(town):
    with pytest.raises(ValidationError) as error:
        save_mailing_list(_new_list(town), [], by=None)

    assert "members" in error.value.message_dict
    assert not MailingList.objects.exists()


def test_non_partner_member_is_named(town, vendors):
    stranger = StructureFactory(designation="INCONNU SA")

    with pytest.raises(ValidationError) as error:
        save_mailing_list(_new_list(town), [(vendors[0].pk, None), (stranger.pk, None)], by=None)

    text = " ".join(error.value.message_dict["members"])
    assert "INCONNU SA" in text
    assert vendors[0].designation not in text
    assert not MailingList.objects.exists()


def test_member_of_wrong_kind_is_rejected(town, vendors):
    with pytest.raises(ValidationError):
        save_mailing_list(
            _new_list(town, recipient_kind=PartnerKind.CUSTOMERS), [(vendors[0].pk, None)], by=None
        )


@pytest.mark.parametrize("length", [249, 250])
def test_name_up_to_250_characters_is_valid(town, vendors, length):
    save_mailing_list(_new_list(town, name="é" * length), [(vendors[0].pk, None)], by=None)


def test_name_of_251_characters_is_invalid(town, vendors):
    with pytest.raises(ValidationError) as error:
        save_mailing_list(_new_list(town, name="é" * 251), [(vendors[0].pk, None)], by=None)

    assert "name" in error.value.message_dict


def test_blank_name_is_invalid(town, vendors):
    with pytest.raises(ValidationError) as error:
        save_mailing_list(_new_list(town, name="   "), [(vendors[0].pk, None)], by=None)

    assert "name" in error.value.message_dict


def test_name_is_unique_per_owner_ignoring_case(town, vendors):
    save_mailing_list(_new_list(town, name="Voirie"), [(vendors[0].pk, None)], by=None)

    with pytest.raises(ValidationError):
        save_mailing_list(_new_list(town, name="VOIRIE"), [(vendors[1].pk, None)], by=None)


def test_same_name_is_allowed_for_another_owner(town, vendors):
    other = PublicStructureFactory()
    partners(vendors[0], other)
    save_mailing_list(_new_list(town, name="Voirie"), [(vendors[0].pk, None)], by=None)

    save_mailing_list(_new_list(other, name="Voirie"), [(vendors[0].pk, None)], by=None)


def test_owner_service_must_belong_to_owner(town, vendors):
    foreign = ServiceFactory()

    with pytest.raises(ValidationError) as error:
        save_mailing_list(_new_list(town, owner_service=foreign), [(vendors[0].pk, None)], by=None)

    assert "owner_service" in error.value.message_dict


def test_private_owner_lists_hold_customers_only(vendors, town):
    with pytest.raises(ValidationError) as error:
        save_mailing_list(
            _new_list(vendors[0], recipient_kind=PartnerKind.SUPPLIERS), [(town.pk, None)], by=None
        )

    assert "recipient_kind" in error.value.message_dict


def test_saving_replaces_recipients(town, vendors):
    mailing_list = save_mailing_list(_new_list(town), [(vendors[0].pk, None)], by=None)

    save_mailing_list(mailing_list, [(vendors[1].pk, None), (vendors[2].pk, None)], by=None)

    assert set(Member.objects.values_list("structure_id", flat=True)) == {
        vendors[1].pk,
        vendors[2].pk,
    }


def test_whole_structure_user_uses_every_list(town, vendors):
    service = ServiceFactory(structure=town)
    partners(vendors[0], town)
    general = save_mailing_list(_new_list(town, name="A"), [(vendors[0].pk, None)], by=None)
    of_service = save_mailing_list(
        _new_list(town, name="B", owner_service=service), [(vendors[0].pk, None)], by=None
    )
    user = MembershipFactory(structure=town).user

    assert set(MailingList.objects.for_user(user)) == {general, of_service}


def test_service_user_uses_only_its_service_lists(town, vendors):
    service, other_service = ServiceFactory(structure=town), ServiceFactory(structure=town)
    save_mailing_list(_new_list(town, name="A"), [(vendors[0].pk, None)], by=None)
    mine = save_mailing_list(
        _new_list(town, name="B", owner_service=service), [(vendors[0].pk, None)], by=None
    )
    save_mailing_list(
        _new_list(town, name="C", owner_service=other_service), [(vendors[0].pk, None)], by=None
    )
    user = MembershipFactory(structure=town, service=service).user

    assert list(MailingList.objects.for_user(user)) == [mine]


def test_other_structure_user_uses_no_list(town, vendors):
    save_mailing_list(_new_list(town), [(vendors[0].pk, None)], by=None)
    user = MembershipFactory().user

    assert not MailingList.objects.for_user(user).exists()
