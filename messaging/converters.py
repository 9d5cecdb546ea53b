"""URL converter for message references: MSG_000000184 in the URL, 184 in the view."""

from messaging.models import format_reference


class ReferenceConverter:
    regex = r"MSG_[0-9]{9}"

    def to_python(self, value: str) -> int:
        return int(value.removeprefix("MSG_"))

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else format_reference(int(value))
