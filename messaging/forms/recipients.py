"""Choosing recipients: chip keys and labels, partner lookups, the SIRET field and search.

Recipients travel between the browser and the server as keys
"<structure id>:<service id or empty>:<source>", one hidden input per chip,
so that every screen state can be rebuilt from a plain POST without
JavaScript.
"""

import re
from dataclasses import dataclass

from django import forms
from django.db.models import F, Q
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chorus_messages.text import fold
from messaging.models import DeliverySource
from messaging.sending import Recipient
from structures.models import Partner, PartnerKind, Service, Structure
from structures.siret import normalize_siret, validate_typed_siret

SUGGESTION_MIN_LENGTH = 4
SUGGESTION_LIMIT = 20
SEARCH_LIMIT = 50
# Between the parts of a recipient's or a service's label: an en dash with spaces.
LABEL_SEPARATOR = " \u2013 "

# ---------- Recipients: keys, labels and partner lookups ----------

# ASCII digits only, because str.isdigit() also accepts "²", which int() rejects. Ids have
# at most 18 digits, so that a forged one cannot overflow a BIGINT in the query.
_RECIPIENT_KEY = re.compile(r"([0-9]{1,18}):([0-9]{0,18}):([^:]*)")


def field_label(model, field_name):
    """Return the verbose name of a model field as a label, so that forms and admin agree."""
    return capfirst(model._meta.get_field(field_name).verbose_name)


def recipient_key(structure_id, service_id=None, source=DeliverySource.TYPED) -> str:
    """Return the form value of one chosen recipient, as its chip posts it."""
    return f"{structure_id}:{service_id or ''}:{source}"


def parse_recipient_key(value: str) -> Recipient | None:
    """Return the Recipient that a chip's value names, or None when the value is malformed."""
    match = _RECIPIENT_KEY.fullmatch(value or "")
    if match is None:
        return None
    structure_id, service_id, source = match.groups()
    source = source if source in DeliverySource.values else DeliverySource.TYPED
    return Recipient(int(structure_id), int(service_id) if service_id else None, source)


def describe_recipient(structure, service=None) -> str:
    """Return "SIRET, DESIGNATION" and, for a service, "service CODE", joined by en dashes."""
    parts = [structure.identifier, structure.designation]
    if service is not None:
        parts.append(gettext("service %(code)s") % {"code": service.code})
    return LABEL_SEPARATOR.join(parts)


def partner_rows(sender, kind):
    """Return the active partners of `sender` of `kind`, structures and named services alike."""
    return (
        Partner.objects.filter(structure=sender, kind=kind, partner__is_active=True)
        .filter(Q(partner_service__isnull=True) | Q(partner_service__is_active=True))
        .select_related("partner", "partner_service")
    )


@dataclass(frozen=True)
class Chip:
    """A chosen recipient with what its chip shows."""

    recipient: Recipient
    structure: Structure
    service: Service | None = None

    @property
    def key(self) -> str:
        r = self.recipient
        return recipient_key(r.structure_id, r.service_id, r.source)

    @property
    def label(self) -> str:
        return describe_recipient(self.structure, self.service)

    @property
    def pair(self) -> tuple[int, int | None]:
        return self.recipient.structure_id, self.recipient.service_id


@dataclass(frozen=True)
class PartnerRow:
    """One line of recipient suggestions or search results."""

    partner: Partner
    source: str

    @property
    def key(self) -> str:
        return recipient_key(self.partner.partner_id, self.partner.partner_service_id, self.source)

    @property
    def label(self) -> str:
        return describe_recipient(self.partner.partner, self.partner.partner_service)

    def as_json(self) -> dict:
        return {
            "id": self.partner.partner_id,
            "service_id": self.partner.partner_service_id,
            "identifier": self.partner.partner.identifier,
            "label": self.label,
            "key": self.key,
        }


# Within a structure, the row of the whole structure (no service) comes first.
_SERVICE_LAST = F("partner_service__code").asc(nulls_first=True)


