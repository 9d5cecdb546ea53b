"""Tables of the Mailing lists tab and of the page of one list."""

import django_tables2 as tables
from django.db.models import F
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mailing_lists.models import MailingList, Member
from messaging.tables import TABLE_TEMPLATE, PrerenderedRowsMixin, action_link, action_list


class MailingListTable(PrerenderedRowsMixin, tables.Table):
    """The lists of the user's structures, sortable on every column with ties by creation."""

    caption = _("Mailing lists of your structures")
    name = tables.Column()
    owner_identifier = tables.Column(
        accessor="owner__identifier",
        verbose_name=_("Owner SIRET"),
        order_by=("owner__identifier", "pk"),
    )
    owner_designation = tables.Column(
        accessor="owner__designation",
        verbose_name=_("Designation"),
        order_by=("owner__designation", "pk"),
    )
    service_code = tables.Column(
        accessor="owner_service__code", verbose_name=_("Service code"), default="—"
    )
    service_label = tables.Column(
        accessor="owner_service__label", verbose_name=_("Service label"), default="—"
    )
    recipient_kind = tables.Column(order_by=("recipient_kind", "pk"))
    member_count = tables.Column(
        verbose_name=_("Number of recipients"),
        order_by=("member_count", "pk"),
        attrs={"td": {"class": "number"}},
    )
    actions = tables.Column(
        verbose_name=_("Actions"), accessor="pk", orderable=False, attrs={"td": {"class": "nowrap"}}
    )

    class Meta:
        model = MailingList
        fields = ()
        template_name = TABLE_TEMPLATE
        order_by = ("name",)
        empty_text = _("No mailing list yet.")
        attrs = {"class": "table"}

    def render_actions(self, record):
        def link(url_name, text, **options):
            url = reverse(url_name, args=[record.pk])
            return action_link(url, text, record.name, **options)

        return action_list(
            [
                link("mailing_lists:list-detail", _("View")),
                link("mailing_lists:list-update", _("Modify")),
                link("mailing_lists:list-delete", _("Delete"), css_class="link-button--danger"),
            ]
        )

    def cell_values(self, record) -> dict:
        service = record.owner_service
        return {
            "name": self.shown("name", record.name),
            "owner_identifier": self.shown("owner_identifier", record.owner.identifier),
            "owner_designation": self.shown("owner_designation", record.owner.designation),
            "service_code": self.shown("service_code", service.code if service else None),
            "service_label": self.shown("service_label", service.label if service else None),
            "recipient_kind": self.shown("recipient_kind", record.get_recipient_kind_display()),
            "member_count": record.member_count,
            "actions": self.render_actions(record),
        }

    # Names sort as people read them, "voirie" next to "Voirie".
    def order_name(self, queryset, is_descending):
        name = Lower("name").desc() if is_descending else Lower("name").asc()
        return queryset.order_by(name, "-pk" if is_descending else "pk"), True

    # Lists of the whole structure have no service: they sort after every
    # service, both ways, on SQLite and PostgreSQL alike.
    def order_service_code(self, queryset, is_descending):
        return _order_nulls_last(queryset, "owner_service__code", is_descending), True

    def order_service_label(self, queryset, is_descending):
        return _order_nulls_last(queryset, "owner_service__label", is_descending), True


def _order_nulls_last(queryset, name, is_descending):
    if is_descending:
        return queryset.order_by(F(name).desc(nulls_last=True), "-pk")
    return queryset.order_by(F(name).asc(nulls_last=True), "pk")


class MemberTable(tables.Table):
    """The recipients of one mailing list, on its page."""

    caption = _("Recipients of the list")
    identifier = tables.Column(accessor="structure__identifier", verbose_name=_("Identifier"))
    designation = tables.Column(accessor="structure__designation", verbose_name=_("Designation"))
    service = tables.Column(empty_values=(), verbose_name=_("Service"))
    postal_code = tables.Column(accessor="structure__postal_code", verbose_name=_("Postal code"))
    city = tables.Column(accessor="structure__city", verbose_name=_("City"))

    class Meta:
        model = Member
        fields = ()
        template_name = TABLE_TEMPLATE
        orderable = False
        empty_text = _("This list has no recipient.")
        attrs = {"class": "table"}

    def render_service(self, record):
        if record.service is None:
            return _("Whole structure")
        return str(record.service)
