"""The rules a message obeys whatever the entry point: forms, admin, commands.

Dates are compared with today's calendar date in Europe/Paris
(`timezone.localdate()`), because display periods are whole French days.
"""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from structures.models import Partner, PartnerKind
from structures.partners import describe_recipients

# Fields a sent message keeps for good; only the display dates may change.
LOCKED_FIELDS = (
    "title",
    "body",
    "sender_id",
    "sender_service_id",
    "recipient_kind",
    "all_recipients",
)


def check_message(message) -> None:
    """Raise ValidationError when the message's own fields contradict each other."""
    errors = {}
    service = message.sender_service if message.sender_service_id else None
    if service and message.sender_id and service.structure_id != message.sender_id:
        errors["sender_service"] = _("This service does not belong to the sender structure.")
    private_sender = message.sender_id and not message.sender.is_public
    if private_sender and message.recipient_kind != PartnerKind.CUSTOMERS:
        errors["recipient_kind"] = _("A private structure can only write to its customers.")
    if any(character in message.title for character in "\r\n"):
        errors["title"] = _("The title must fit on one line.")
    start, end = message.display_start, message.display_end
    if start and end and end < start:
        errors["display_end"] = _("The end date cannot be before the start date.")
    if errors:
        raise ValidationError(errors)
    if message.pk:
        check_sent_message_changes(message)


def check_ready_to_send(message, today=None) -> None:
    """Raise ValidationError listing what a draft lacks to be sent."""
    today = today or timezone.localdate()
    errors = {}
    if not message.title.strip():
        errors["title"] = _("The title is required.")
    if not message.body.strip():
        errors["body"] = _("The message is required.")
    if not message.display_start:
        errors["display_start"] = _("The start date is required.")
    elif message.display_start < today:
        errors["display_start"] = _("The start date cannot be in the past.")
    if not message.display_end:
        errors["display_end"] = _("The end date is required.")
    if errors:
        raise ValidationError(errors)
    check_message(message)


def check_sent_message_changes(message, today=None) -> None:
    """Raise ValidationError when a change to a sent message breaks the rules for sent ones.

    A sent message keeps its content and sender. Its end date may move, but
    not before today or its start, and its start date may move only while it
    is still in the future. Nothing may change once its display period ended.
    """
    stored = type(message).objects.filter(pk=message.pk).first()
    if stored is None or stored.is_draft:
        return
    today = today or timezone.localdate()
    changed = [name for name in LOCKED_FIELDS if getattr(stored, name) != getattr(message, name)]
    start_changed = stored.display_start != message.display_start
    end_changed = stored.display_end != message.display_end
    if not message.is_sent:
        raise ValidationError(_("A sent message cannot go back to draft."))
    if stored.is_expired(today) and (changed or start_changed or end_changed):
        raise ValidationError(_("This message's display period has ended: it is read-only."))
    if changed:
        raise ValidationError(
            _("The content, sender and recipient type of a sent message cannot be changed.")
        )
    errors = {}
    if start_changed:
        if stored.display_start <= today:
            errors["display_start"] = _("The display has started: the start date is locked.")
        elif message.display_start is None or message.display_start < today:
            errors["display_start"] = _("The start date cannot be in the past.")
    if end_changed and (message.display_end is None or message.display_end < today):
        errors["display_end"] = _("The end date cannot be before today.")
    if errors:
        raise ValidationError(errors)


def _partner_rows(message):
    return Partner.objects.filter(
        structure_id=message.sender_id, kind=message.recipient_kind, partner=OuterRef("recipient")
    )


def deliveries_without_partner(deliveries, message):
    """Return those of `deliveries` whose recipient is not a partner of the sender.

    The recipient must have exchanged an invoice with the sender, in the
    direction of the message's recipient type. A recipient service must
    also be named by those invoices.
    """
    rows = _partner_rows(message)
    structure_ok = Q(recipient_service__isnull=True) & Exists(
        rows.filter(partner_service__isnull=True)
    )
    service_ok = Q(recipient_service__isnull=False) & Exists(
        rows.filter(partner_service=OuterRef("recipient_service"))
    )
    return deliveries.exclude(structure_ok | service_ok)


def raise_for_non_partners(offenders, message) -> None:
    """Raise a ValidationError naming each (structure, service) pair of `offenders`, if any."""
    if not offenders:
        return
    kind = PartnerKind(message.recipient_kind).label
    text = ngettext(
        "This recipient has exchanged no invoice with the sender structure for the recipient "
        "type “%(kind)s”: %(names)s.",
        "These recipients have exchanged no invoice with the sender structure for the "
        "recipient type “%(kind)s”: %(names)s.",
        len(offenders),
    ) % {"kind": kind, "names": describe_recipients(offenders)}
    raise ValidationError({"recipients": text}, code="not_partner")
