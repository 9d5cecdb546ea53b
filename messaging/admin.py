"""Django admin for messages, their recipients and their history.

Administrators go through the same model rules as users: a sent message's
content is locked, drafts alone can be deleted, and recipients are added,
never removed.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from messaging.audit import describe_details
from messaging.models import Delivery, Message, MessageEvent, parse_reference


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    fields = ["at", "action", "actor", "summary"]
    readonly_fields = fields
    can_delete = False
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("details"))
    def summary(self, event):
        return describe_details(event.details) or "-"


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "sender",
        "status",
        "display_start",
        "display_end",
        "created_at",
    ]
    list_filter = ["status", "recipient_kind", "display_start"]
    search_fields = ["title", "sender__identifier", "sender__designation"]
    list_select_related = ["sender"]
    autocomplete_fields = ["sender", "sender_service"]
    readonly_fields = [
        "reference",
        "status",
        "created_at",
        "created_by",
        "updated_at",
        "sent_at",
        "sent_by",
    ]
    fields = [
        "reference",
        "sender",
        "sender_service",
        "recipient_kind",
        "all_recipients",
        "title",
        "body",
        "display_start",
        "display_end",
        *readonly_fields[1:],
    ]
    inlines = [MessageEventInline]
    show_full_result_count = False

    @admin.display(description=_("reference"), ordering="pk")
    def reference(self, message):
        return message.reference

    @admin.display(description=_("recipients"))
    def recipients_link(self, message):
        # A message may have 100,000 recipients: they are listed on their own paginated page.
        if not message.pk:
            return "-"
        url = reverse("admin:messaging_delivery_changelist") + f"?message__id__exact={message.pk}"
        count = message.deliveries.count()
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext("%(count)d recipient", "%(count)d recipients", count) % {"count": count},
        )

    def get_search_results(self, request, queryset, search_term):
        """Search by reference too: "MSG_000000184" finds message 184."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = parse_reference(search_term)
        if number is not None:
            queryset |= self.model.objects.filter(pk=number)
        return queryset, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        # A sent message keeps its content: only its display dates stay editable.
        if obj is not None and obj.is_sent:
            locked = [
                "sender",
                "sender_service",
                "recipient_kind",
                "all_recipients",
                "title",
                "body",
            ]
            return [*locked, *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        from messaging.audit import record_event

        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            record_event(
                obj, MessageEvent.Action.CREATED, by=request.user, details={"via": "admin"}
            )
        elif form.changed_data:
            details = {"via": "admin", "fields": form.changed_data}
            record_event(obj, MessageEvent.Action.MODIFIED, by=request.user, details=details)

    def delete_model(self, request, obj):
        from messaging.audit import record_event

        record_event(obj, MessageEvent.Action.DELETED, by=request.user, details={"via": "admin"})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for message in queryset:
            self.delete_model(request, message)


@admin.register(MessageEvent)
class MessageEventAdmin(admin.ModelAdmin):
    list_display = ["at", "message_reference", "action", "actor"]
    list_filter = ["action"]
    search_fields = ["message_reference", "actor__username"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Recipients are added through their message's rules, never edited or removed here."""

    def get_search_results(self, request, queryset, search_term):
        """Search by message reference too: "MSG_000000184" lists that message's recipients."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = parse_reference(search_term)
        if number is not None:
            queryset |= self.model.objects.filter(message_id=number)
        return queryset, may_have_duplicates

    list_display = ["message", "recipient", "recipient_service", "source", "added_at", "read_at"]
    list_filter = ["source"]
    search_fields = ["recipient__identifier", "recipient__designation"]
    list_select_related = ["message", "recipient", "recipient_service"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
