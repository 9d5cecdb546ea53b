"""Django admin for structures, services, invoices, partners and memberships."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from structures.forms import StructureAdminForm
from structures.models import Invoice, Membership, Partner, Service, Structure


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["code", "label", "is_active"]
    show_change_link = True


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    form = StructureAdminForm
    list_display = [
        "identifier",
        "identifier_type",
        "designation",
        "postal_code",
        "city",
        "is_public",
        "manages_services",
        "is_active",
    ]
    list_filter = ["is_public", "is_active", "manages_services", "identifier_type"]
    search_fields = ["identifier", "designation"]
    inlines = [ServiceInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "identifier_type",
                    "identifier",
                    "designation",
                    "is_public",
                    "manages_services",
                    "is_active",
                ]
            },
        ),
        (
            _("Address"),
            {"fields": ["address", "address_complement", "postal_code", "city", "country_code"]},
        ),
    ]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "structure", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "label", "structure__identifier", "structure__designation"]
    autocomplete_fields = ["structure"]
    list_select_related = ["structure"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "issued_on",
        "supplier",
        "supplier_service",
        "client",
        "client_service",
    ]
    list_filter = ["issued_on"]
    date_hierarchy = "issued_on"
    search_fields = [
        "number",
        "supplier__identifier",
        "supplier__designation",
        "client__identifier",
        "client__designation",
    ]
    autocomplete_fields = ["supplier", "supplier_service", "client", "client_service"]
    list_select_related = ["supplier", "supplier_service", "client", "client_service"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    """Read-only view of the relation derived from invoices."""

    list_display = ["structure", "kind", "partner", "partner_service"]
    list_filter = ["kind"]
    search_fields = [
        "structure__identifier",
        "structure__designation",
        "partner__identifier",
        "partner__designation",
    ]
    list_select_related = ["structure", "partner", "partner_service"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "structure", "service"]
    search_fields = [
        "user__username",
        "user__last_name",
        "structure__identifier",
        "structure__designation",
        "service__code",
    ]
    list_filter = [("service", admin.EmptyFieldListFilter)]
    autocomplete_fields = ["user", "structure", "service"]
    list_select_related = ["user", "structure", "service"]
