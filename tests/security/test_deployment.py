"""The production profile: check --deploy, security headers, static files served by whitenoise.

The production profile is the environment documented in .env.example; these
tests read that file, so the documentation cannot drift from what passes.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests.security.conftest import BASE_DIR, french, production_environment, run_manage
from tests.test_pages import parse

pytestmark = pytest.mark.django_db


# ---------- check --deploy ----------


def test_production_profile_passes_check_deploy():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", environment=production_environment()
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"DEBUG": "1"}, "security.W018"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_COOKIES": "0"}, "security.W012"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SECRET_KEY": "court"}, "security.W009"),
    ],
)
def test_check_deploy_reports_weakened_profile(overrides, warning):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environment=production_environment(**overrides),
    )

    assert result.returncode != 0
    assert warning in result.stderr


def test_production_stores_passwords_with_pbkdf2():
    script = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


# ---------- Security headers ----------


def _pages(client, world):
    client.force_login(world.users["owner"])
    return {
        "mailbox": client.get(reverse("messaging:mailbox")),
        "outbox": client.get(reverse("messaging:outbox")),
        "new message": client.get(reverse("messaging:message-create")),
        "detail": client.get(reverse("messaging:message-detail", args=[world.sent.pk])),
        "lists": client.get(reverse("mailing_lists:list-index")),
        "not found": client.get("/messages/MSG_999999999/"),
        "suggestions": client.get(
            reverse("messaging:recipient-suggestions"), {"sender": world.owner.pk, "q": "1234"}
        ),
    }


def _assert_security_headers(response, name):
    policy = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy, name
    assert "script-src 'self'" in policy, name
    assert "frame-ancestors 'none'" in policy, name
    assert "unsafe-inline" not in policy, name
    assert "unsafe-eval" not in policy, name
    assert response["X-Frame-Options"] == "DENY", name
    assert response["X-Content-Type-Options"] == "nosniff", name
    assert response["Referrer-Policy"] == "same-origin", name
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", name


def test_every_page_sends_security_headers(client, world):
    pages = {"login": client.get(reverse("login")), **_pages(client, world)}
    client.force_login(world.users["admin"])
    pages["admin"] = client.get(reverse("admin:messaging_message_changelist"))

    for name, response in pages.items():
        _assert_security_headers(response, name)


def test_application_pages_have_no_inline_code(client, world):
    for name, response in _pages(client, world).items():
        if response["Content-Type"].startswith("text/html"):
            assert parse(response).inline_code == [], name


ADMIN_PAGES = [
    ("admin:index", None),
    ("admin:messaging_message_changelist", None),
    ("admin:messaging_message_change", "draft"),
    ("admin:structures_structure_change", "owner"),
    ("admin:mailing_lists_mailinglist_change", "mailing_list"),
    ("admin:auth_user_add", None),
]


def test_admin_pages_have_no_inline_code(client, world):
    client.force_login(world.users["admin"])

    for name, attribute in ADMIN_PAGES:
        args = [getattr(world, attribute).pk] if attribute else []
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert parse(response).inline_code == [], name


def test_error_pages_have_no_inline_code(client, world):
    client.force_login(world.users["stranger"])

    not_found = client.get(reverse("messaging:message-detail", args=[world.draft.pk]))

    assert parse(not_found).inline_code == []


def test_hsts_is_sent_over_https_when_configured(client):
    with override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        secure = client.get(reverse("login"), secure=True)
        plain = client.get(reverse("login"))

    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in plain


def test_no_hsts_without_configuration(client):
    response = client.get(reverse("login"), secure=True)

    assert settings.SECURE_HSTS_SECONDS == 0
    assert "Strict-Transport-Security" not in response


@override_settings(
    BEHIND_TLS_PROXY=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_proxy_https_header_makes_requests_secure(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        through_proxy = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
        plain = client.get(reverse("login"))

    assert through_proxy.status_code == 200
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")


def test_lockout_and_csrf_pages_in_french(client, world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    csrf = strict.post(reverse("login"), {"username": "x", "password": "y"})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        lockout = client.post(reverse("login"), {"username": "owner", "password": "faux"})

    for name, response in {"csrf": csrf, "lockout": lockout}.items():
        assert '<html lang="fr">' in response.content.decode(), name
        assert parse(response).inline_code == [], name
        _assert_security_headers(response, name)
    assert french("Login locked") in lockout.content.decode()


# ---------- Static files ----------

_FETCH_STATIC = """
import json, re, sys
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()


def fetch(path, **headers):
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "443", "HTTP_HOST": "127.0.0.1",
        "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http",
        "wsgi.input": sys.stdin.buffer, "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "wsgi.version": (1, 0), **headers,
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    body = b"".join(application(environ, start_response))
    answer["body"] = body.decode("latin-1")
    return answer


login = fetch("/connexion/")
stylesheet = re.search(r'href="(/static/css/main[^"]*)"', login["body"]).group(1)
print(json.dumps({
    "login": login["status"],
    "stylesheet": stylesheet,
    "css": fetch(stylesheet),
    "gzip": fetch(stylesheet, HTTP_ACCEPT_ENCODING="gzip")["headers"],
    "missing": fetch("/static/css/absent.css")["status"],
}))
"""


def test_whitenoise_serves_collected_static_files(tmp_path):
    environment = production_environment(
        STATIC_ROOT=str(tmp_path / "static"),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    )

    collected = run_manage("collectstatic", "--noinput", environment=environment)
    served = subprocess.run(
        [sys.executable, "-c", _FETCH_STATIC],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert collected.returncode == 0, collected.stderr
    assert served.returncode == 0, served.stderr
    answers = json.loads(served.stdout)
    assert answers["login"] == 200
    # The manifest storage names files after their content, so browsers may keep them for good.
    assert answers["stylesheet"] != "/static/css/main.css"
    assert answers["css"]["status"] == 200
    assert answers["css"]["headers"]["Content-Type"].startswith("text/css")
    assert "immutable" in answers["css"]["headers"]["Cache-Control"]
    assert answers["gzip"]["Content-Encoding"] == "gzip"
    assert answers["missing"] == 404
