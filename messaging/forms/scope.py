"""Choosing the structure a form acts for, and one of its services, among the user's scopes.

The message form chooses its sender this way and the mailing-list form its
owner: the same attachments decide what a user may write for and own.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.forms.recipients import LABEL_SEPARATOR, describe_recipient
from messaging.widgets import LargeSelect
from structures.access import scopes_of
from structures.models import PartnerKind, Service, Structure


class SenderScope:
    """The structures a user may write for, and the sender services allowed for each.

    A user attached to a whole structure may write as the structure (no
    service) or as any of its active services. A user restricted to services
    writes as one of those services only.
    """

    def __init__(self, user, current_service=None):
        self.structures: dict[int, Structure] = {}
        self.whole: set[int] = set()
        self.services: dict[int, list[Service]] = {}
        for scope in scopes_of(user):
            structure_id = scope.structure.pk
            self.structures.setdefault(structure_id, scope.structure)
            self.services.setdefault(structure_id, [])
            if scope.is_whole_structure:
                self.whole.add(structure_id)
            else:
                self.services[structure_id].append(scope.service)
        self._add_active_services(current_service)

    def _add_active_services(self, current_service):
        if not self.whole:
            return
        services = Service.objects.filter(structure_id__in=self.whole, is_active=True)
        for service in services.order_by("code"):
            self.services[service.structure_id].append(service)
        # A draft keeps the service it was written for, even if deactivated since.
        if current_service is None or current_service.is_active:
            return
        if current_service.structure_id in self.whole:
            self.services[current_service.structure_id].append(current_service)

    def service(self, service_id) -> Service | None:
        """Return the sender service `service_id` among those offered, or None."""
        for services in self.services.values():
            for service in services:
                if service.pk == service_id:
                    return service
        return None

    def allows(self, structure_id, service_id) -> bool:
        """Return whether the user may write as this structure and service (None: no service)."""
        if service_id is None:
            return structure_id in self.whole
        return any(service.pk == service_id for service in self.services.get(structure_id, []))

    @property
    def public_ids(self) -> list[int]:
        return [pk for pk, structure in self.structures.items() if structure.is_public]

    def service_choices(self):
        """Return the sender service choices, grouped by structure designation."""
        choices = []
        if self.whole:
            choices.append(("", _("Whole structure (no service)")))
        for structure_id, services in self.services.items():
            if services:
                options = [(service.pk, _service_label(service)) for service in services]
                choices.append((self.structures[structure_id].designation, options))
        return choices


def _service_label(service) -> str:
    return LABEL_SEPARATOR.join(filter(None, [service.code, service.label]))


class ServiceSelect(LargeSelect):
    """A select whose options tell their structure, so that the script can filter them.

    A ministry has about 1,000 services, hence a LargeSelect.
    """

    def __init__(self, *args, structure_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.structure_of = structure_of or {}

    def option_attrs(self, value):
        structure_id = self.structure_of.get(value)
        return {} if structure_id is None else {"data-structure": structure_id}


class ScopedStructureMixin:
    """A structure field and a service field whose choices are the user's scopes.

    A form names its two fields in `structure_field` and `service_field`,
    sets `self.scope` (a SenderScope) and calls `set_up_scope_fields()`. Its
    `clean_<field>` methods return `clean_scope_structure()` and
    `clean_scope_service()`, and its `clean()` calls `check_scope()`.
    """

    structure_field = "sender"
    service_field = "sender_service"
    private_kind_help = _("A private structure always writes to its customers.")
    service_missing_error = _("You write for a service of this structure: choose it.")
    service_mismatch_error = _(
        "This service does not belong to the sender structure, or you are not attached to it."
    )

    def set_up_scope_fields(self):
        structure = self.fields[self.structure_field]
        structure.choices = [
            (pk, describe_recipient(item)) for pk, item in self.scope.structures.items()
        ]
        structure_of = {
            str(service.pk): structure_id
            for structure_id, services in self.scope.services.items()
            for service in services
        }
        service = self.fields[self.service_field]
        service.widget = ServiceSelect(structure_of=structure_of)
        service.choices = self.scope.service_choices()
        if not self.scope.public_ids:
            # Private structures always address their customers: nothing to choose.
            self.fields["recipient_kind"].widget = forms.HiddenInput()
        elif len(self.scope.public_ids) < len(self.scope.structures):
            self.fields["recipient_kind"].help_text = self.private_kind_help

    def scope_defaults(self) -> dict:
        """Return the initial structure, service and recipient type of a new record.

        The user's first structure is chosen, with its first service when the
        user is restricted to services.
        """
        first = next(iter(self.scope.structures.values()), None)
        if first is None:
            return {"recipient_kind": PartnerKind.CUSTOMERS}
        # Public bodies mostly write to their suppliers.
        kind = PartnerKind.SUPPLIERS if first.is_public else PartnerKind.CUSTOMERS
        defaults = {self.structure_field: first.pk, "recipient_kind": kind}
        services = self.scope.services[first.pk]
        if first.pk not in self.scope.whole and services:
            defaults[self.service_field] = services[0].pk
        return defaults

    @property
    def structure_is_fixed(self) -> bool:
        return len(self.scope.structures) == 1

    @property
    def service_is_fixed(self) -> bool:
        """Whether the user has exactly one choice of service, or none to make."""
        if not self.structure_is_fixed:
            return False
        structure_id = next(iter(self.scope.structures))
        options = len(self.scope.services[structure_id]) + (structure_id in self.scope.whole)
        return options <= 1

    @property
    def fixed_structure(self):
        return next(iter(self.scope.structures.values()), None)

    @property
    def fixed_service(self):
        if not self.service_is_fixed:
            return None
        structure_id = next(iter(self.scope.structures))
        services = self.scope.services[structure_id]
        return services[0] if services and structure_id not in self.scope.whole else None

    @property
    def kind_is_shown(self) -> bool:
        return bool(self.scope.public_ids)

    @property
    def public_structure_ids(self) -> str:
        return " ".join(str(pk) for pk in self.scope.public_ids)

    @property
    def whole_structure_ids(self) -> str:
        return " ".join(str(pk) for pk in sorted(self.scope.whole))

    def clean_scope_structure(self):
        return self.scope.structures[self.cleaned_data[self.structure_field]]

    def clean_scope_service(self):
        service_id = self.cleaned_data[self.service_field]
        if service_id is None:
            return None
        return self.scope.service(service_id)

    def check_scope(self, cleaned) -> None:
        """Add an error when the user may not act for the chosen structure and service."""
        structure = cleaned.get(self.structure_field)
        if structure is None or self.service_field not in cleaned:
            return
        service = cleaned[self.service_field]
        if not self.scope.allows(structure.pk, service.pk if service else None):
            missing = service is None
            error = self.service_missing_error if missing else self.service_mismatch_error
            self.add_error(self.service_field, error)

    def recipient_context(self):
        """Return (structure, recipient kind) from the cleaned fields, or (None, None)."""
        structure = self.cleaned_data.get(self.structure_field)
        if structure is None:
            return None, None
        kind = self.cleaned_data.get("recipient_kind")
        if not structure.is_public or kind not in PartnerKind.values:
            kind = PartnerKind.CUSTOMERS
        return structure, kind
