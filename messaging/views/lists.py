"""The Mailbox and Outbox tabs: filtered, sorted and paginated tables of messages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from messaging.filters import MailboxFilter, OutboxFilter
from messaging.mailbox import mailbox_of
from messaging.models import Message
from messaging.tables import (
    DEFAULT_PER_PAGE,
    PER_PAGE_CHOICES,
    ListPaginator,
    MailboxTable,
    OutboxTable,
    ReceivedMessages,
    RowsByKey,
    page_links,
)

# Parameters that the filter form does not show but must keep when it is submitted.
_KEPT_BY_FILTERS = ("sort", "per_page")
# Parameters that the rows-per-page form must not keep: a new page size starts at page 1.
_DROPPED_BY_PER_PAGE = ("page", "per_page")


class MessageListView(LoginRequiredMixin, SingleTableMixin, FilterView):
    """A tab listing messages: filters, a table, pagination and a rows-per-page menu.

    Filters, sort (`sort`), page (`page`) and rows per page (`per_page`) are
    GET parameters, so that every state of the list has a URL.
    """

    # The table paginates; `paginate_by` stays unset so that ListView does not paginate again.
    table_pagination = {"per_page": DEFAULT_PER_PAGE, "paginator_class": ListPaginator}
    filtered_empty_text = _("No message matches these filters.")

    def get_table_kwargs(self):
        if self.filters_applied():
            return {"empty_text": self.filtered_empty_text}
        return {}

    def filters_applied(self) -> bool:
        return any(self.request.GET.get(name) for name in self.filterset.form.fields)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = context["table"]
        query = self.request.GET
        context.update(
            active_tab=self.active_tab,
            pagination=page_links(self.request, table.page),
            per_page_choices=PER_PAGE_CHOICES,
            per_page=table.paginator.per_page,
            per_page_kept=_params(query, lambda name: name not in _DROPPED_BY_PER_PAGE),
            filters_kept=_params(query, lambda name: name in _KEPT_BY_FILTERS),
        )
        return context


def _params(query, keep) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of `query` to repeat as hidden inputs of a GET form."""
    return [(name, value) for name, values in query.lists() if keep(name) for value in values]


class OutboxView(MessageListView):
    """The messages sent, or drafted, in the name of the user's structures and services."""

    template_name = "messaging/outbox.html"
    filterset_class = OutboxFilter
    table_class = OutboxTable
    active_tab = "outbox"

    def get_queryset(self):
        return Message.objects.for_user(self.request.user).select_related("sender")

    def get_table_data(self):
        return RowsByKey(super().get_table_data())


class MailboxView(MessageListView):
    """The sent messages displayed today to the user's structures, one row per message.

    The filters select among the user's deliveries. The table then shows each
    message they reach once, even when it reached several of the user's
    structures, or a structure and one of its services.
    """

    template_name = "messaging/mailbox.html"
    filterset_class = MailboxFilter
    table_class = MailboxTable
    active_tab = "mailbox"

    def get_queryset(self):
        self.mailbox = mailbox_of(self.request.user, timezone.localdate())
        return self.mailbox.deliveries

    def get_table_data(self):
        return ReceivedMessages(self.mailbox.filter(self.object_list))
