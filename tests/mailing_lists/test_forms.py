"""The mailing-list form: owner choices, fixed fields, rebuild errors and error placement."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation

from mailing_lists.forms import MailingListForm
from mailing_lists.models import MailingList
from messaging.forms import recipient_key
from structures.models import PartnerKind
from tests.factories import (
    MembershipFactory,
    PublicStructureFactory,
    ServiceFactory,
    StructureFactory,
    partners,
)
from tests.mailing_lists.conftest import make_list

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Compare the messages to their msgids."""
    with translation.override("en"):
        yield


def bound_form(user, owner, *, instance=None, saving=True, members=(), **fields):
    data = {
        "name": "Fournisseurs voirie",
        "owner": owner.pk,
        "owner_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "recipients": [recipient_key(m.pk) for m in members],
        "siret": "",
    }
    data.update(fields)
    return MailingListForm(data, user=user, instance=instance, saving=saving)


def service_options(form):
    """Return the service ids offered, whatever their structure group."""
    options = []
    for _value, group in form.fields["owner_service"].choices:
        if isinstance(group, list | tuple):
            options.extend(option for option, _ in group)
    return options


# ---------- Owner ----------


def test_owner_choices_are_the_users_structures(town, town_user, vendors):
    MembershipFactory(user=town_user, structure=vendors[0])
    PublicStructureFactory()

    form = MailingListForm(user=town_user)

    assert {value for value, _ in form.fields["owner"].choices} == {town.pk, vendors[0].pk}
    assert not form.owner_is_fixed


def test_single_structure_user_has_owner_fixed(town, town_user):
    form = MailingListForm(user=town_user)

    assert form.owner_is_fixed
    assert form.current_owner == town
    assert form.initial["owner"] == town.pk


def test_service_user_has_owner_and_service_fixed(town, stech):
    user = MembershipFactory(structure=town, service=stech).user

    form = MailingListForm(user=user)

    assert form.owner_is_fixed
    assert form.service_is_fixed
    assert form.fixed_service == stech
    assert form.initial["owner_service"] == stech.pk


def test_whole_structure_user_may_choose_a_service(town, town_user, stech, vendors):
    ServiceFactory(structure=town, code="OLD", is_active=False)

    form = bound_form(town_user, town, members=vendors, owner_service=stech.pk)

    assert service_options(form) == [stech.pk]
    assert form.is_valid(), form.errors
    assert form.cleaned_data["owner_service"] == stech


def test_service_of_other_owner_names_owner(town, town_user, stech, vendors):
    other = PublicStructureFactory()
    MembershipFactory(user=town_user, structure=other)

    form = bound_form(town_user, other, members=vendors, owner_service=stech.pk)

    assert form.errors["owner_service"] == [
        "This service does not belong to the owner structure, or you are not attached to it."
    ]


def test_deactivated_service_of_a_list_stays_offered(town, town_user, vendors):
    old = ServiceFactory(structure=town, code="OLD")
    mailing_list = make_list(town, vendors, owner_service=old)
    old.is_active = False
    old.save()

    form = MailingListForm(user=town_user, instance=mailing_list)

    assert old.pk in service_options(form)


def test_owner_of_existing_list_cannot_change(town, town_user, vendors):
    other = PublicStructureFactory()
    MembershipFactory(user=town_user, structure=other)
    mailing_list = make_list(town, vendors)

    form = bound_form(town_user, other, instance=mailing_list, members=vendors)

    assert form.owner_is_fixed
    assert form.fields["owner"].disabled
    assert form.is_valid(), form.errors
    assert form.cleaned_data["owner"] == town


def test_existing_list_shows_its_members(town, town_user, vendors):
    mailing_list = make_list(town, vendors)

    form = MailingListForm(user=town_user, instance=mailing_list)

    assert [chip.pair for chip in form.chips] == [(v.pk, None) for v in vendors]


# ---------- Recipient type ----------


def test_private_owner_has_no_recipient_type_choice():
    vendor = StructureFactory()
    user = MembershipFactory(structure=vendor).user

    form = MailingListForm(user=user)

    assert not form.kind_is_shown
    assert form.fields["recipient_kind"].widget.is_hidden
    assert form.initial["recipient_kind"] == PartnerKind.CUSTOMERS


def test_private_owner_with_suppliers_is_error(town):
    vendor = StructureFactory()
    partners(vendor, town)
    user = MembershipFactory(structure=vendor).user

    form = bound_form(user, vendor, members=[town], recipient_kind=PartnerKind.SUPPLIERS)

    assert "recipient_kind" in form.errors


def test_mixed_user_sees_type_help(town, town_user, vendors):
    MembershipFactory(user=town_user, structure=vendors[0])

    form = MailingListForm(user=town_user)

    assert form.kind_is_shown
    assert form.fields["recipient_kind"].help_text == (
        "The lists of a private structure always hold its customers."
    )


def test_recipient_context_of_private_owner_is_customers(town):
    vendor = StructureFactory()
    user = MembershipFactory(structure=vendor).user
    form = bound_form(user, vendor, recipient_kind=PartnerKind.SUPPLIERS)
    form.is_valid()

    assert form.recipient_context() == (vendor, PartnerKind.CUSTOMERS)


# ---------- Errors ----------


def test_saving_without_recipient_is_error(town, town_user):
    form = bound_form(town_user, town)

    assert form.errors["recipients"] == ["Choose at least one recipient."]


def test_rebuilding_shows_only_recipient_errors(town, town_user):
    stranger = PublicStructureFactory()

    form = bound_form(town_user, town, saving=False, name="", siret=stranger.identifier)

    assert set(form.errors) == {"siret"}


def test_duplicate_name_error_is_on_the_name(town, town_user, vendors):
    make_list(town, vendors, name="Voirie")

    form = bound_form(town_user, town, members=vendors, name="VOIRIE")

    assert form.errors["name"] == ["This structure already has a list with this name."]
    assert NON_FIELD_ERRORS not in form.errors


def test_save_errors_go_next_to_their_fields(town, town_user, vendors):
    form = bound_form(town_user, town, members=vendors)
    assert form.is_valid(), form.errors

    form.add_save_errors(
        ValidationError(
            {
                "members": "Ce destinataire n'est pas un partenaire.",
                NON_FIELD_ERRORS: "This structure already has a list with this name.",
            }
        )
    )

    assert form.errors["recipients"] == ["Ce destinataire n'est pas un partenaire."]
    assert form.errors["name"] == ["This structure already has a list with this name."]
    assert NON_FIELD_ERRORS not in form.errors


def test_name_is_trimmed(town, town_user, vendors):
    form = bound_form(town_user, town, members=vendors, name="  Voirie  ")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "Voirie"


def test_form_does_not_save_members_itself(town, town_user, vendors):
    form = bound_form(town_user, town, members=vendors)

    assert form.is_valid(), form.errors
    assert form.chosen_pairs == [(v.pk, None) for v in vendors]
    assert not MailingList.objects.exists()
