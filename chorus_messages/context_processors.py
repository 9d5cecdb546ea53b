"""Template context shared by every page."""

from datetime import datetime

from django.utils import timezone

from chorus_messages.views import PREVIOUS_LOGIN_SESSION_KEY


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
