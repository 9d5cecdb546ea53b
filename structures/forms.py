"""Forms of the structures app."""

from django import forms

from structures.models import IdentifierType, Structure
from structures.siret import normalize_siret, validate_typed_siret


class StructureAdminForm(forms.ModelForm):
    """Structure form of the admin: a SIRET typed by a person must pass the checksum.

    Directory imports keep real identifiers that fail the checksum, so an
    unchanged identifier of an existing structure is not checked again.
    """

    class Meta:
        model = Structure
        fields = [
            "identifier_type",
            "identifier",
            "designation",
            "is_public",
            "manages_services",
            "is_active",
            "address",
            "address_complement",
            "postal_code",
            "city",
            "country_code",
        ]

    def clean(self):
        cleaned = super().clean()
        identifier = cleaned.get("identifier")
        if identifier is None or cleaned.get("identifier_type") != IdentifierType.SIRET:
            return cleaned
        unchanged = self.instance.pk and normalize_siret(identifier) == self.instance.identifier
        if unchanged:
            cleaned["identifier"] = self.instance.identifier
            return cleaned
        try:
            cleaned["identifier"] = validate_typed_siret(identifier)
        except forms.ValidationError as error:
            self.add_error("identifier", error)
        return cleaned
