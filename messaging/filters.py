"""Filters of the Mailbox and Outbox tabs, read from the GET parameters of the page."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorus_messages.text import fold
from messaging.models import Delivery, Message, MessageStatus
from structures.models import Structure
from structures.siret import normalize_siret

# Dates are typed the French way. ISO dates are accepted too, because a browser's
# <input type="date"> and hand-edited URLs send them.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
_REFERENCE_INPUT = re.compile(r"(?:MSG_?)?([0-9]{1,9})")


def _label(model, field_name):
    """Return the verbose name of a model field as a label, so that forms and tables agree."""
    return capfirst(model._meta.get_field(field_name).verbose_name)


class ReferenceField(forms.Field):
    """A message reference, typed in full (MSG_000000184), as digits (000000184) or as a number.

    Cleans to the message number, which is the message's primary key.
    """

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("Enter a reference such as MSG_000000184, or its number such as 184."),
    }

    def to_python(self, value):
        text = (value or "").strip().upper()
        if not text:
            return None
        match = _REFERENCE_INPUT.fullmatch(text)
        if match is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(match.group(1))


class ReferenceFilter(django_filters.Filter):
    """Keep the message whose number is typed, in any form ReferenceField accepts."""

    field_class = ReferenceField


def _date_filter(lookup_expr, label):
    return django_filters.DateFilter(
        field_name="display_start",
        lookup_expr=lookup_expr,
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.TextInput(
            attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric", "autocomplete": "off"}
        ),
    )


class OutboxFilterForm(forms.Form):
    def clean(self):
        cleaned_data = super().clean()
        start_from, start_to = cleaned_data.get("start_from"), cleaned_data.get("start_to")
        if start_from and start_to and start_from > start_to:
            self.add_error("start_to", _("This date cannot be before the first date of the range."))
        return cleaned_data


class OutboxFilter(django_filters.FilterSet):
    """Combinable filters of the Outbox: sender, status, title, reference, start date range."""

    sender = django_filters.ModelChoiceFilter(
        queryset=lambda request: Structure.objects.for_user(request.user),
        empty_label=_("All my structures"),
    )
    status = django_filters.ChoiceFilter(
        choices=MessageStatus.choices, empty_label=_("All statuses")
    )
    title = django_filters.CharFilter(method="filter_title", label=_label(Message, "title"))
    reference = ReferenceFilter(field_name="pk", label=_("Reference"))
    start_from = _date_filter("gte", pgettext_lazy("date range", "From"))
    start_to = _date_filter("lte", pgettext_lazy("date range", "To"))

    class Meta:
        model = Message
        fields = ()
        form = OutboxFilterForm

    def filter_title(self, queryset, name, value):
        """Keep the titles that contain `value`, ignoring case and accents."""
        folded = fold(value.strip())
        return queryset.filter(title_folded__contains=folded) if folded else queryset


# Maximum length of the Mailbox's sender search, in characters.
SENDER_SEARCH_MAX_LENGTH = 100


class MailboxFilter(django_filters.FilterSet):
    """Filters of the Mailbox, applied to the deliveries before they become one row per message."""

    # A search, not a list of senders: a supplier's Mailbox may hold messages
    # from thousands of public bodies. It reads the deliveries' copy of the sender.
    sender = django_filters.CharFilter(
        method="filter_sender",
        label=_label(Message, "sender"),
        help_text=_("Start of the SIRET, or part of the designation."),
        max_length=SENDER_SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    recipient = django_filters.ModelChoiceFilter(
        queryset=lambda request: Structure.objects.for_user(request.user),
        empty_label=_("All my structures"),
    )

    class Meta:
        model = Delivery
        fields = ()

    def filter_sender(self, queryset, name, value):
        """Keep the senders whose SIRET starts with `value`, or whose designation contains it.

        Digits typed with spaces or dots, as SIRETs are often written, are
        compared to the SIRET. Any other text is compared to the designation,
        ignoring case and accents.
        """
        digits = normalize_siret(value)
        if digits.isdigit():
            return queryset.filter(sender__identifier__startswith=digits)
        # Spaces typed twice, or a tab, count as one space.
        folded = fold(" ".join(value.split()))
        return queryset.filter(sender__designation_folded__contains=folded) if folded else queryset
