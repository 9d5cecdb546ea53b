"""Rules of mailing lists, shared by forms, admin and domain functions."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from structures.models import PartnerKind


def check_mailing_list(mailing_list) -> None:
    """Raise ValidationError when the list's own fields contradict each other."""
    errors = {}
    if not mailing_list.name.strip():
        errors["name"] = _("The list name is required.")
    service = mailing_list.owner_service if mailing_list.owner_service_id else None
    if service and mailing_list.owner_id and service.structure_id != mailing_list.owner_id:
        errors["owner_service"] = _("This service does not belong to the owner structure.")
    private_owner = mailing_list.owner_id and not mailing_list.owner.is_public
    if private_owner and mailing_list.recipient_kind != PartnerKind.CUSTOMERS:
        errors["recipient_kind"] = _("A private structure's lists can only hold its customers.")
    if errors:
        raise ValidationError(errors)
