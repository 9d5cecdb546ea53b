"""Lines in COPY text format for each table that the generators fill.

Each `*_COLUMNS` tuple names the columns of the matching `*_line` function,
in order. Timestamps are UTC ISO strings; dates are ISO dates.
"""

import datetime
import functools
import json

from django.utils import timezone

from bench.loading import NULL, optional, text
from chorus_messages.text import fold
from messaging.models import format_reference

STRUCTURE_COLUMNS = (
    "id",
    "identifier_type",
    "identifier",
    "designation",
    "is_public",
    "manages_services",
    "address",
    "address_complement",
    "postal_code",
    "city",
    "country_code",
    "is_active",
)
# Folded copies of the designation and city, when the Structure model has them.
FOLDED_STRUCTURE_COLUMNS = ("designation_folded", "city_folded")
SERVICE_COLUMNS = ("id", "structure_id", "code", "label", "is_active")
USER_COLUMNS = (
    "id",
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
)
MEMBERSHIP_COLUMNS = ("id", "user_id", "structure_id", "service_id")
INVOICE_COLUMNS = (
    "id",
    "supplier_id",
    "supplier_service_id",
    "client_id",
    "client_service_id",
    "number",
    "issued_on",
)
MESSAGE_COLUMNS = (
    "id",
    "sender_id",
    "sender_service_id",
    "recipient_kind",
    "all_recipients",
    "title",
    "title_folded",
    "body",
    "display_start",
    "display_end",
    "status",
    "created_at",
    "created_by_id",
    "updated_at",
    "sent_at",
    "sent_by_id",
)
DELIVERY_COLUMNS = (
    "id",
    "message_id",
    "recipient_id",
    "recipient_service_id",
    "source",
    "added_at",
    "read_at",
    "received_on",
    "display_end",
    "sender_id",
)
EVENT_COLUMNS = ("id", "message_id", "message_reference", "action", "actor_id", "at", "details")
MAILING_LIST_COLUMNS = (
    "id",
    "name",
    "owner_id",
    "owner_service_id",
    "recipient_kind",
    "created_at",
    "created_by_id",
    "updated_at",
    "updated_by_id",
)
MEMBER_COLUMNS = ("id", "mailing_list_id", "structure_id", "service_id", "added_at")

# An unusable password: Django refuses every password for such an account.
UNUSABLE_PASSWORD = "!"


def _flag(value: bool) -> str:
    return "t" if value else "f"


def timestamp(moment: datetime.datetime) -> str:
    """Return an aware datetime as COPY text."""
    return moment.isoformat(sep=" ")


def structure_columns() -> tuple[str, ...]:
    """Return the columns that structure_line() fills, folded copies included when they exist."""
    from structures.models import Structure

    names = {field.name for field in Structure._meta.get_fields()}
    if set(FOLDED_STRUCTURE_COLUMNS) <= names:
        return STRUCTURE_COLUMNS + FOLDED_STRUCTURE_COLUMNS
    return STRUCTURE_COLUMNS


@functools.cache
def _folded(value: str) -> str:
    return text(fold(value))


def structure_line(
    structure_id,
    identifier,
    designation,
    *,
    public,
    manages_services,
    address,
    postal_code,
    city,
    folded=False,
) -> str:
    """Return a structure line; `folded` adds the folded designation and city at the end."""
    values = (
        str(structure_id),
        "SIRET",
        identifier,
        text(designation),
        _flag(public),
        _flag(manages_services),
        text(address),
        "",
        postal_code,
        text(city),
        "FR",
        "t",
    )
    if folded:
        values += (_folded(designation), _folded(city))
    return "\t".join(values) + "\n"


def service_line(service_id, structure_id, code, label) -> str:
    return f"{service_id}\t{structure_id}\t{text(code)}\t{text(label)}\tt\n"


def user_line(user_id, username, first_name, last_name, joined: str) -> str:
    values = (
        str(user_id),
        UNUSABLE_PASSWORD,
        NULL,
        "f",
        username,
        text(first_name),
        text(last_name),
        f"{username}@example.invalid",
        "f",
        "t",
        joined,
    )
    return "\t".join(values) + "\n"


def membership_line(membership_id, user_id, structure_id, service_id=None) -> str:
    return f"{membership_id}\t{user_id}\t{structure_id}\t{optional(service_id)}\n"


def invoice_line(invoice_id, supplier_id, client_id, client_service_id, issued_on) -> str:
    service = optional(client_service_id)
    number = f"F{invoice_id:010d}"
    return f"{invoice_id}\t{supplier_id}\t{NULL}\t{client_id}\t{service}\t{number}\t{issued_on}\n"


class MessageText:
    """Title, folded title and body of generated messages, as COPY text.

    Titles are folded and sentences escaped once, not once per message.
    """

    _PARAGRAPH_BREAK = text("\n\n")

    def __init__(self, titles, sentences):
        self.titles = [(text(title), text(fold(title))) for title in titles]
        self.sentences = [text(sentence) for sentence in sentences]

    def pick(self, rng) -> tuple[str, str, str]:
        title, folded = self.titles[rng.randrange(len(self.titles))]
        count = rng.randint(2, 6)
        body = self._PARAGRAPH_BREAK.join(rng.choices(self.sentences, k=count))
        return title, folded, body


def message_line(
    message_id,
    *,
    sender_id,
    sender_service_id,
    kind,
    all_recipients,
    content,
    display,
    sent,
    created_at,
    author_id,
) -> str:
    """Return a message line; `display` is (start, end) or None, `sent` the sending time."""
    title, folded, body = content
    start, end = display if display else (None, None)
    author = optional(author_id)
    values = (
        str(message_id),
        str(sender_id),
        optional(sender_service_id),
        kind,
        _flag(all_recipients),
        title,
        folded,
        body,
        optional(start),
        optional(end),
        "sent" if sent else "draft",
        created_at,
        author,
        sent or created_at,
        sent or NULL,
        author if sent else NULL,
    )
    return "\t".join(values) + "\n"


def delivery_line(
    delivery_id, message_id, recipient_id, service_id, source, added, read, copies
) -> str:
    """Return a delivery line; `copies` is display_copies() of its message."""
    return (
        f"{delivery_id}\t{message_id}\t{recipient_id}\t{optional(service_id)}"
        f"\t{source}\t{added}\t{read or NULL}\t{copies}\n"
    )


def display_copies(added: datetime.datetime, display, sender_id) -> str:
    """Return Delivery.received_on, display_end and sender_id as COPY text, for a sent message.

    `display` is the message's (start, end); the reception date is the later
    of the local day of `added` (Europe/Paris) and the start.
    """
    start, end = display
    received_on = max(timezone.localdate(added), start)
    return f"{received_on}\t{end}\t{sender_id}"


def event_line(event_id, message_id, action, actor_id, at, details: dict) -> str:
    reference = format_reference(message_id)
    payload = text(json.dumps(details))
    return (
        f"{event_id}\t{message_id}\t{reference}\t{action}\t{optional(actor_id)}\t{at}\t{payload}\n"
    )


def mailing_list_line(list_id, name, owner_id, owner_service_id, kind, created, author) -> str:
    author = optional(author)
    values = (
        str(list_id),
        text(name),
        str(owner_id),
        optional(owner_service_id),
        kind,
        created,
        author,
        created,
        author,
    )
    return "\t".join(values) + "\n"


def member_line(member_id, list_id, structure_id, service_id, added) -> str:
    return f"{member_id}\t{list_id}\t{structure_id}\t{optional(service_id)}\t{added}\n"
