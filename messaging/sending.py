"""Use cases of messages: choosing recipients, sending, changing a sent message.

Each function is atomic and locks the message row, so that two requests
racing on the same message (a double click, two tabs) act one after the
other. On PostgreSQL the lock is `SELECT ... FOR UPDATE`. SQLite ignores it
but serialises writers on its own.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mailing_lists.models import Member
from messaging.audit import record_event
from messaging.models import Delivery, DeliverySource, Message, MessageEvent, MessageStatus
from messaging.rules import (
    check_ready_to_send,
    deliveries_without_partner,
    raise_for_non_partners,
)
from structures.models import Partner, Structure
from structures.partners import missing_partners

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
    pairs = [(r.structure_id, r.service_id) for r in recipients]
    offenders = missing_partners(message.sender_id, message.recipient_kind, pairs)
    raise_for_non_partners(offenders, message)


def _display_copies(message, now, *, sending=False) -> tuple:
    """Return Delivery.received_on, display_end and sender_id for a delivery added at `now`.

    All are empty for a draft, unless `sending` is true: the transaction then
    marks the message sent before it commits.
    """
    if not (message.is_sent or sending):
        return None, None, None
    received_on = max(timezone.localdate(now), message.display_start)
    return received_on, message.display_end, message.sender_id


def _insert(message, recipients, now) -> int:
    """Insert deliveries for `recipients`, skipping those already there; return how many."""
    before = Delivery.objects.filter(message=message).count()
    received_on, display_end, sender_id = _display_copies(message, now)
    Delivery.objects.bulk_create(
        [
            Delivery(
                message=message,
                recipient_id=r.structure_id,
                recipient_service_id=r.service_id,
                source=r.source,
                added_at=now,
                received_on=received_on,
                display_end=display_end,
                sender_id=sender_id,
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
# Inactive structures are few: ruling them out with NOT EXISTS reads their small
# index (structure_inactive_idx) instead of a structure row per partner.
_ALL_PARTNERS_SQL = """
INSERT INTO {delivery}
    (message_id, recipient_id, recipient_service_id, source, added_at,
     received_on, display_end, sender_id)
SELECT %s, p.partner_id, NULL, %s, %s, %s, %s, %s
FROM {partner} p
WHERE p.structure_id = %s AND p.kind = %s AND p.partner_service_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM {structure} s WHERE s.id = p.partner_id AND NOT s.is_active)
ON CONFLICT DO NOTHING
"""


# Resolves the chosen mailing lists in one statement: a recipient in several
# lists, or also typed, gets one delivery.
_LIST_MEMBERS_SQL = """
INSERT INTO {delivery}
    (message_id, recipient_id, recipient_service_id, source, added_at,
     received_on, display_end, sender_id)
SELECT DISTINCT %s, m.structure_id, m.service_id, %s, %s, %s, %s, %s
FROM {member} m JOIN {chosen} c ON c.mailinglist_id = m.mailing_list_id
WHERE c.message_id = %s
ON CONFLICT DO NOTHING
"""


def resolve_audience(message, now) -> None:
    """Turn "all my recipients" and the chosen mailing lists into deliveries.

    Called by send() only, whose transaction then marks the message sent: the
    deliveries are written once, with the display copies of a sent message.
    """
    quote = connection.ops.quote_name
    copies = list(_display_copies(message, now, sending=True))
    with connection.cursor() as cursor:
        if message.all_recipients:
            sql = _ALL_PARTNERS_SQL.format(
                delivery=quote(Delivery._meta.db_table),
                partner=quote(Partner._meta.db_table),
                structure=quote(Structure._meta.db_table),
            )
            cursor.execute(
                sql,
                [
                    message.pk,
                    DeliverySource.ALL,
                    now,
                    *copies,
                    message.sender_id,
                    message.recipient_kind,
                ],
            )
        sql = _LIST_MEMBERS_SQL.format(
            delivery=quote(Delivery._meta.db_table),
            member=quote(Member._meta.db_table),
            chosen=quote(Message.mailing_lists.through._meta.db_table),
        )
        cursor.execute(sql, [message.pk, DeliverySource.MAILING_LIST, now, *copies, message.pk])


def check_mailing_lists(message, mailing_lists) -> None:
    """Raise ValidationError unless each list belongs to the sender and has its recipient type."""
    misfits = [
        mailing_list.name
        for mailing_list in mailing_lists
        if mailing_list.owner_id != message.sender_id
        or mailing_list.recipient_kind != message.recipient_kind
    ]
    if misfits:
        raise ValidationError(
            {
                "mailing_lists": _(
                    "These lists belong to another structure or hold another recipient "
                    "type: %(names)s."
                )
                % {"names": ", ".join(misfits)}
            }
        )


@transaction.atomic
def add_mailing_lists(message, mailing_lists, *, by) -> int:
    """Add the members of `mailing_lists` to a sent message; return how many are new."""
    mailing_lists = list(mailing_lists)
    check_mailing_lists(message, mailing_lists)
    members = Member.objects.filter(mailing_list__in=mailing_lists).values_list(
        "structure_id", "service_id"
    )
    recipients = {
        Recipient(structure_id, service_id, DeliverySource.MAILING_LIST)
        for structure_id, service_id in members
    }
    added = add_recipients(message, sorted(recipients, key=_recipient_order), by=by)
    message.mailing_lists.add(*mailing_lists)
    return added


def _recipient_order(recipient):
    return (recipient.structure_id, recipient.service_id or 0)


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
    check_mailing_lists(locked, locked.mailing_lists.all())
    now = timezone.now()
    resolve_audience(locked, now)
    deliveries = Delivery.objects.filter(message=locked)
    chosen = deliveries.exclude(source=DeliverySource.ALL).select_related(
        "recipient", "recipient_service"
    )
    offenders = [
        (d.recipient, d.recipient_service) for d in deliveries_without_partner(chosen, locked)
    ]
    raise_for_non_partners(offenders, locked)
    # The recipients chosen in the draft get the sending time; the audience has it already.
    deliveries.exclude(added_at=now).update(added_at=now)
    count = deliveries.count()
    if not count:
        raise ValidationError({"recipients": _("Choose at least one recipient.")})
    locked.status = MessageStatus.SENT
    locked.sent_at, locked.sent_by = now, by
    locked.save()
    record_event(locked, MessageEvent.Action.SENT, by=by, details={"recipients": count})
    logger.info("Message %s sent to %s recipients", locked.reference, count)
    message.refresh_from_db()
    return True
