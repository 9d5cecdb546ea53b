"""Tables of the Mailbox and Outbox tabs, and the paginators behind every list page."""

from dataclasses import dataclass

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableData, TableQuerysetData

from messaging.audit import describe_details
from messaging.models import Delivery, Message, MessageEvent

PER_PAGE_CHOICES = (5, 10, 20, 50)
DEFAULT_PER_PAGE = 20
EXCERPT_LENGTH = 100
# Dates read DD/MM/YYYY in both languages, like the date inputs of the filters.
DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
TABLE_TEMPLATE = "django_tables2/chorus_table.html"


class LenientPaginator(Paginator):
    """A paginator that serves the nearest existing page for any number, and page 1 for text.

    Page numbers come from URLs that users edit, bookmark and share: page 0,
    -1 or one past the end shows the first or the last page instead of an error.
    """

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError, OverflowError):
            return 1
        return min(max(number, 1), self.num_pages)


class ListPaginator(LenientPaginator):
    """A lenient paginator that accepts only the page sizes offered by the "rows per page" menu."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        if per_page not in PER_PAGE_CHOICES:
            per_page = DEFAULT_PER_PAGE
        super().__init__(object_list, per_page, *args, **kwargs)


class RowsByKey(TableQuerysetData):
    """Queryset data whose pages select their primary keys first, then their rows.

    One statement: the rows whose key is among those of the sorted, sliced
    keys. Sorting and skipping rows then run on the keys alone, which a
    covering index serves without reading the table (the Outbox of a sender
    with 20,000 messages, the 100,000 recipients of a message). Only the
    page's rows are read.
    """

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        return list(self.data.filter(pk__in=self._page_keys(key)))

    def _page_keys(self, key):
        """Return the keys of slice `key`, read from the nearer end of the sort order.

        The last page of 100,000 recipients would otherwise skip 99,950 index
        entries. Read in reverse order, the same keys are the first 50. Every
        sort of these tables ends with the primary key, so the reverse order
        is exactly the order read backwards, NULLs included.
        """
        keys = self.data.values("pk")
        # The paginator has counted the rows by now. Without a count, read forwards.
        count = getattr(self, "_length", None)
        if count is None or key.step not in (None, 1):
            return keys[key]
        start, stop, _ = key.indices(count)
        if start <= count // 2 or start >= stop:
            return keys[key]
        return keys.reverse()[count - stop : count - start]


class ReceivedMessages(TableData):
    """The rows of the Mailbox: the messages of a Mailbox's deliveries, once each, newest first.

    Counting and paging read the deliveries only, which one index serves at
    national scale. Then only the messages of the requested page are loaded,
    each with `received_on` and `is_unread` set from its deliveries.
    """

    def __init__(self, mailbox):
        super().__init__(mailbox.deliveries)
        self.mailbox = mailbox
        self._count = None

    @property
    def model(self):
        return Message

    def __len__(self):
        if self._count is None:
            self._count = self.mailbox.message_count()
        return self._count

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        rows = list(self.mailbox.by_message()[key])
        messages = Message.objects.select_related("sender").in_bulk(
            [row["message_id"] for row in rows]
        )
        page = []
        for row in rows:
            message = messages[row["message_id"]]
            message.received_on = row["first_received_on"]
            message.is_unread = row["unread"] > 0
            page.append(message)
        return page

    def __iter__(self):
        return iter(self[:])

    def order_by(self, aliases):
        """Keep the Mailbox order, newest reception first, whatever `sort` the URL requests."""


@dataclass(frozen=True)
class PageLink:
    """One item of a pagination bar: a page number with its URL, or a gap (number None)."""

    number: int | None
    url: str = ""
    is_current: bool = False


def page_links(request, page, param="page") -> dict:
    """Return the links of a pagination bar for `page`, keeping the other GET parameters."""

    def url(number):
        query = request.GET.copy()
        query[param] = number
        return f"?{query.urlencode()}"

    items = [
        PageLink(None)
        if number == Paginator.ELLIPSIS
        else PageLink(number, url(number), number == page.number)
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2)
    ]
    return {
        "items": items,
        "previous_url": url(page.number - 1) if page.has_previous() else "",
        "next_url": url(page.number + 1) if page.has_next() else "",
    }


def action_link(url, text, hidden_name, *, css_class=""):
    """Return a link to one action of a list row, named for screen readers by `hidden_name`.

    Written in Python rather than a template because each row of a list has
    one to three of them. The hidden name (a message reference, a list name)
    gives every link of a page a name of its own.
    """
    class_attribute = format_html(' class="{}"', css_class) if css_class else ""
    return format_html(
        '<a{} href="{}">{}<span class="visually-hidden"> {}</span></a>',
        class_attribute,
        url,
        text,
        hidden_name,
    )


def action_list(links) -> str:
    """Return `links` as the items of a list of row actions."""
    items = format_html_join("", "<li>{}</li>", ((link,) for link in links))
    return format_html('<ul class="actions">{}</ul>', items)


def _day(value) -> str:
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return format_date(value, DATE_FORMAT)


class _PageRow:
    """A row of a page: its record and its `<tr>` element, rendered."""

    __slots__ = ("html", "record")

    def __init__(self, record, html):
        self.record, self.html = record, html


class PrerenderedRowsMixin:
    """Render the rows of a page in Python with the table's `cell_values(record)`, in one pass.

    django-tables2 inspects the signature of a render method and recomputes
    the column's attributes for every cell, about 50 µs apiece, and the
    template engine then resolves each cell's variables again: with 9 columns
    and 50 rows, most of a list page's time. `cell_values` returns, per
    column name, what its render method would, and values are escaped as the
    template escapes them. The table template writes `row.html` when a row
    has one, and the HTML equals django-tables2's but for the whitespace
    between tags, which a test compares.
    """

    @property
    def paginated_rows(self):
        columns = [(column.name, column.attrs["td"].as_html()) for column in self.columns]
        rows = []
        for bound_row in super().paginated_rows:
            values = self.cell_values(bound_row.record)
            cells = [format_html("<td {}>{}</td>", attrs, values[name]) for name, attrs in columns]
            html = format_html(
                "<tr {}>{}</tr>", bound_row.attrs.as_html(), mark_safe("".join(cells))
            )
            rows.append(_PageRow(bound_row.record, html))
        return rows

    def shown(self, name, value):
        """Return `value`, or the column's default when django-tables2 would show that instead."""
        column = self.columns[name]
        return column.default if value in column.column.empty_values else value


