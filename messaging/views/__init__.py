"""Views of the Mailbox and Outbox tabs, of writing messages and of choosing recipients.

One module per screen family; this package re-exports the views for urls.py.
"""

from messaging.views.compose import MessageCreateView, MessageDeleteView, MessageUpdateView
from messaging.views.detail import MessageDetailView
from messaging.views.lists import MailboxView, OutboxView
from messaging.views.recipients import RecipientSearchView, RecipientSuggestionsView

__all__ = [
    "MailboxView",
    "MessageCreateView",
    "MessageDeleteView",
    "MessageDetailView",
    "MessageUpdateView",
    "OutboxView",
    "RecipientSearchView",
    "RecipientSuggestionsView",
]
