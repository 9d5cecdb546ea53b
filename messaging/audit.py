"""The audit trail of messages: who created, modified, sent or deleted what.

Kept apart from technical logs: these entries are shown to users in the
message detail and to administrators in the admin.
"""

import datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext

from messaging.models import Message, MessageEvent


def record_event(message, action, *, by, details=None) -> MessageEvent:
    """Store one audit entry for `message`, done by user `by`."""
    return MessageEvent.objects.create(
        message=message,
        message_reference=message.reference,
        action=action,
        actor=by if by is not None and by.is_authenticated else None,
        details=details or {},
    )


def describe_details(details) -> str:
    """Return the details of an audit entry as a sentence for users, such as "3 recipients".

    Technical entries (the form token that detects double submissions) are
    left out; field names become their labels and ISO dates DD/MM/YYYY.
    """
    parts = []
    for key, value in (details or {}).items():
        text = _describe_detail(key, value)
        if text:
            parts.append(text)
    return "; ".join(parts)


def _describe_detail(key, value) -> str:
    if key == "form_token":
        return ""
    if key == "via":
        return gettext("through the admin") if value == "admin" else str(value)
    if key in ("recipients", "count") and isinstance(value, int):
        return ngettext("%(count)d recipient", "%(count)d recipients", value) % {"count": value}
    if key == "fields" and isinstance(value, list | tuple):
        labels = ", ".join(_field_label(name) for name in value)
        return gettext("changed: %(fields)s") % {"fields": labels}
    if isinstance(value, dict) and {"old", "new"} <= value.keys():
        return f"{capfirst(_field_label(key))} : {_format_value(value['old'])} → " + (
            _format_value(value["new"])
        )
    return f"{_field_label(key)}: {_format_value(value)}"


def _field_label(name: str) -> str:
    if name == "recipients":
        return str(gettext("recipients"))
    try:
        return str(Message._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _format_value(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            return date_format(datetime.date.fromisoformat(value), "d/m/Y")
        except ValueError:
            return value
    return str(value)