class OutboxTable(PrerenderedRowsMixin, tables.Table):
    """The messages of the user's structures, sortable on every column with ties by reference."""

    caption = _("Messages of your structures")
    reference = tables.Column(verbose_name=_("Reference"), order_by=("pk",))
    created_at = tables.Column(order_by=("created_at", "pk"))
    sender_identifier = tables.Column(
        accessor="sender__identifier",
        verbose_name=_("Sender SIRET"),
        order_by=("sender__identifier", "pk"),
    )
    sender_designation = tables.Column(
        accessor="sender__designation", order_by=("sender__designation", "pk")
    )
    title = tables.Column(order_by=("title", "pk"))
    display_start = tables.Column(verbose_name=_("Start date"), empty_values=())
    display_end = tables.Column(verbose_name=_("End date"), empty_values=())
    status = tables.Column(order_by=("status", "pk"))
    actions = tables.Column(
        verbose_name=_("Actions"), accessor="pk", orderable=False, attrs={"td": {"class": "nowrap"}}
    )

    class Meta:
        model = Message
        fields = ()
        template_name = TABLE_TEMPLATE
        order_by = ("-reference",)
        empty_text = _("No message yet.")
        attrs = {"class": "table"}

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def render_created_at(self, value):
        return _day(value)

    def render_display_start(self, value):
        return _day(value)

    def render_display_end(self, value):
        return _day(value)

    def render_status(self, record):
        return format_html(
            '<span class="status status--{}">{}</span>', record.status, record.get_status_display()
        )

    def render_actions(self, record):
        def link(url_name, text, **options):
            url = reverse(url_name, args=[record.pk])
            return action_link(url, text, record.reference, **options)

        links = [link("messaging:message-detail", _("View"))]
        if not record.is_expired(self.today):
            links.append(link("messaging:message-update", _("Modify")))
        if record.is_draft:
            links.append(
                link("messaging:message-delete", _("Delete"), css_class="link-button--danger")
            )
        return action_list(links)

    def cell_values(self, record) -> dict:
        return {
            "reference": record.reference,
            "created_at": self.render_created_at(record.created_at),
            "sender_identifier": self.shown("sender_identifier", record.sender.identifier),
            "sender_designation": self.shown("sender_designation", record.sender.designation),
            "title": self.shown("title", record.title),
            "display_start": self.render_display_start(record.display_start),
            "display_end": self.render_display_end(record.display_end),
            "status": self.render_status(record),
            "actions": self.render_actions(record),
        }

    # Drafts may have no display dates: they sort after every date, both ways,
    # on SQLite and PostgreSQL alike (their default places for NULL differ).
    def order_display_start(self, queryset, is_descending):
        return _order_nulls_last(queryset, "display_start", is_descending), True

    def order_display_end(self, queryset, is_descending):
        return _order_nulls_last(queryset, "display_end", is_descending), True


