"""Middleware: the language chosen by the user, and the page shown while the database is down."""

import logging
import threading
import time
from http import HTTPStatus

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying while the database is unavailable.
RETRY_AFTER_SECONDS = 30
LOG_INTERVAL_SECONDS = 60


class ChosenLanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware that ignores the browser's Accept-Language header.

    The portal's users work in French whatever their browser's language
    setting. English is an explicit choice, remembered in the language cookie
    by Django's set_language view.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if translation.check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class DatabaseUnavailableMiddleware:
    """Return a French 503 page when a view cannot reach the database.

    A refused, lost or timed-out connection raises OperationalError or
    InterfaceError in the view. Django opens a new connection for the next
    request (CONN_HEALTH_CHECKS), so the site recovers by itself once the
    database is back, without restarting the server. Errors outside views,
    such as saving the session after the view, still get the 500 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._lock = threading.Lock()
        self._failures = 0
        self._last_report = -LOG_INTERVAL_SECONDS

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        self._report(request, exception)
        # Rendered without the request: its context processors read the session from the database.
        response = HttpResponse(render_to_string("503.html"), status=HTTPStatus.SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def _report(self, request, exception):
        """Log the failure, at most once per LOG_INTERVAL_SECONDS with the count since the last."""
        now = time.monotonic()
        with self._lock:
            self._failures += 1
            if now - self._last_report < LOG_INTERVAL_SECONDS:
                return
            failures, self._failures, self._last_report = self._failures, 0, now
        logger.error(
            "Database unavailable: %s request(s) got a 503 response since the last report, "
            "the last one %s %s: %s",
            failures,
            request.method,
            request.path,
            exception,
        )
