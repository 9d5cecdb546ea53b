"""Filters of the Mailing lists tab, read from the GET parameters of the page."""

import django_filters
from django.utils.translation import gettext_lazy as _

from mailing_lists.models import MailingList
from structures.models import PartnerKind, Structure


class MailingListFilter(django_filters.FilterSet):
    """Combinable filters of the Mailing lists tab: owner structure and recipient type."""

    owner = django_filters.ModelChoiceFilter(
        queryset=lambda request: Structure.objects.for_user(request.user),
        empty_label=_("All my structures"),
    )
    recipient_kind = django_filters.ChoiceFilter(
        choices=PartnerKind.choices, empty_label=_("All recipient types")
    )

    class Meta:
        model = MailingList
        fields = ()
