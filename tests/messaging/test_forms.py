"""The message forms' own rules: lengths, dates, sender scope, typed SIRETs, recipient keys."""

import datetime

import pytest
from django.utils import timezone, translation

from messaging.forms import (
    MessageForm,
    RecipientsField,
    SentMessageForm,
    parse_recipient_key,
    recipient_key,
)
from messaging.sending import Recipient
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

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
EMOJI = "\U0001f4e2"  # one code point, two UTF-16 units


def label(*parts):
    """Return a recipient label: its parts joined by en dashes."""
    return " \u2013 ".join(parts)


def _today():
    return timezone.localdate()


@pytest.fixture
def town():
    return PublicStructureFactory(designation="COMMUNE DE BORDEAUX - MAIRE")


@pytest.fixture
def vendor(town):
    vendor = StructureFactory(designation="ATELIERS DUPONT SARL")
    partners(vendor, town)
    return vendor


@pytest.fixture
def user(town):
    return MembershipFactory(structure=town).user


def bound_form(user, town, instance=None, **fields):
    data = {
        "sender": town.pk,
        "sender_service": "",
        "recipient_kind": PartnerKind.SUPPLIERS,
        "all_recipients": "False",
        "display_start": _today().isoformat(),
        "display_end": (_today() + 14 * DAY).isoformat(),
        "title": "Titre",
        "body": "Texte",
    }
    data.update(fields)
    return MessageForm(data, user=user, instance=instance)


# ---------- Title and body lengths ----------


@pytest.mark.parametrize(
    ("title", "valid"),
    [
        pytest.param("é" * 48 + EMOJI, True, id="49"),
        pytest.param("é" * 49 + EMOJI, True, id="50"),
        pytest.param("é" * 50 + EMOJI, False, id="51"),
    ],
)
def test_title_length_counts_characters(user, town, title, valid):
    form = bound_form(user, town, title=title)

    assert form.is_valid() is valid
    assert ("title" in form.errors) is not valid


@pytest.mark.parametrize(
    ("length", "valid"),
    [
        pytest.param(1999, True, id="1999"),
        pytest.param(2000, True, id="2000"),
        pytest.param(2001, False, id="2001"),
    ],
)
def test_body_length_counts_crlf_once(user, town, length, valid):
    # Ten CRLF line breaks: 20 characters as posted, 10 once normalised.
    body = ("a" * 99 + "\r\n") * 10 + "b" * (length - 1000)

    form = bound_form(user, town, body=body)

    assert form.is_valid() is valid
    if valid:
        assert "\r" not in form.cleaned_data["body"]
        assert len(form.cleaned_data["body"]) == length


def test_body_counter_counts_like_the_limit(user, town):
    form = bound_form(user, town, body="ab\r\ncd" + EMOJI, title="é" + EMOJI)

    assert form.body_length == 6
    assert form.title_length == 2


def test_title_and_body_have_no_browser_maxlength(user, town):
    form = MessageForm(user=user)

    assert "maxlength" not in form.fields["title"].widget.attrs
    assert "maxlength" not in form.fields["body"].widget.attrs


# ---------- Dates ----------


def test_new_start_date_cannot_be_in_the_past(user, town):
    form = bound_form(user, town, display_start=(_today() - DAY).isoformat())

    assert not form.is_valid()
    assert "display_start" in form.errors


def test_draft_keeps_unchanged_past_start_date(user, town):
    draft = DraftFactory(sender=town, display_start=_today() - 3 * DAY)

    form = bound_form(user, town, instance=draft, display_start=draft.display_start.isoformat())

    assert form.is_valid(), form.errors


def test_draft_start_moved_to_past_fails(user, town):
    draft = DraftFactory(sender=town, display_start=_today() - 3 * DAY)

    form = bound_form(user, town, instance=draft, display_start=(_today() - DAY).isoformat())

    assert "display_start" in form.errors


def test_end_date_before_start_is_refused(user, town):
    form = bound_form(
        user,
        town,
        display_start=(_today() + 5 * DAY).isoformat(),
        display_end=(_today() + 2 * DAY).isoformat(),
    )

    assert not form.is_valid()
    assert list(form.errors) == ["display_end"]


