"""Use cases of messages: choosing recipients, sending, changing a sent message.

Each function is atomic and locks the message row, so that two requests
racing on the same message (a double click, two tabs) act one after the
other; on PostgreSQL the lock is `SELECT ... FOR UPDATE`, while SQLite
serialises writers on its own.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.audit import record_event
from messaging.models import Delivery, DeliverySource, Message, MessageEvent, MessageStatus
from messaging.rules import (
    check_ready_to_send,
    deliveries_without_partner,
    raise_for_non_partners,
)
from structures.models import Partner, Service, Structure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """A chosen recipient: a structure as a whole, or one of its services."""

    structure_id: int
    service_id: int | None = None
    source: str = DeliverySource.TYPED


def _lock(message) -> Message:
    return Message.objects.select_for_update().select_related("sender").get(pk=message.pk)


def _check_partners(message, recipients) -> None:
    """Raise a ValidationError naming the recipients that are not partners of the sender."""
    wanted = {(r.structure_id, r.service_id) for r in recipients}
    if not wanted:
        return
    known = set(
        Partner.objects.filter(
            structure_id=message.sender_id,
            kind=message.recipient_kind,
            partner_id__in={structure_id for structure_id, _ in wanted},
        ).values_list("partner_id", "partner_service_id")
    )
    missing = sorted(wanted - known, key=lambda pair: (pair[0], pair[1] or 0))
    if not missing:
        return
    structures = Structure.objects.in_bulk({structure_id for structure_id, _ in missing})
    services = Service.objects.in_bulk({service_id for _, service_id in missing if service_id})
    offenders = [
        Delivery(recipient=structures[structure_id], recipient_service=services.get(service_id))
        for structure_id, service_id in missing
        if structure_id in structures
    ]
    raise_for_non_partners(offenders, message)


def _insert(message, recipients, now) -> int:
    """Insert deliveries for `recipients`, skipping those already there; return how many."""
    before = Delivery.objects.filter(message=message).count()
    Delivery.objects.bulk_create(
        [
            Delivery(
                message=message,
                recipient_id=r.structure_id,
                recipient_service_id=r.service_id,
                source=r.source,
                added_at=now,
            )
            for r in recipients
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return Delivery.objects.filter(message=message).count() - before


@transaction.atomic
def set_draft_recipients(message, recipients) -> None:
    """Make `recipients` the chosen recipients of a draft, replacing the previous choice."""
    locked = _lock(message)
    if not locked.is_draft:
        raise ValidationError(_("Recipients of a sent message can only be added."))
    _check_partners(locked, recipients)
    wanted = {(r.structure_id, r.service_id) for r in recipients}
    current = Delivery.objects.filter(message=locked)
    stale = [d.pk for d in current if (d.recipient_id, d.recipient_service_id) not in wanted]
    Delivery.objects.filter(pk__in=stale).delete()
    _insert(locked, recipients, timezone.now())


@transaction.atomic
def add_recipients(message, recipients, *, by) -> int:
    """Add recipients to a sent message that is still displayed; return how many are new.

    Deliveries are never removed from a sent message; recipients already
    there are skipped.
    """
    locked = _lock(message)
    if locked.is_draft:
        raise ValidationError(_("Send the message before adding recipients to it."))
    if locked.is_expired(timezone.localdate()):
        raise ValidationError(_("This message's display period has ended: it is read-only."))
    _check_partners(locked, recipients)
    added = _insert(locked, recipients, timezone.now())
    if added:
        record_event(locked, MessageEvent.Action.RECIPIENTS_ADDED, by=by, details={"count": added})
    return added


# Resolves "all my recipients" in one statement: every active partner
# structure of the chosen kind becomes a delivery, existing ones are kept.
_ALL_PARTNERS_SQL = """
INSERT INTO {delivery} (message_id, recipient_id, recipient_service_id, source, added_at)
SELECT %s, p.partner_id, NULL, %s, %s
FROM {partner} p JOIN {structure} s ON s.id = p.partner_id
WHERE p.structure_id = %s AND p.kind = %s AND p.partner_service_id IS NULL AND s.is_active
ON CONFLICT DO NOTHING
"""


def resolve_audience(message, now) -> None:
    """Turn "all my recipients" into deliveries; mailing lists are resolved here too."""
    if not message.all_recipients:
        return
    quote = connection.ops.quote_name
    sql = _ALL_PARTNERS_SQL.format(
        delivery=quote(Delivery._meta.db_table),
        partner=quote(Partner._meta.db_table),
        structure=quote(Structure._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [message.pk, DeliverySource.ALL, now, message.sender_id, message.recipient_kind]
        )


@transaction.atomic
def send(message, *, by) -> bool:
    """Deliver a draft to its recipients; return False when it was already sent.

    Everything happens in one transaction: on any error no delivery is kept
    and the message stays a draft. A second call for the same message,
    from a double click or another tab, finds it sent and does nothing.
    """
    locked = _lock(message)
    if locked.is_sent:
        return False
    check_ready_to_send(locked)
    now = timezone.now()
    resolve_audience(locked, now)
    deliveries = Delivery.objects.filter(message=locked)
    chosen = deliveries.exclude(source=DeliverySource.ALL).select_related(
        "recipient", "recipient_service"
    )
    raise_for_non_partners(list(deliveries_without_partner(chosen, locked)), locked)
    count = deliveries.update(added_at=now)
    if not count:
        raise ValidationError({"recipients": _("Choose at least one recipient.")})
    locked.status = MessageStatus.SENT
    locked.sent_at, locked.sent_by = now, by
    locked.save()
    record_event(locked, MessageEvent.Action.SENT, by=by, details={"recipients": count})
    logger.info("Message %s sent to %s recipients", locked.reference, count)
    message.refresh_from_db()
    return True
