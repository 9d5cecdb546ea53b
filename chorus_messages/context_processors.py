"""Template context shared by every page."""

import functools
from datetime import datetime

from django.utils import timezone

from chorus_messages.views import PREVIOUS_LOGIN_SESSION_KEY
from messaging.models import Delivery


def previous_login(request):
    """Return the user's login before the current one, for the page header.

    `previous_login` is an aware datetime in the current time zone
    (Europe/Paris), or None. `is_first_login` is true when the user had never
    logged in before this session. Both are empty for sessions opened
    elsewhere, such as the admin login page.
    """
    user = getattr(request, "user", None)
    stored = request.session.get(PREVIOUS_LOGIN_SESSION_KEY) if user else None
    if not user or not user.is_authenticated or stored is None:
        return {"previous_login": None, "is_first_login": False}
    if stored == "":
        return {"previous_login": None, "is_first_login": True}
    return {
        "previous_login": timezone.localtime(datetime.fromisoformat(stored)),
        "is_first_login": False,
    }


def mailbox_unread_count(request):
    """Provide `mailbox_unread_count`: how many messages of the user's Mailbox are unread.

    The value is a callable that counts once per request and caches the result.
    Templates call it where they read it, so pages without the tab bar (admin,
    login) run no query for it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def count():
        unread = Delivery.objects.in_mailbox_of(user, timezone.localdate()).unread()
        return unread.values("message").distinct().count()

    return {"mailbox_unread_count": count}
