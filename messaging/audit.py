"""The audit trail of messages: who created, modified, sent or deleted what.

Kept apart from technical logs: these entries are shown to users in the
message detail and to administrators in the admin.
"""

from messaging.models import MessageEvent


def record_event(message, action, *, by, details=None) -> MessageEvent:
    """Store one audit entry for `message`, done by user `by`."""
    return MessageEvent.objects.create(
        message=message,
        message_reference=message.reference,
        action=action,
        actor=by if by is not None and by.is_authenticated else None,
        details=details or {},
    )
