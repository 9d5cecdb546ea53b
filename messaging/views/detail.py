"""The page of one message, for its sender side and for its recipients."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from messaging.models import Delivery, Message
from messaging.tables import (
    HistoryTable,
    LenientPaginator,
    RecipientTable,
    RowsByKey,
    page_links,
)

RECIPIENTS_PER_PAGE = 50
RECIPIENTS_PAGE_PARAM = "recipients_page"


def received_deliveries(user, message_pk, today) -> list[Delivery]:
    """Return the user's deliveries of a message that is in the user's Mailbox on `today`."""
    deliveries = (
        Delivery.objects.in_mailbox_of(user, today)
        .filter(message_id=message_pk)
        .select_related(
            "message__sender", "message__sender_service", "recipient", "recipient_service"
        )
        .order_by("recipient__designation", "pk")
    )
    return list(deliveries)


def mark_read(deliveries, now) -> None:
    """Mark the unread ones of `deliveries` read in one UPDATE that keeps earlier reading dates."""
    unread = [delivery.pk for delivery in deliveries if delivery.read_at is None]
    if unread:
        Delivery.objects.filter(pk__in=unread).unread().update(read_at=now)


def reception_day(deliveries):
    """Return the day a message became visible through `deliveries`, in the current time zone."""
    return min(delivery.received_on for delivery in deliveries)


class MessageDetailView(LoginRequiredMixin, TemplateView):
    """Show a message to its sender side (with recipients and history) or to its recipients.

    The sender side is the users of `Message.objects.for_user`; recipients see
    the message only while it is in their Mailbox. Anyone else gets a 404.
    A recipient's visit marks the deliveries to its structures read.
    """

    template_name = "messaging/message_detail.html"

    def get(self, request, reference):
        today = timezone.localdate()
        received = received_deliveries(request.user, reference, today)
        message = (
            Message.objects.for_user(request.user)
            .select_related("sender", "sender_service", "created_by", "sent_by")
            .filter(pk=reference)
            .first()
        )
        if message is None and not received:
            raise Http404
        mark_read(received, timezone.now())
        context = self.get_context_data(
            message=message or received[0].message,
            is_sender_side=message is not None,
            received=received,
            received_on=reception_day(received) if received else None,
            active_tab="outbox" if message is not None else "mailbox",
        )
        if message is not None:
            context.update(self.sender_side_context(message, today))
        return self.render_to_response(context)

    def sender_side_context(self, message, today) -> dict:
        # In the order of the structures' ids, which an index gives for any number of
        # recipients: sorting 100,000 recipients by SIRET would join and sort them all.
        recipients = RecipientTable(
            RowsByKey(
                message.deliveries.select_related("recipient", "recipient_service").order_by(
                    "recipient_id", "pk"
                )
            )
        )
        # Paginated here rather than by RequestConfig, so that no GET parameter can raise
        # the page size, because a message may have 100,000 recipients.
        recipients.paginate(
            paginator_class=LenientPaginator,
            per_page=RECIPIENTS_PER_PAGE,
            page=self.request.GET.get(RECIPIENTS_PAGE_PARAM),
        )
        return {
            "recipients": recipients,
            "recipients_pagination": page_links(
                self.request, recipients.page, RECIPIENTS_PAGE_PARAM
            ),
            "history": HistoryTable(message.events.select_related("actor")),
            "can_modify": not message.is_expired(today),
            "can_delete": message.is_draft,
        }
