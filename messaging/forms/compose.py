"""The forms of the message page: a new message or a draft, and a sent message."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from messaging.forms.recipients import (
    LABEL_SEPARATOR,
    RecipientChoiceForm,
    describe_recipient,
    field_label,
    recipient_key,
)
from messaging.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, Message, normalize_line_breaks
from messaging.rules import check_ready_to_send
from structures.access import scopes_of
from structures.models import PartnerKind, Service, Structure

# Display dates are typed the French way, in text inputs: a type="date" input
# shows the browser's own format (MM/DD/YYYY in an English browser), not the
# DD/MM/YYYY of the portal. ISO dates are accepted too, for hand-made POSTs.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DATE_DISPLAY_FORMAT = "%d/%m/%Y"
DEFAULT_DISPLAY_DAYS = 14
# A sent message's modify page lists this many of its recipients, and the detail page all.
EXISTING_SHOWN = 100


class SenderScope:
    """The structures a user may write for, and the sender services allowed for each.

    A user attached to a whole structure may write as the structure (no
    service) or as any of its active services. A user restricted to services
    writes as one of those services only.
    """

    def __init__(self, user, current_service=None):
        self.structures: dict[int, Structure] = {}
        self.whole: set[int] = set()
        self.services: dict[int, list[Service]] = {}
        for scope in scopes_of(user):
            structure_id = scope.structure.pk
            self.structures.setdefault(structure_id, scope.structure)
            self.services.setdefault(structure_id, [])
            if scope.is_whole_structure:
                self.whole.add(structure_id)
            else:
                self.services[structure_id].append(scope.service)
        self._add_active_services(current_service)

    def _add_active_services(self, current_service):
        if not self.whole:
            return
        services = Service.objects.filter(structure_id__in=self.whole, is_active=True)
        for service in services.order_by("code"):
            self.services[service.structure_id].append(service)
        # A draft keeps the service it was written for, even if deactivated since.
        if current_service is None or current_service.is_active:
            return
        if current_service.structure_id in self.whole:
            self.services[current_service.structure_id].append(current_service)

    def service(self, service_id) -> Service | None:
        """Return the sender service `service_id` among those offered, or None."""
        for services in self.services.values():
            for service in services:
                if service.pk == service_id:
                    return service
        return None

    def allows(self, structure_id, service_id) -> bool:
        """Return whether the user may write as this structure and service (None: no service)."""
        if service_id is None:
            return structure_id in self.whole
        return any(service.pk == service_id for service in self.services.get(structure_id, []))

    @property
    def public_ids(self) -> list[int]:
        return [pk for pk, structure in self.structures.items() if structure.is_public]

    def service_choices(self):
        """Return the sender service choices, grouped by structure designation."""
        choices = []
        if self.whole:
            choices.append(("", _("Whole structure (no service)")))
        for structure_id, services in self.services.items():
            if services:
                options = [(service.pk, _service_label(service)) for service in services]
                choices.append((self.structures[structure_id].designation, options))
        return choices


def _service_label(service) -> str:
    return LABEL_SEPARATOR.join(filter(None, [service.code, service.label]))


class ServiceSelect(forms.Select):
    """A select whose options tell their structure, so that the script can filter them."""

    def __init__(self, *args, structure_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.structure_of = structure_of or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        structure_id = self.structure_of.get(str(value))
        if structure_id is not None:
            option["attrs"]["data-structure"] = structure_id
        return option


class BodyField(forms.CharField):
    """The message text, whose line breaks count one character whatever the browser sent."""

    def to_python(self, value):
        return super().to_python(normalize_line_breaks(value))


def _date_field(label):
    widget = forms.DateInput(
        format=DATE_DISPLAY_FORMAT,
        attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric", "autocomplete": "off"},
    )
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=widget,
        help_text=_("Format: dd/mm/yyyy"),
    )


def _without_maxlength(field):
    # Browsers measure maxlength in UTF-16 units, so an emoji would count twice.
    # The server and the live counter count characters instead.
    field.widget.attrs.pop("maxlength", None)
    return field


class MessageForm(RecipientChoiceForm):
    """A new message or a draft: every field may change, and it can be saved or sent.

    A draft may be incomplete, but what is filled must be valid. Completeness
    and the partner relation are checked by messaging.sending when saving
    and sending.
    """

    sender = forms.TypedChoiceField(coerce=int, label=field_label(Message, "sender"))
    sender_service = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=field_label(Message, "sender_service")
    )
    all_recipients = forms.TypedChoiceField(
        label=field_label(Message, "all_recipients"),
        coerce=lambda value: value == "True",
        choices=[
            ("True", pgettext_lazy("answer", "Yes")),
            ("False", pgettext_lazy("answer", "No")),
        ],
        widget=forms.RadioSelect,
        help_text=_("Every invoice partner of the chosen type, counted when the message is sent."),
    )
    display_start = _date_field(field_label(Message, "display_start"))
    display_end = _date_field(field_label(Message, "display_end"))
    title = forms.CharField(
        label=field_label(Message, "title"), required=False, max_length=TITLE_MAX_LENGTH
    )
    body = BodyField(
        label=field_label(Message, "body"),
        required=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea,
    )
    form_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    class Meta:
        model = Message
        fields = [
            "sender",
            "sender_service",
            "recipient_kind",
            "all_recipients",
            "display_start",
            "display_end",
            "title",
            "body",
        ]
        widgets = {"recipient_kind": forms.RadioSelect}

    def __init__(self, *args, user, sending=False, **kwargs):
        self.sending = sending
        instance = kwargs.get("instance")
        current_service = (
            instance.sender_service if instance and instance.sender_service_id else None
        )
        self.scope = SenderScope(user, current_service)
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {**self._defaults(instance), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self._set_up_sender_fields()
        _without_maxlength(self.fields["title"])
        _without_maxlength(self.fields["body"])

    def _defaults(self, instance):
        if instance is not None and instance.pk:
            deliveries = instance.deliveries.all()
            keys = [
                recipient_key(d.recipient_id, d.recipient_service_id, d.source) for d in deliveries
            ]
            return {"recipients": keys}
        today = timezone.localdate()
        defaults = {
            "all_recipients": False,
            "display_start": today,
            "display_end": today + datetime.timedelta(days=DEFAULT_DISPLAY_DAYS),
            "recipient_kind": PartnerKind.CUSTOMERS,
        }
        first = next(iter(self.scope.structures.values()), None)
        if first is None:
            return defaults
        defaults["sender"] = first.pk
        # Public bodies mostly write to their suppliers.
        if first.is_public:
            defaults["recipient_kind"] = PartnerKind.SUPPLIERS
        services = self.scope.services[first.pk]
        if first.pk not in self.scope.whole and services:
            defaults["sender_service"] = services[0].pk
        return defaults

    def _set_up_sender_fields(self):
        sender = self.fields["sender"]
        sender.choices = [
            (pk, describe_recipient(structure)) for pk, structure in self.scope.structures.items()
        ]
        structure_of = {
            str(service.pk): structure_id
            for structure_id, services in self.scope.services.items()
            for service in services
        }
        service = self.fields["sender_service"]
        service.widget = ServiceSelect(structure_of=structure_of)
        service.choices = self.scope.service_choices()
        if not self.scope.public_ids:
            # Private senders always write to their customers: nothing to choose.
            self.fields["recipient_kind"].widget = forms.HiddenInput()
        elif len(self.scope.public_ids) < len(self.scope.structures):
            self.fields["recipient_kind"].help_text = _(
                "A private structure always writes to its customers."
            )

    @property
    def sender_is_fixed(self) -> bool:
        return len(self.scope.structures) == 1

    @property
    def service_is_fixed(self) -> bool:
        """Whether the user has exactly one choice of sender service, or none to make."""
        if not self.sender_is_fixed:
            return False
        structure_id = next(iter(self.scope.structures))
        options = len(self.scope.services[structure_id]) + (structure_id in self.scope.whole)
        return options <= 1

    @property
    def fixed_sender(self):
        return next(iter(self.scope.structures.values()), None)

    @property
    def fixed_service(self):
        if not self.service_is_fixed:
            return None
        structure_id = next(iter(self.scope.structures))
        services = self.scope.services[structure_id]
        return services[0] if services and structure_id not in self.scope.whole else None

    @property
    def kind_is_shown(self) -> bool:
        return bool(self.scope.public_ids)

    def clean_sender(self):
        return self.scope.structures[self.cleaned_data["sender"]]

    def clean_sender_service(self):
        service_id = self.cleaned_data["sender_service"]
        if service_id is None:
            return None
        return self.scope.service(service_id)

    def clean_display_start(self):
        start = self.cleaned_data["display_start"]
        stored = self.instance.display_start if self.instance.pk else None
        if start and start != stored and start < timezone.localdate():
            raise forms.ValidationError(_("The start date cannot be in the past."), code="past")
        return start

    def clean(self):
        cleaned = super().clean()
        sender = cleaned.get("sender")
        if sender is not None and "sender_service" in cleaned:
            service = cleaned["sender_service"]
            if not self.scope.allows(sender.pk, service.pk if service else None):
                self.add_error("sender_service", self._service_error(service))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if self.sending:
            self._check_ready_to_send()

    def _check_ready_to_send(self):
        """Add what Send needs, so that one click lists every missing field.

        messaging.sending.send() checks the same again when it runs. A field
        that already has an error keeps only that error.
        """
        try:
            check_ready_to_send(self.instance)
        except forms.ValidationError as error:
            for field, errors in error.error_dict.items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, errors)
        has_recipients = self.cleaned_data.get("recipients") or self.cleaned_data.get(
            "all_recipients"
        )
        if not has_recipients and "recipients" not in self.errors:
            self.add_error("recipients", _("Choose at least one recipient."))

    def _service_error(self, service):
        if service is None:
            return _("You write for a service of this structure: choose it.")
        return _(
            "This service does not belong to the sender structure, or you are not attached to it."
        )

    def recipient_context(self):
        sender = self.cleaned_data.get("sender")
        if sender is None:
            return None, None
        kind = self.cleaned_data.get("recipient_kind")
        if not sender.is_public or kind not in PartnerKind.values:
            kind = PartnerKind.CUSTOMERS
        return sender, kind

    @property
    def title_length(self) -> int:
        return _character_count(self["title"].value())

    @property
    def body_length(self) -> int:
        return _character_count(self["body"].value())

    @property
    def public_sender_ids(self) -> str:
        return " ".join(str(pk) for pk in self.scope.public_ids)

    @property
    def whole_sender_ids(self) -> str:
        return " ".join(str(pk) for pk in sorted(self.scope.whole))


def _character_count(value) -> int:
    """Count characters as the limits do: code points, a line break being one."""
    return len(normalize_line_breaks(value or ""))


class SentMessageForm(RecipientChoiceForm):
    """A sent message: its end date, its start date while still future, and new recipients.

    Title, body, sender and recipient type are not fields here, so a forged
    POST cannot change them.
    """

    display_start = _date_field(field_label(Message, "display_start"))
    display_end = _date_field(field_label(Message, "display_end"))

    class Meta:
        model = Message
        fields = ["display_start", "display_end"]

    def __init__(self, *args, **kwargs):
        kwargs.pop("user", None)
        super().__init__(*args, **kwargs)
        self.fields["recipients"].label = _("New recipients")
        self.fields["display_start"].required = True
        self.fields["display_end"].required = True
        # The start date may move only while the display has not started.
        self.fields["display_start"].disabled = self.instance.display_start <= timezone.localdate()

    def recipient_context(self):
        return self.instance.sender, self.instance.recipient_kind

    def taken_error(self, chip) -> str | None:
        structure_id, service_id = chip.pair
        delivered = self.instance.deliveries.filter(
            recipient_id=structure_id, recipient_service_id=service_id
        )
        if delivered.exists():
            return gettext("%(recipient)s already receives this message.") % {
                "recipient": chip.label
            }
        return super().taken_error(chip)

    @property
    def existing_count(self) -> int:
        return self.instance.deliveries.count()

    @property
    def existing_deliveries(self):
        """The first EXISTING_SHOWN recipients already delivered, for the page to list."""
        deliveries = self.instance.deliveries.select_related("recipient", "recipient_service")
        return deliveries.order_by("recipient__designation", "recipient__identifier", "pk")[
            :EXISTING_SHOWN
        ]

    @property
    def start_is_locked(self) -> bool:
        return self.fields["display_start"].disabled
