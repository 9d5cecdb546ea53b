"""The form of the mailing-list pages: name, owner, recipient type and recipients."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from mailing_lists.models import MailingList
from messaging.forms import ScopedStructureMixin, SenderScope
from messaging.forms.recipients import RecipientChoiceForm, field_label, recipient_key

# The errors a page rebuilt by a button other than "save" shows: those of the recipient choice.
REBUILD_ERROR_FIELDS = ("recipients", "siret")


def duplicate_name_message() -> str:
    """Return the error of the constraint that names are unique per owner, ignoring case."""
    constraint = next(
        c for c in MailingList._meta.constraints if c.name == "mailing_list_name_unique"
    )
    return str(constraint.get_violation_error_message())


class MailingListForm(ScopedStructureMixin, RecipientChoiceForm):
    """A new or existing mailing list, its recipients chosen as for a message.

    The owner is one of the user's structures, and the owner service one the
    user may act for. The owner of an existing list cannot change: its name
    is unique for that owner and the messages using it were written for it.
    Unless `saving`, the form only rebuilds the page (a chip added or
    removed, a search), so that it shows the errors of the recipient choice
    alone. mailing_lists.editing.save_mailing_list checks the partner
    relation when saving.
    """

    structure_field = "owner"
    service_field = "owner_service"
    private_kind_help = _("The lists of a private structure always hold its customers.")
    service_missing_error = _("You act for a service of this structure: choose it.")
    service_mismatch_error = _(
        "This service does not belong to the owner structure, or you are not attached to it."
    )

    owner = forms.TypedChoiceField(coerce=int, label=field_label(MailingList, "owner"))
    owner_service = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=field_label(MailingList, "owner_service"),
        help_text=MailingList._meta.get_field("owner_service").help_text,
    )

    class Meta:
        model = MailingList
        fields = ["name", "owner", "owner_service", "recipient_kind"]
        widgets = {"recipient_kind": forms.RadioSelect}

    def __init__(self, *args, user, saving=False, **kwargs):
        self.saving = saving
        instance = kwargs.get("instance")
        current_service = instance.owner_service if instance and instance.owner_service_id else None
        self.scope = SenderScope(user, current_service)
        kwargs["initial"] = {**self._defaults(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.set_up_scope_fields()
        self.fields["owner"].disabled = self.instance.pk is not None
        # The model's rule reports a blank name ("The list name is required."), so
        # the field's own "This field is required." would repeat it.
        self.fields["name"].required = False

    def _defaults(self, instance):
        if instance is not None and instance.pk:
            members = instance.members.order_by("pk")
            return {"recipients": [recipient_key(m.structure_id, m.service_id) for m in members]}
        return self.scope_defaults()

    @property
    def owner_is_fixed(self) -> bool:
        return self.structure_is_fixed or self.instance.pk is not None

    @property
    def current_owner(self):
        """The owner shown as text when it cannot be chosen."""
        return self.instance.owner if self.instance.pk else self.fixed_structure

    @property
    def chosen_pairs(self) -> list[tuple[int, int | None]]:
        """The chosen recipients as (structure id, service id or None), for save_mailing_list."""
        return [chip.pair for chip in self.cleaned_data["recipients"]]

    def clean_owner(self):
        return self.clean_scope_structure()

    def clean_owner_service(self):
        return self.clean_scope_service()

    def clean(self):
        cleaned = super().clean()
        self.check_scope(cleaned)
        if self.saving and not cleaned.get("recipients") and "recipients" not in self.errors:
            self.add_error("recipients", _("Choose at least one recipient."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        self._move_duplicate_name_error()

    def full_clean(self):
        super().full_clean()
        if not self.saving and self._errors:
            for name in list(self._errors):
                if name not in REBUILD_ERROR_FIELDS:
                    del self._errors[name]

    def _move_duplicate_name_error(self):
        """Show the name uniqueness error, which Django reports for the whole form, by the name."""
        errors = self._errors.get(NON_FIELD_ERRORS)
        if not errors:
            return
        duplicate = duplicate_name_message()
        kept = [error for error in errors.as_data() if str(error.message) != duplicate]
        if len(kept) == len(errors):
            return
        if kept:
            self._errors[NON_FIELD_ERRORS] = self.error_class(kept, error_class="nonfield")
        else:
            del self._errors[NON_FIELD_ERRORS]
        self.add_error("name", duplicate)

    def add_save_errors(self, error: forms.ValidationError) -> None:
        """Show the errors of save_mailing_list next to their fields ("members": the recipients)."""
        for field, errors in error.error_dict.items():
            name = "recipients" if field == "members" else field
            self.add_error(name if name in self.fields else None, errors)
        self._move_duplicate_name_error()