def test_french_date_format_is_accepted(user, town):
    start = _today() + 3 * DAY

    form = bound_form(user, town, display_start=start.strftime("%d/%m/%Y"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["display_start"] == start


@pytest.mark.parametrize("value", ["31/02/2026", "2026-02-31", "demain"])
def test_invalid_date_has_french_error(user, town, value):
    with translation.override("fr"):
        form = bound_form(user, town, display_end=value)

        assert form.errors["display_end"] == ["Saisissez une date valide."]


def test_draft_may_be_incomplete(user, town):
    form = bound_form(user, town, title="", body="", display_start="", display_end="")

    assert form.is_valid(), form.errors


# ---------- Sender, service and recipient type ----------


def test_sender_choices_are_the_users_structures(user, town):
    other = PublicStructureFactory()
    MembershipFactory(user=user, structure=other)
    PublicStructureFactory()

    form = MessageForm(user=user)

    assert {value for value, _ in form.fields["sender"].choices} == {town.pk, other.pk}
    assert not form.sender_is_fixed


def test_sender_of_another_user_is_refused(user, town):
    stranger = PublicStructureFactory()

    form = bound_form(user, stranger)

    assert "sender" in form.errors


def test_whole_structure_user_chooses_service(user, town):
    stech = ServiceFactory(structure=town, code="STECH")
    ServiceFactory(structure=town, code="OLD", is_active=False)

    with_service = bound_form(user, town, sender_service=stech.pk)
    without = bound_form(user, town)

    assert with_service.is_valid(), with_service.errors
    assert with_service.cleaned_data["sender_service"] == stech
    assert without.is_valid(), without.errors
    assert without.cleaned_data["sender_service"] is None


def form_service_options(form):
    """Return the (value, label) service options of a form, whatever their structure group."""
    options = []
    for _, group in form.fields["sender_service"].choices:
        if isinstance(group, list | tuple):
            options.extend(group)
    return options


def test_inactive_service_is_not_offered(user, town):
    ServiceFactory(structure=town, code="STECH")
    ServiceFactory(structure=town, code="OLD", is_active=False)

    form = MessageForm(user=user)

    codes = [label.split(" ")[0] for _, label in form_service_options(form)]
    assert codes == ["STECH"]


def test_service_user_has_service_fixed(town):
    stech = ServiceFactory(structure=town, code="STECH")
    user = MembershipFactory(structure=town, service=stech).user

    form = MessageForm(user=user)

    assert form.sender_is_fixed
    assert form.service_is_fixed
    assert form.fixed_service == stech
    assert form.initial["sender_service"] == stech.pk


def test_service_user_cannot_write_as_whole_structure(town):
    stech = ServiceFactory(structure=town, code="STECH")
    user = MembershipFactory(structure=town, service=stech).user

    form = bound_form(user, town, sender_service="")

    assert "sender_service" in form.errors


def test_service_user_cannot_write_as_sibling_service(town):
    stech = ServiceFactory(structure=town, code="STECH")
    finances = ServiceFactory(structure=town, code="FINANCES")
    user = MembershipFactory(structure=town, service=stech).user

    form = bound_form(user, town, sender_service=finances.pk)

    assert "sender_service" in form.errors


def test_service_of_another_structure_is_refused(user, town):
    other = PublicStructureFactory()
    MembershipFactory(user=user, structure=other)
    other_service = ServiceFactory(structure=other)

    form = bound_form(user, town, sender_service=other_service.pk)

    assert "sender_service" in form.errors


def test_private_sender_has_no_recipient_type_choice(town):
    vendor = StructureFactory()
    user = MembershipFactory(structure=vendor).user

    form = MessageForm(user=user)

    assert not form.kind_is_shown
    assert form.fields["recipient_kind"].widget.is_hidden
    assert form.initial["recipient_kind"] == PartnerKind.CUSTOMERS


def test_private_sender_cannot_choose_suppliers(town):
    vendor = StructureFactory()
    user = MembershipFactory(structure=vendor).user

    form = bound_form(user, vendor, recipient_kind=PartnerKind.SUPPLIERS)

    assert "recipient_kind" in form.errors


def test_public_sender_defaults_to_suppliers(user):
    form = MessageForm(user=user)

    assert form.kind_is_shown
    assert form.initial["recipient_kind"] == PartnerKind.SUPPLIERS


# ---------- Typed SIRET ----------


def test_typed_siret_with_spaces_and_dots_is_added(user, town, vendor):
    identifier = vendor.identifier
    pasted = f"{identifier[:3]}\u00a0{identifier[3:6]}.{identifier[6:9]} {identifier[9:]}"

    form = bound_form(user, town, siret=pasted)

    assert form.is_valid(), form.errors
    assert [chip.structure for chip in form.cleaned_data["recipients"]] == [vendor]
    assert form.typed_chip.structure == vendor


def test_typed_siret_of_non_partner_is_named(user, town):
    stranger = StructureFactory()

    form = bound_form(user, town, siret=stranger.identifier)

    assert stranger.identifier in form.errors["siret"][0]


def test_typed_siret_of_other_kind_is_refused(user, town, vendor):
    form = bound_form(user, town, siret=vendor.identifier, recipient_kind=PartnerKind.CUSTOMERS)

    assert "siret" in form.errors


def test_typed_siret_already_chosen_is_reported(user, town, vendor):
    form = bound_form(user, town, siret=vendor.identifier, recipients=[recipient_key(vendor.pk)])

    with translation.override("en"):
        assert "already chosen" in form.errors["siret"][0]


def test_typed_siret_with_wrong_check_digit_is_explained(user, town):
    form = bound_form(user, town, siret="21330063500018")

    assert form.errors.as_data()["siret"][0].code == "siret_checksum"


def test_typed_partner_failing_checksum_is_still_found(user, town):
    # Directory exports contain real structures whose SIRET fails the checksum.
    odd = StructureFactory(identifier="21330063500018")
    partners(odd, town)

    form = bound_form(user, town, siret=odd.identifier)

    assert form.is_valid(), form.errors


# ---------- Recipient keys and the chips field ----------


def test_recipient_key_round_trip():
    key = recipient_key(12, 34, "search")

    assert key == "12:34:search"
    assert parse_recipient_key(key) == Recipient(12, 34, "search")
    assert parse_recipient_key("12::typed") == Recipient(12, None, "typed")


@pytest.mark.parametrize("value", ["", "12", "a:b:c", "12:x:typed", "1:2:3:4"])
def test_malformed_recipient_key_is_none(value):
    assert parse_recipient_key(value) is None


def test_unknown_source_becomes_typed():
    assert parse_recipient_key("12::pirate").source == "typed"


def test_chips_field_refuses_malformed_keys():
    with translation.override("en"), pytest.raises(Exception, match="not valid"):
        RecipientsField().clean(["12", "nonsense"])


def test_chips_field_refuses_unknown_structure():
    with translation.override("en"), pytest.raises(Exception, match="does not exist"):
        RecipientsField().clean([recipient_key(999_999)])


def test_chips_field_refuses_service_of_another_structure(vendor):
    foreign = ServiceFactory()

    with translation.override("en"), pytest.raises(Exception, match="does not exist"):
        RecipientsField().clean([recipient_key(vendor.pk, foreign.pk)])


def test_chips_field_collapses_duplicates(vendor):
    chips = RecipientsField().clean(
        [recipient_key(vendor.pk), recipient_key(vendor.pk, None, "search")]
    )

    assert len(chips) == 1


def test_chip_label_names_the_service(vendor):
    service = ServiceFactory(structure=vendor, code="SERVICE_DEFAULT")

    chip = RecipientsField().clean([recipient_key(vendor.pk, service.pk)])[0]

    assert chip.label == label(vendor.identifier, "ATELIERS DUPONT SARL", "service SERVICE_DEFAULT")


# ---------- Sent message form ----------


def test_sent_form_has_no_content_fields(town, vendor):
    message = sent_message(sender=town, recipients=[vendor])

    form = SentMessageForm(instance=message)

    assert set(form.fields) == {"display_start", "display_end", "recipients", "siret"}


def test_sent_form_locks_started_start_date(town, vendor):
    message = sent_message(sender=town, recipients=[vendor])

    form = SentMessageForm(instance=message)

    assert form.start_is_locked


def test_sent_form_keeps_future_start_date_editable(town, vendor):
    message = sent_message(
        sender=town,
        recipients=[vendor],
        display_start=_today() + DAY,
        display_end=_today() + 9 * DAY,
    )

    form = SentMessageForm(instance=message)

    assert not form.start_is_locked


def test_sent_form_end_date_before_start_is_refused(town, vendor):
    message = sent_message(
        sender=town,
        recipients=[vendor],
        display_start=_today() + 5 * DAY,
        display_end=_today() + 9 * DAY,
    )
    data = {
        "display_start": message.display_start.isoformat(),
        "display_end": (_today() + 2 * DAY).isoformat(),
    }

    form = SentMessageForm(data, instance=message)

    assert "display_end" in form.errors
