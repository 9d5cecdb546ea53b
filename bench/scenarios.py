"""The benchmark scenarios, resolved against the generated data.

A scenario names the user who makes the request and the page it requests. The
users, structures, messages and prefixes are looked up in the data set
(by the user names that the generators give), so the same scenarios run
at every scale.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from bench.national import MINISTRY_USERNAME, READER_USERNAME
from bench.w1 import READER_USERNAME as W1_READER_USERNAME
from messaging.models import Delivery, Message, MessageStatus
from messaging.views.detail import RECIPIENTS_PER_PAGE
from structures.access import scopes_of
from structures.models import Partner, PartnerKind, Structure

OUTBOX_SORTS = (
    "reference",
    "created_at",
    "sender_identifier",
    "sender_designation",
    "title",
    "display_start",
    "display_end",
    "status",
)
ROWS_PER_PAGE = 20


@dataclass(frozen=True)
class Page:
    """A GET request by one user, measured as a page scenario."""

    name: str
    description: str
    username: str
    path: str
    params: dict = field(default_factory=dict)


def _user(username):
    return get_user_model().objects.get(username=username)


def _structure_of(username) -> Structure:
    return scopes_of(_user(username))[0].structure


def _day(value: datetime.date) -> str:
    return value.strftime("%d/%m/%Y")


def _last_page(count: int) -> int:
    return max(1, -(-count // ROWS_PER_PAGE))


def mailbox_pages(prefix, username, description_of) -> list[Page]:
    """Return the Mailbox scenarios of the reader `username`: pages, filters, page sizes."""
    user = _user(username)
    deliveries = Delivery.objects.in_mailbox_of(user, timezone.localdate())
    count = deliveries.message_count()
    busiest = (
        deliveries.values("message__sender")
        .annotate(messages=Count("message", distinct=True))
        .order_by("-messages", "message__sender")
        .first()
    )
    reader = _structure_of(username)
    mailbox = reverse("messaging:mailbox")
    deep = _last_page(count)

    pages = [
        Page(f"{prefix}", f"{description_of} Mailbox, first page", username, mailbox),
        Page(f"{prefix}_page_{deep}", f"last page ({deep})", username, mailbox, {"page": deep}),
        Page(f"{prefix}_per_page_5", "first page, 5 rows", username, mailbox, {"per_page": 5}),
        Page(f"{prefix}_per_page_50", "first page, 50 rows", username, mailbox, {"per_page": 50}),
        Page(
            f"{prefix}_filter_recipient",
            "filtered by recipient structure",
            username,
            mailbox,
            {"recipient": reader.pk},
        ),
    ]
    if busiest:
        pages.append(
            Page(
                f"{prefix}_filter_sender",
                f"filtered by sender SIRET ({busiest['messages']} messages)",
                username,
                mailbox,
                {"sender": Structure.objects.get(pk=busiest["message__sender"]).identifier},
            )
        )
    pages.append(
        Page(
            f"{prefix}_search_sender",
            "sender designation contains 'communaute'",
            username,
            mailbox,
            {"sender": "communaute"},
        )
    )
    return pages


def national_pages() -> list[Page]:
    """Return the page scenarios of the national data set."""
    ministry_user = MINISTRY_USERNAME
    ministry = _structure_of(ministry_user)

    pages = mailbox_pages("mailbox", READER_USERNAME, "reader's")
    pages += _outbox_pages(ministry, ministry_user)
    pages += _detail_pages(ministry, ministry_user)
    pages += _recipient_pages(ministry, ministry_user)

    lists = reverse("mailing_lists:list-index")
    pages.append(Page("mailing_lists", "Mailing lists tab", ministry_user, lists))
    form = reverse("messaging:message-create")
    pages.append(Page("message_form", "new message form", ministry_user, form))
    return pages


def _outbox_pages(ministry, ministry_user) -> list[Page]:
    """Return the Outbox scenarios of the ministry: every sort both ways, pages, filters."""
    outbox = reverse("messaging:outbox")
    pages = [Page("outbox", "ministry's Outbox, first page", ministry_user, outbox)]
    for sort in OUTBOX_SORTS:
        for order in (sort, f"-{sort}"):
            description = f"sorted by {order}"
            params = {"sort": order}
            pages.append(Page(f"outbox_sort_{order}", description, ministry_user, outbox, params))

    deep = _last_page(Message.objects.filter(sender=ministry).count())
    today = timezone.localdate()
    dates = {
        "start_from": _day(today - datetime.timedelta(days=90)),
        "start_to": _day(today - datetime.timedelta(days=60)),
    }
    return [
        *pages,
        Page(f"outbox_page_{deep}", f"last page ({deep})", ministry_user, outbox, {"page": deep}),
        Page("outbox_per_page_5", "first page, 5 rows", ministry_user, outbox, {"per_page": 5}),
        Page("outbox_per_page_50", "first page, 50 rows", ministry_user, outbox, {"per_page": 50}),
        Page(
            "outbox_filter_title",
            "title contains 'elagage'",
            ministry_user,
            outbox,
            {"title": "elagage"},
        ),
        Page("outbox_filter_dates", "display start in 30 days", ministry_user, outbox, dates),
    ]


def _detail_pages(ministry, ministry_user) -> list[Page]:
    broadcast = (
        Message.objects.filter(sender=ministry, all_recipients=True, status=MessageStatus.SENT)
        .order_by("-pk")
        .first()
    )
    recipients = broadcast.deliveries.count()
    reader_user = _user(READER_USERNAME)
    received = (
        Delivery.objects.in_mailbox_of(reader_user, timezone.localdate())
        .order_by("-message_id")
        .values_list("message_id", flat=True)
        .first()
    )
    pages = [
        Page(
            "detail_sender",
            f"message detail, sender side, {recipients:,} recipients",
            ministry_user,
            reverse("messaging:message-detail", args=[broadcast.pk]),
        ),
        Page(
            "detail_sender_last_recipients",
            "same, last page of recipients",
            ministry_user,
            reverse("messaging:message-detail", args=[broadcast.pk]),
            {"recipients_page": max(1, -(-recipients // RECIPIENTS_PER_PAGE))},
        ),
    ]
    if received:
        pages.append(
            Page(
                "detail_recipient",
                "message detail, recipient side",
                READER_USERNAME,
                reverse("messaging:message-detail", args=[received]),
            )
        )
    return pages


def _ministry_supplier(ministry) -> Structure:
    partner = (
        Partner.objects.filter(
            structure=ministry, kind=PartnerKind.SUPPLIERS, partner_service__isnull=True
        )
        .order_by("partner_id")
        .values_list("partner_id", flat=True)
        .first()
    )
    return Structure.objects.get(pk=partner)


def _recipient_pages(ministry, ministry_user) -> list[Page]:
    supplier = _ministry_supplier(ministry)
    suggestions = reverse("messaging:recipient-suggestions")
    search = reverse("messaging:recipient-search")
    common = {"sender": ministry.pk, "kind": PartnerKind.SUPPLIERS}
    designation = " ".join(supplier.designation.split()[:2])
    return [
        Page(
            "suggestions_4",
            f"recipient suggestions, 4-digit prefix {supplier.identifier[:4]}",
            ministry_user,
            suggestions,
            {**common, "q": supplier.identifier[:4]},
        ),
        Page(
            "suggestions_9",
            f"recipient suggestions, 9-digit prefix {supplier.identifier[:9]}",
            ministry_user,
            suggestions,
            {**common, "q": supplier.identifier[:9]},
        ),
        Page(
            "recipient_search_designation",
            f"recipient search, designation contains '{designation}'",
            ministry_user,
            search,
            {**common, "designation": designation},
        ),
        Page(
            "recipient_search_postal_code",
            f"recipient search, postal code {supplier.postal_code}",
            ministry_user,
            search,
            {**common, "postal_code": supplier.postal_code},
        ),
        Page(
            "recipient_search_department",
            f"recipient search, postal code starting {supplier.postal_code[:2]}",
            ministry_user,
            search,
            {**common, "postal_code": supplier.postal_code[:2]},
        ),
    ]


def w1_pages() -> list[Page]:
    """Return the page scenarios of the W1 workload."""
    pages = mailbox_pages("w1_mailbox", W1_READER_USERNAME, "W1 reader's")
    mailbox = reverse("messaging:mailbox")
    pages.insert(
        1,
        Page("w1_mailbox_page_1000", "page 1,000", W1_READER_USERNAME, mailbox, {"page": 1000}),
    )
    return pages
