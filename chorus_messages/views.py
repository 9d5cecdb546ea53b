"""Login, logout and the lock-out page; the login keeps the previous one for the page header."""

import math
from http import HTTPStatus

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# Session key of the user's login before the current one: an ISO 8601 datetime,
# or "" when the current login is the first one.
PREVIOUS_LOGIN_SESSION_KEY = "previous_login"


class LoginView(auth_views.LoginView):
    """Django's login view, keeping the previous login date that login() overwrites."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        previous_login = form.get_user().last_login
        response = super().form_valid(form)
        # Stored after login() because login() flushes the session when another
        # user was logged in with it.
        self.request.session[PREVIOUS_LOGIN_SESSION_KEY] = (
            previous_login.isoformat() if previous_login else ""
        )
        return response


class LogoutView(auth_views.LogoutView):
    """Django's POST-only logout view, confirming the logout on the login page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are logged out."))
        return response


def lockout(request, original_response=None, credentials=None):
    """Render the page of a login locked by django-axes after too many failures."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(
        request,
        "registration/lockout.html",
        {"minutes": minutes},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
