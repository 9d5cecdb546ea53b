"""Forms of the messaging app: writing a message, changing a sent one, finding recipients."""

from messaging.forms.compose import (
    DATE_INPUT_FORMATS,
    DEFAULT_DISPLAY_DAYS,
    MessageForm,
    SentMessageForm,
)
from messaging.forms.recipients import (
    SEARCH_LIMIT,
    SUGGESTION_LIMIT,
    SUGGESTION_MIN_LENGTH,
    Chip,
    RecipientChoiceForm,
    RecipientSearchForm,
    RecipientSearchQueryForm,
    RecipientsField,
    RecipientSuggestionForm,
    describe_recipient,
    parse_recipient_key,
    partner_rows,
    recipient_key,
)
from messaging.forms.scope import ScopedStructureMixin, SenderScope, ServiceSelect

__all__ = [
    "DATE_INPUT_FORMATS",
    "DEFAULT_DISPLAY_DAYS",
    "SEARCH_LIMIT",
    "SUGGESTION_LIMIT",
    "SUGGESTION_MIN_LENGTH",
    "Chip",
    "MessageForm",
    "RecipientChoiceForm",
    "RecipientSearchForm",
    "RecipientSearchQueryForm",
    "RecipientSuggestionForm",
    "RecipientsField",
    "ScopedStructureMixin",
    "SenderScope",
    "SentMessageForm",
    "ServiceSelect",
    "describe_recipient",
    "parse_recipient_key",
    "partner_rows",
    "recipient_key",
]