class RecipientsField(forms.Field):
    """The chips of chosen recipients: a list of keys, cleaned into Chips.

    Unknown structures, and services that do not belong to the structure
    named with them, are errors: only a forged form can post them. Whether
    they are partners of the sender is checked when the message is saved.
    """

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("The chosen recipients are not valid: reload the page and choose them again."),
        "unknown": _("A chosen recipient does not exist: remove it and choose it again."),
    }

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        recipients = [parse_recipient_key(item) for item in value]
        if None in recipients:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        unique = {}
        for recipient in recipients:
            unique.setdefault((recipient.structure_id, recipient.service_id), recipient)
        return list(unique.values())

    def has_changed(self, initial, data):
        def pairs(value):
            try:
                return {(r.structure_id, r.service_id) for r in self.to_python(value)}
            except forms.ValidationError:
                return None

        return pairs(initial) != pairs(data)

    def clean(self, value):
        recipients = super().clean(value)
        structures = Structure.objects.in_bulk({r.structure_id for r in recipients})
        services = Service.objects.in_bulk({r.service_id for r in recipients if r.service_id})
        chips = []
        for recipient in recipients:
            structure = structures.get(recipient.structure_id)
            service = services.get(recipient.service_id) if recipient.service_id else None
            if structure is None or (recipient.service_id and service is None):
                raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
            if service is not None and service.structure_id != structure.pk:
                raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
            chips.append(Chip(recipient, structure, service))
        return chips


class RecipientSearchForm(forms.Form):
    """Criteria of the recipient search: identifier prefix, designation, postal code, city."""

    identifier = forms.CharField(
        label=field_label(Structure, "identifier"), required=False, max_length=80
    )
    designation = forms.CharField(
        label=field_label(Structure, "designation"), required=False, max_length=255
    )
    postal_code = forms.CharField(
        label=field_label(Structure, "postal_code"), required=False, max_length=20
    )
    city = forms.CharField(label=field_label(Structure, "city"), required=False, max_length=255)

    def clean_identifier(self):
        return normalize_siret(self.cleaned_data["identifier"])

    def clean_postal_code(self):
        return self.cleaned_data["postal_code"].replace(" ", "")

    def results(self, sender, kind) -> tuple[list[PartnerRow], bool]:
        """Return up to SEARCH_LIMIT matching partners and whether more matched."""
        criteria = self.cleaned_data
        rows = partner_rows(sender, kind)
        if criteria.get("identifier"):
            rows = rows.filter(partner__identifier__startswith=criteria["identifier"])
        # Folded copies make "elagage" find "ÉLAGAGE" on SQLite and PostgreSQL alike.
        if criteria.get("designation"):
            rows = rows.filter(partner__designation_folded__contains=fold(criteria["designation"]))
        if criteria.get("postal_code"):
            rows = rows.filter(partner__postal_code__startswith=criteria["postal_code"])
        if criteria.get("city"):
            rows = rows.filter(partner__city_folded__contains=fold(criteria["city"]))
        rows = rows.order_by(
            "partner__designation", "partner__identifier", "partner_id", _SERVICE_LAST
        )
        found = list(rows[: SEARCH_LIMIT + 1])
        partners = [PartnerRow(row, DeliverySource.SEARCH) for row in found[:SEARCH_LIMIT]]
        return partners, len(found) > SEARCH_LIMIT


# ---------- Recipient endpoints: suggestions and search ----------


