"""Django admin for mailing lists and their recipients."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from mailing_lists.editing import check_members
from mailing_lists.models import MailingList, Member


class MemberFormSet(BaseInlineFormSet):
    """Recipients added in the admin must be partners of the owner, as in the screens."""

    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.owner_id:
            return
        pairs = [
            (
                form.cleaned_data["structure"].pk,
                getattr(form.cleaned_data.get("service"), "pk", None),
            )
            for form in self.forms
            if form.cleaned_data.get("structure") and not form.cleaned_data.get("DELETE")
        ]
        if not pairs:
            raise ValidationError(_("Choose at least one recipient."))
        try:
            check_members(self.instance, pairs)
        except ValidationError as error:
            raise ValidationError(error.message_dict["members"]) from None


class MemberInline(admin.TabularInline):
    model = Member
    formset = MemberFormSet
    extra = 0
    fields = ["structure", "service", "added_at"]
    readonly_fields = ["added_at"]
    autocomplete_fields = ["structure", "service"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("structure", "service")


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "owner_service", "recipient_kind", "updated_at"]
    list_filter = ["recipient_kind"]
    search_fields = ["name", "owner__identifier", "owner__designation"]
    list_select_related = ["owner", "owner_service"]
    autocomplete_fields = ["owner", "owner_service"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    inlines = [MemberInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