def _order_nulls_last(queryset, name, is_descending):
    if is_descending:
        return queryset.order_by(F(name).desc(nulls_last=True), "-pk")
    return queryset.order_by(F(name).asc(nulls_last=True), "pk")


class MailboxTable(PrerenderedRowsMixin, tables.Table):
    """The messages displayed today to the user's structures, newest first, unread ones in bold."""

    caption = _("Messages received by your structures")
    received_on = tables.Column(verbose_name=_("Reception date"), attrs={"td": {"class": "nowrap"}})
    title = tables.Column()
    sender = tables.Column()
    reference = tables.Column(verbose_name=_("Reference"), attrs={"td": {"class": "nowrap"}})
    body = tables.Column(attrs={"td": {"class": "excerpt"}})
    view = tables.Column(
        verbose_name=_("Actions"), accessor="pk", attrs={"td": {"class": "nowrap"}}
    )

    class Meta:
        model = Message
        fields = ()
        template_name = TABLE_TEMPLATE
        orderable = False
        empty_text = _("No message is displayed to your structures today.")
        attrs = {"class": "table"}
        row_attrs = {"class": lambda record: "is-unread" if record.is_unread else None}

    def render_received_on(self, value):
        return _day(value)

    def render_title(self, record):
        if record.is_unread:
            hidden = '{} <span class="visually-hidden">{}</span>'
            return format_html(hidden, record.title, _("unread"))
        return record.title

    def render_sender(self, value):
        return format_html(
            '<span class="nowrap">{}</span><br>{}', value.identifier, value.designation
        )

    def render_body(self, value):
        return Truncator(" ".join(value.split())).chars(EXCERPT_LENGTH)

    def render_view(self, record):
        url = reverse("messaging:message-detail", args=[record.pk])
        return action_link(url, _("View"), record.reference)

    def cell_values(self, record) -> dict:
        return {
            "received_on": self.render_received_on(record.received_on),
            "title": self.shown("title", self.render_title(record)),
            "sender": self.render_sender(record.sender),
            "reference": record.reference,
            "body": self.render_body(record.body),
            "view": self.render_view(record),
        }


class RecipientTable(PrerenderedRowsMixin, tables.Table):
    """The recipients of one message, on its detail page, for the sender side."""

    caption = _("Recipients")
    identifier = tables.Column(accessor="recipient__identifier")
    designation = tables.Column(accessor="recipient__designation")
    service_code = tables.Column(accessor="recipient_service__code", default="—")
    source = tables.Column()
    added_at = tables.Column()

    class Meta:
        model = Delivery
        fields = ()
        template_name = TABLE_TEMPLATE
        orderable = False
        empty_text = _("No recipient chosen yet.")
        attrs = {"class": "table"}

    def render_added_at(self, value):
        return format_date(timezone.localtime(value), DATETIME_FORMAT)

    def cell_values(self, record) -> dict:
        service = record.recipient_service
        return {
            "identifier": self.shown("identifier", record.recipient.identifier),
            "designation": self.shown("designation", record.recipient.designation),
            "service_code": self.shown("service_code", service.code if service else None),
            "source": self.shown("source", record.get_source_display()),
            "added_at": self.render_added_at(record.added_at),
        }


class HistoryTable(tables.Table):
    """The audit trail of one message, oldest entry first, for the sender side."""

    caption = _("History")
    at = tables.Column()
    action = tables.Column()
    actor = tables.Column(default="—")
    details = tables.Column(empty_values=())

    class Meta:
        model = MessageEvent
        fields = ()
        template_name = TABLE_TEMPLATE
        orderable = False
        attrs = {"class": "table"}

    def render_at(self, value):
        return format_date(timezone.localtime(value), DATETIME_FORMAT)

    def render_actor(self, value):
        return value.get_full_name() or value.get_username()

    def render_details(self, value):
        return describe_details(value) or "—"