class PartnerQueryForm(forms.Form):
    """The sender and recipient type whose partners an endpoint lists.

    A sender that is not one of the user's structures is an error on the
    "sender" field, for which the views return 404.
    """

    sender = forms.IntegerField()
    kind = forms.ChoiceField(choices=PartnerKind.choices, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_sender(self):
        structure = Structure.objects.for_user(self.user).filter(pk=self.cleaned_data["sender"])
        structure = structure.first()
        if structure is None:
            raise forms.ValidationError(_("Unknown sender structure."), code="unknown_sender")
        return structure

    def clean(self):
        cleaned = super().clean()
        sender = cleaned.get("sender")
        if sender is not None and (not sender.is_public or not cleaned.get("kind")):
            cleaned["kind"] = PartnerKind.CUSTOMERS
        return cleaned


class RecipientSuggestionForm(PartnerQueryForm):
    q = forms.CharField(required=False, max_length=100, strip=True)

    def clean_q(self):
        return normalize_siret(self.cleaned_data["q"])

    def suggestions(self) -> list[dict]:
        """Return the partners whose identifier starts with q, from its 4th character on."""
        prefix = self.cleaned_data["q"]
        if len(prefix) < SUGGESTION_MIN_LENGTH:
            return []
        rows = partner_rows(self.cleaned_data["sender"], self.cleaned_data["kind"]).filter(
            partner__identifier__startswith=prefix
        )
        rows = rows.order_by("partner__identifier", "partner_id", _SERVICE_LAST)
        return [PartnerRow(row, DeliverySource.TYPED).as_json() for row in rows[:SUGGESTION_LIMIT]]


class RecipientSearchQueryForm(PartnerQueryForm, RecipientSearchForm):
    """The recipient search endpoint's parameters: sender, type and criteria."""


class RecipientChoiceForm(forms.ModelForm):
    """Recipient choice shared by the draft and sent-message forms: chips and a typed SIRET.

    Subclasses define `recipient_context()`: the sender and recipient type
    that a typed identifier must be a partner of.
    """

    recipients = RecipientsField(required=False, label=_("Recipients"))
    siret = forms.CharField(
        label=_("Add a recipient by its SIRET"),
        required=False,
        max_length=80,
        help_text=_("Suggestions appear from the 4th digit typed."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.typed_chip = None
        self.chosen_chips = None
        self.search_form = RecipientSearchForm(self.data or None, prefix="search")

    def clean_recipients(self):
        # Kept apart from cleaned_data, which loses "recipients" when saving
        # fails on them, because the page must still show the chips to remove.
        self.chosen_chips = list(self.cleaned_data["recipients"])
        return self.cleaned_data["recipients"]

    def clean_siret(self):
        return normalize_siret(self.cleaned_data["siret"])

    def recipient_context(self):
        """Return (sender structure, recipient kind) of the message, or (None, None)."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("siret"):
            self._add_typed_recipient(cleaned)
        return cleaned

    def _add_typed_recipient(self, cleaned):
        sender, kind = self.recipient_context()
        if sender is None:
            return
        typed = cleaned["siret"]
        rows = partner_rows(sender, kind).filter(
            partner__identifier=typed, partner_service__isnull=True
        )
        partner = rows.first()
        if partner is None:
            self.add_error("siret", _unknown_identifier_error(typed, kind))
            return
        chip = Chip(Recipient(partner.partner_id), partner.partner)
        error = self.taken_error(chip)
        if error:
            self.add_error("siret", error)
            return
        self.typed_chip = chip
        cleaned["recipients"] = [*cleaned.get("recipients", []), chip]
        self.chosen_chips = [*(self.chosen_chips or []), chip]

    def taken_error(self, chip) -> str | None:
        """Return why `chip` cannot be added again, or None when it is new."""
        if chip.pair in {c.pair for c in self.chosen_chips or []}:
            return gettext("%(recipient)s is already chosen.") % {"recipient": chip.label}
        return None

    @property
    def chips(self) -> list[Chip]:
        """The chosen recipients that the page shows as chips."""
        if self.is_bound:
            # Validates once: errors added after validation are kept.
            self.is_valid()
            return self.chosen_chips or []
        if self.chosen_chips is None:
            initial = self.get_initial_for_field(self.fields["recipients"], "recipients")
            self.chosen_chips = self.fields["recipients"].clean(initial)
        return self.chosen_chips

    @property
    def error_count(self) -> int:
        return sum(len(errors) for errors in self.errors.values())


def _unknown_identifier_error(typed, kind):
    if len(typed) == 14 and typed.isdigit():
        try:
            validate_typed_siret(typed)
        except forms.ValidationError as error:
            return error
    if kind == PartnerKind.SUPPLIERS:
        text = gettext("No supplier of the sender structure has the identifier %(value)s.")
    else:
        text = gettext("No customer of the sender structure has the identifier %(value)s.")
    return text % {"value": typed}
