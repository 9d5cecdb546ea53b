"""Login throttling, sessions, CSRF on every POST, password rules and logout."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    validate_password,
)
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory
from tests.security.conftest import french, reverse_or_skip, row_counts
from tests.test_pages import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "mauvais-mot-de-passe"


@pytest.fixture
def user():
    return MembershipFactory(user__username="camille.martin").user


def _log_in(client, username, password, url=None, **extra):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, **extra
    )


def _fail(client, username, times, **extra):
    return [_log_in(client, username, WRONG, **extra) for _ in range(times)]


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# ---------- Failed-login throttling ----------


def test_failures_below_limit_only_show_form_error(client, user):
    responses = _fail(client, user.username, settings.AXES_FAILURE_LIMIT - 1)

    assert [response.status_code for response in responses] == [200] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert _log_in(client, user.username, PASSWORD).status_code == 302


def test_limit_of_failures_locks_login(client, user):
    responses = _fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    with_right_password = _log_in(client, user.username, PASSWORD)

    assert responses[-1].status_code == 429
    assert with_right_password.status_code == 429
    assert not _is_logged_in(client)


def test_lockout_page_says_when_to_retry(client, user):
    _fail(client, user.username, settings.AXES_FAILURE_LIMIT)

    response = _log_in(client, user.username, PASSWORD)

    content = response.content.decode()
    assert '<html lang="fr">' in content
    assert french("Login locked") in content
    assert "15" in content
    assert user.username not in content


def test_lockout_page_in_english_names_the_minutes(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _fail(client, user.username, settings.AXES_FAILURE_LIMIT)

    response = _log_in(client, user.username, PASSWORD)

    assert "Try again in 15 minutes" in response.content.decode()


def test_login_works_again_after_cool_off(client, user):
    _fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    past = timezone.now() - datetime.timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=past)

    response = _log_in(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_login_works_again_after_reset(client, user):
    _fail(client, user.username, settings.AXES_FAILURE_LIMIT)

    call_command("axes_reset_username", user.username, verbosity=0)
    response = _log_in(client, user.username, PASSWORD)

    assert response.status_code == 302


def test_lockout_is_per_user_name_and_address(client, user):
    _fail(client, user.username, settings.AXES_FAILURE_LIMIT, REMOTE_ADDR="10.0.0.1")

    other_address = _log_in(Client(), user.username, PASSWORD, REMOTE_ADDR="10.0.0.2")
    same_address = _log_in(Client(), user.username, PASSWORD, REMOTE_ADDR="10.0.0.1")

    assert other_address.status_code == 302
    assert same_address.status_code == 429


@override_settings(BEHIND_TLS_PROXY=True)
def test_behind_proxy_lockout_follows_forwarded_address(client, user):
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "9.9.9.9, 203.0.113.7"}
    _fail(client, user.username, settings.AXES_FAILURE_LIMIT, **attacker)

    # The attacker cannot escape by forging entries before the proxy's own.
    forged = _log_in(
        Client(), user.username, PASSWORD, **proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7"
    )
    colleague = _log_in(
        Client(), user.username, PASSWORD, **proxy, HTTP_X_FORWARDED_FOR="198.51.100.4"
    )

    assert forged.status_code == 429
    assert colleague.status_code == 302


def test_unknown_user_gets_same_error(client, user):
    unknown = _log_in(client, "personne.inconnue", WRONG)
    wrong = _log_in(Client(), user.username, WRONG)

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors


def test_unknown_user_names_are_throttled_too(client):
    responses = _fail(client, "personne.inconnue", settings.AXES_FAILURE_LIMIT)

    assert responses[-1].status_code == 429


def test_admin_login_is_throttled(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    url = reverse("admin:login")

    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _log_in(client, admin.username, WRONG, url=url)
    with_right_password = _log_in(client, admin.username, PASSWORD, url=url)

    assert response.status_code == 429
    assert with_right_password.status_code == 429


def test_inactive_user_cannot_log_in(client, user):
    user.is_active = False
    user.save()

    response = _log_in(client, user.username, PASSWORD)

    assert response.status_code == 200
    assert not _is_logged_in(client)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_refuses_foreign_next(client, user, target):
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:mailbox")


# ---------- Sessions ----------


def test_session_lasts_eight_hours_from_login(client, user):
    before = timezone.now()

    _log_in(client, user.username, PASSWORD)

    session = Session.objects.get(session_key=client.session.session_key)
    lifetime = session.expire_date - before
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert abs(lifetime.total_seconds() - settings.SESSION_COOKIE_AGE) < 60


def test_session_cookie_ends_with_the_browser(client, user):
    response = _log_in(client, user.username, PASSWORD)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_expired_session_sends_back_to_login(client, user):
    _log_in(client, user.username, PASSWORD)
    expired = timezone.now() - datetime.timedelta(seconds=1)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=expired)

    response = client.get(reverse("messaging:outbox"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@override_settings(SESSION_COOKIE_AGE=60)
def test_session_age_setting_is_honoured(client, user):
    before = timezone.now()

    _log_in(client, user.username, PASSWORD)

    session = Session.objects.get(session_key=client.session.session_key)
    assert abs((session.expire_date - before).total_seconds() - 60) < 10


def test_login_gives_a_new_session_key(client, user):
    client.get(reverse("login"))
    client.session["marker"] = "before login"
    client.session.save()
    key_before = client.session.session_key

    _log_in(client, user.username, PASSWORD)

    assert client.session.session_key != key_before


def test_logout_ends_the_session(client, user):
    _log_in(client, user.username, PASSWORD)
    key = client.session.session_key

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("messaging:outbox")).status_code == 302


def test_logout_refuses_get(client, user):
    _log_in(client, user.username, PASSWORD)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert _is_logged_in(client)
    assert client.get(reverse("messaging:outbox")).status_code == 200


# ---------- CSRF ----------


def _csrf_urls(world):
    return {
        "message-create": reverse("messaging:message-create"),
        "message-update": reverse("messaging:message-update", args=[world.draft.pk]),
        "message-delete": reverse("messaging:message-delete", args=[world.draft.pk]),
        "list-create": reverse_or_skip("mailing_lists:list-create"),
        "list-update": reverse_or_skip("mailing_lists:list-update", world.mailing_list.pk),
        "list-delete": reverse_or_skip("mailing_lists:list-delete", world.mailing_list.pk),
        "set-language": reverse("set_language"),
        "logout": reverse("logout"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "message-create",
        "message-update",
        "message-delete",
        "list-create",
        "list-update",
        "list-delete",
        "set-language",
        "logout",
    ],
)
def test_post_without_csrf_token_is_refused(world, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    before = row_counts()

    response = client.post(_csrf_urls(world)[name], {"action": "save", "title": "Forgé"})

    assert response.status_code == 403
    assert french("Form expired") in response.content.decode()
    assert '<html lang="fr">' in response.content.decode()
    assert row_counts() == before
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("name", ["login", "admin:login"])
def test_login_without_csrf_token_is_refused(user, name):
    client = Client(enforce_csrf_checks=True)

    response = _log_in(client, user.username, PASSWORD, url=reverse(name))

    assert response.status_code == 403
    assert french("Form expired") in response.content.decode()
    assert not _is_logged_in(client)


@pytest.mark.parametrize(
    "url_name",
    ["admin:messaging_message_changelist", "admin:structures_structure_add"],
)
def test_admin_post_without_csrf_token_is_refused(url_name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    before = row_counts()

    response = client.post(reverse(url_name), {"action": "delete_selected"})

    assert response.status_code == 403
    assert row_counts() == before


def test_post_with_the_page_csrf_token_is_accepted(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    url = reverse("messaging:message-delete", args=[world.draft.pk])
    client.get(url)

    response = client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == 302


def test_post_with_a_foreign_origin_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    url = reverse("messaging:message-delete", args=[world.draft.pk])
    client.get(url)
    token = client.cookies["csrftoken"].value

    response = client.post(url, {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 403


# ---------- Passwords ----------


def test_four_password_validators_are_active():
    names = {type(validator).__name__ for validator in get_default_password_validators()}

    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("court-2026", "au minimum 12 caractères"),
        ("123456789012345", "entièrement numérique"),
        ("qwertyuiop123", "trop courant"),
        ("camille.martin.2026", "trop semblable"),
    ],
)
def test_weak_passwords_are_rejected_in_french(user, password, message):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as error:
        validate_password(password, user)

    assert any(message in text for text in error.value.messages)


def test_long_passphrase_is_accepted(user):
    validate_password("trois chevaux boivent au lavoir", user)


def test_admin_refuses_weak_password_for_new_user(admin_client):
    users = UserFactory._meta.model.objects.count()

    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "nouvel.agent",
            "password1": "court-2026",
            "password2": "court-2026",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert "au minimum 12 caractères" in response.content.decode()
    assert UserFactory._meta.model.objects.count() == users
