"""The forms of the message page: a new message or a draft, and a sent message."""

import datetime

from django import forms
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from mailing_lists.models import MailingList
from messaging.forms.recipients import RecipientChoiceForm, field_label, recipient_key
from messaging.forms.scope import ScopedStructureMixin, SenderScope
from messaging.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, Message, normalize_line_breaks
from messaging.rules import check_ready_to_send
from messaging.sending import check_mailing_lists

# Display dates are typed the French way, in text inputs: a type="date" input
# shows the browser's own format (MM/DD/YYYY in an English browser), not the
# DD/MM/YYYY of the portal. ISO dates are accepted too, for hand-made POSTs.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DATE_DISPLAY_FORMAT = "%d/%m/%Y"
DEFAULT_DISPLAY_DAYS = 14
# A sent message's modify page lists this many of its recipients, and the detail page all.
EXISTING_SHOWN = 100


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


class MailingListSelect(forms.CheckboxSelectMultiple):
    """Checkboxes of mailing lists that tell their owner and recipient type, for the script."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        mailing_list = getattr(value, "instance", None)
        if mailing_list is not None:
            option["attrs"]["data-owner"] = mailing_list.owner_id
            option["attrs"]["data-kind"] = mailing_list.recipient_kind
        return option


# The largest primary key a 64-bit id column holds. A forged larger number would make
# the query fail (OverflowError on SQLite, out of range on PostgreSQL) instead of
# being an invalid choice.
MAX_ID = 2**63 - 1


class MailingListChoiceField(forms.ModelMultipleChoiceField):
    """The chosen mailing lists, among those of the field's queryset."""

    widget = MailingListSelect

    def _check_values(self, value):
        for item in value if isinstance(value, list | tuple) else []:
            if str(item).isdigit() and int(item) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super()._check_values(value)


def mailing_list_field(user, help_text):
    """Return the choice of the mailing lists `user` may use, each with its number of recipients.

    Lists of other structures or services are not choices: a forged id is an
    "invalid choice" error, so it is never used.
    """
    lists = (
        MailingList.objects.for_user(user)
        .select_related("owner", "owner_service")
        .annotate(member_count=Count("members"))
        .order_by("name", "pk")
    )
    return MailingListChoiceField(
        queryset=lists,
        required=False,
        label=field_label(Message, "mailing_lists"),
        help_text=help_text,
    )


class MessageForm(ScopedStructureMixin, RecipientChoiceForm):
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
            "mailing_lists",
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
        self.fields["mailing_lists"] = mailing_list_field(
            user, _("Their recipients are counted when the message is sent.")
        )
        self.set_up_scope_fields()
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
        return {
            "all_recipients": False,
            "display_start": today,
            "display_end": today + datetime.timedelta(days=DEFAULT_DISPLAY_DAYS),
            **self.scope_defaults(),
        }

    @property
    def sender_is_fixed(self) -> bool:
        return self.structure_is_fixed

    def clean_sender(self):
        return self.clean_scope_structure()

    def clean_sender_service(self):
        return self.clean_scope_service()

    def clean_display_start(self):
        start = self.cleaned_data["display_start"]
        stored = self.instance.display_start if self.instance.pk else None
        if start and start != stored and start < timezone.localdate():
            raise forms.ValidationError(_("The start date cannot be in the past."), code="past")
        return start

    def clean(self):
        cleaned = super().clean()
        self.check_scope(cleaned)
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        self._check_mailing_lists()
        if self.sending:
            self._check_ready_to_send()

    def _check_mailing_lists(self):
        """Add an error when a chosen list has another owner or recipient type than the message.

        The script hides such lists; without it, the page offers every list
        the user may use and this check names the misfits.
        """
        lists = self.cleaned_data.get("mailing_lists")
        if not lists or self.instance.sender_id is None or "mailing_lists" in self.errors:
            return
        try:
            check_mailing_lists(self.instance, lists)
        except forms.ValidationError as error:
            self.add_error("mailing_lists", error.error_dict["mailing_lists"])

    def _check_ready_to_send(self):
        """Add what Send needs, so that one click lists every missing field.

        messaging.sending.send() checks the same again when it runs. A field
        that already has an error keeps only that error.
        """
        try:
            check_ready_to_send(self.instance)
        except forms.ValidationError as error:
            # A message sent from another tab meanwhile raises an error for no field.
            for field, errors in error.update_error_dict({}).items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, errors)
        has_recipients = (
            self.cleaned_data.get("recipients")
            or self.cleaned_data.get("all_recipients")
            or self.cleaned_data.get("mailing_lists")
        )
        if not has_recipients and "recipients" not in self.errors:
            self.add_error("recipients", _("Choose at least one recipient."))

    @property
    def title_length(self) -> int:
        return _character_count(self["title"].value())

    @property
    def body_length(self) -> int:
        return _character_count(self["body"].value())


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

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].label = _("New recipients")
        if user is not None:
            # Only the lists of the message's sender and recipient type are offered.
            field = mailing_list_field(
                user, _("Their recipients who do not receive the message yet are added.")
            )
            field.queryset = field.queryset.usable_for(self.instance)
            self.fields["mailing_lists"] = field
        self.fields["display_start"].required = True
        self.fields["display_end"].required = True
        # The start date may move only while the display has not started.
        self.fields["display_start"].disabled = self.instance.display_start <= timezone.localdate()

    def recipient_context(self):
        return self.instance.sender, self.instance.recipient_kind

    @property
    def used_mailing_lists(self):
        """The lists this message already went through, by name."""
        return self.instance.mailing_lists.order_by("name", "pk")

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
