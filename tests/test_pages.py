"""The page frame: login, logout, header, tab bar, language switch and the CSP-safe markup."""

import datetime
import html
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

PASSWORD = "motdepasse-demo-2026"  # the password of UserFactory
PARIS = ZoneInfo("Europe/Paris")
TAB_URLS = {
    "mailbox": "messaging:mailbox",
    "outbox": "messaging:outbox",
    "lists": "mailing_lists:list-index",
}

pytestmark = pytest.mark.django_db


class PageParser(HTMLParser):
    """Collect what the tests check in a page: tab links, headings, inline code."""

    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.current_links = []
        self.headings = {"h1": [], "h2": []}
        self.inline_code = []
        self._open_heading = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "a" and attributes.get("aria-current") == "page":
            self.current_links.append(attributes.get("href"))
        if tag in self.headings:
            self._open_heading = tag
            self.headings[tag].append("")
        self._collect_inline_code(tag, attributes)

    def handle_endtag(self, tag):
        if tag == self._open_heading:
            self._open_heading = None

    def handle_data(self, data):
        if self._open_heading:
            self.headings[self._open_heading][-1] += data.strip()

    def _collect_inline_code(self, tag, attributes):
        if tag == "script" and not attributes.get("src"):
            self.inline_code.append("<script> without src")
        if tag == "style":
            self.inline_code.append("<style> element")
        for name, value in attributes.items():
            if name == "style":
                self.inline_code.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.inline_code.append(f"{name} handler on <{tag}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.inline_code.append(f"javascript: URL in {name} of <{tag}>")


def parse(response):
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def log_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **extra)


@pytest.fixture
def user():
    return MembershipFactory(user__first_name="Camille", user__last_name="Durand").user


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


# Login and logout


def test_login_page_renders(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    page = parse(response)
    assert page.html_lang == "fr"
    assert len(page.headings["h1"]) == 1
    assert 'name="username"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_login_redirects_to_mailbox(client, user):
    response = log_in(client, user)

    assert response.status_code == 302
    assert response.url == reverse("messaging:mailbox")


def test_wrong_password_shows_error(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})

    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert "_auth_user_id" not in client.session


def test_login_follows_next(client, user):
    outbox = reverse("messaging:outbox")
    response = client.post(
        f"{reverse('login')}?next={outbox}",
        {"username": user.username, "password": PASSWORD, "next": outbox},
    )

    assert response.url == outbox


def test_header_shows_user_full_name(logged_in_client):
    response = logged_in_client.get(reverse("messaging:mailbox"))

    assert "Camille Durand" in response.text


def test_header_shows_username_without_full_name(client):
    user = UserFactory(username="jdupont", first_name="", last_name="")
    client.force_login(user)

    response = client.get(reverse("messaging:mailbox"))

    assert "jdupont" in response.text


def test_header_shows_previous_login_not_current(client, user):
    # 13:18:47 UTC is 14:18:47 in Paris in winter (UTC+1).
    user.last_login = datetime.datetime(2020, 1, 29, 13, 18, 47, tzinfo=datetime.UTC)
    user.save(update_fields=["last_login"])

    log_in(client, user)
    response = client.get(reverse("messaging:mailbox"))

    user.refresh_from_db()
    assert user.last_login.date() != datetime.date(2020, 1, 29)
    assert "Dernière connexion le 29/01/2020 à 14:18:47" in response.text


def test_header_shows_summer_time_in_paris(client, user):
    # 13:18:47 UTC is 15:18:47 in Paris in summer (UTC+2).
    user.last_login = datetime.datetime(2020, 7, 1, 13, 18, 47, tzinfo=datetime.UTC)
    user.save(update_fields=["last_login"])

    log_in(client, user)
    response = client.get(reverse("messaging:mailbox"))

    assert "01/07/2020" in response.text
    assert "15:18:47" in response.text


def test_header_shows_first_login(client, user):
    assert user.last_login is None

    log_in(client, user)
    response = client.get(reverse("messaging:mailbox"))

    assert "Première connexion" in response.text


def test_second_login_shows_first_login_date(client, user):
    log_in(client, user)
    user.refresh_from_db()
    first_login = user.last_login.astimezone(PARIS)
    client.post(reverse("logout"))

    log_in(client, user)
    response = client.get(reverse("messaging:mailbox"))

    assert first_login.strftime("%d/%m/%Y") in response.text
    assert first_login.strftime("%H:%M:%S") in response.text


def test_forced_login_shows_no_login_date(logged_in_client):
    # force_login() skips our login view, as a login through the admin site does.
    response = logged_in_client.get(reverse("messaging:mailbox"))

    assert "user-block__login" not in response.text


def test_logout_on_post_logs_out(logged_in_client):
    response = logged_in_client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in logged_in_client.session


def test_logout_shows_confirmation(logged_in_client):
    response = logged_in_client.post(reverse("logout"), follow=True)

    assert 'class="alert alert--success"' in response.text


def test_logout_on_get_is_rejected(logged_in_client):
    response = logged_in_client.get(reverse("logout"))

    assert response.status_code == 405
    assert logged_in_client.get(reverse("messaging:mailbox")).status_code == 200


def test_header_has_logout_form(logged_in_client):
    response = logged_in_client.get(reverse("messaging:mailbox"))

    assert f'method="post" action="{reverse("logout")}"' in response.text


def test_login_page_redirects_logged_in_user(logged_in_client):
    response = logged_in_client.get(reverse("login"))

    assert response.status_code == 302
    assert response.url == reverse("messaging:mailbox")


# Tabs


@pytest.mark.parametrize("url_name", TAB_URLS.values())
def test_tab_requires_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url_name", TAB_URLS.values())
def test_tab_marks_itself_current(logged_in_client, url_name):
    response = logged_in_client.get(reverse(url_name))

    assert response.status_code == 200
    assert parse(response).current_links == [reverse(url_name)]


@pytest.mark.parametrize("url_name", TAB_URLS.values())
def test_tab_links_to_every_tab(logged_in_client, url_name):
    response = logged_in_client.get(reverse(url_name))

    for other in TAB_URLS.values():
        assert f'href="{reverse(other)}"' in response.text


@pytest.mark.parametrize(
    ("url_name", "tab_title"),
    [
        ("messaging:mailbox", "Boîte de réception"),
        ("messaging:outbox", "Boîte d'envoi"),
        ("mailing_lists:list-index", "Listes de diffusion"),
    ],
)
def test_tab_headings_in_french(logged_in_client, url_name, tab_title):
    page = parse(logged_in_client.get(reverse(url_name)))

    assert page.headings["h1"] == ["Mes messages"]
    assert page.headings["h2"] == [tab_title]


def test_tab_has_skip_link_to_main(logged_in_client):
    response = logged_in_client.get(reverse("messaging:mailbox"))

    assert 'href="#content"' in response.text
    assert '<main id="content"' in response.text


def test_mailbox_tab_shows_unread_count():
    html = render_to_string(
        "messaging/_tabs.html", {"active_tab": "mailbox", "mailbox_unread_count": 3}
    )

    assert 'class="tabs__count"' in html
    assert ">3<" in html


# Language switch


def switch_language(client, language, next_url):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_language_switch_returns_to_page(logged_in_client):
    outbox = reverse("messaging:outbox")

    response = switch_language(logged_in_client, "en", outbox)

    assert response.status_code == 302
    assert response.url == outbox


def test_language_switch_sets_page_language(logged_in_client):
    switch_language(logged_in_client, "en", reverse("messaging:outbox"))

    page = parse(logged_in_client.get(reverse("messaging:outbox")))

    assert page.html_lang == "en"


def test_language_switch_back_to_french(logged_in_client):
    switch_language(logged_in_client, "en", "/")
    switch_language(logged_in_client, "fr", "/")

    page = parse(logged_in_client.get(reverse("messaging:outbox")))

    assert page.html_lang == "fr"


def test_language_switch_on_login_page(client):
    switch_language(client, "en", reverse("login"))

    response = client.get(reverse("login"))

    assert parse(response).html_lang == "en"
    assert "Username" in response.text


def test_language_switch_translates_tabs(logged_in_client):
    french = logged_in_client.get(reverse("messaging:outbox")).text
    switch_language(logged_in_client, "en", "/")
    english = logged_in_client.get(reverse("messaging:outbox")).text

    assert "Boîte d'envoi" in html.unescape(french)
    assert "Outbox" in english
    assert "Mailing lists" in english


def test_language_switch_marks_current_language(logged_in_client):
    response = logged_in_client.get(reverse("messaging:mailbox"))

    assert 'value="fr" lang="fr"' in response.text
    assert 'aria-current="true"' in response.text


# Content Security Policy: no inline code anywhere


def pages_to_check(client, user):
    """Yield a response for every kind of page the frame renders."""
    yield "login", client.get(reverse("login"))
    yield "login error", client.post(reverse("login"), {"username": "x", "password": "y"})
    client.force_login(user)
    for name, url_name in TAB_URLS.items():
        yield name, client.get(reverse(url_name))
    yield "logout message", client.post(reverse("logout"), follow=True)


def test_pages_have_no_inline_code(client, user):
    for name, response in pages_to_check(client, user):
        assert response.status_code == 200, name
        assert parse(response).inline_code == [], name


def test_unknown_page_is_404_in_frame(logged_in_client):
    response = logged_in_client.get("/no-such-page/")

    assert response.status_code == 404
    assert 'class="site-header"' in response.text
    assert parse(response).inline_code == []


def test_csrf_failure_page_has_no_inline_code(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert 'class="site-header"' in response.text
    assert parse(response).inline_code == []


def test_parser_detects_inline_code():
    parser = PageParser()
    parser.feed('<p style="color: red" onclick="x()">a</p><script>x()</script><style></style>')

    assert len(parser.inline_code) == 4


def test_pages_send_content_security_policy(client):
    response = client.get(reverse("login"))

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy


@pytest.mark.django_db
def test_english_browser_still_gets_french(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert 'lang="fr"' in response.content.decode()


@pytest.mark.django_db
def test_language_cookie_chooses_english(client):
    client.cookies["django_language"] = "en"

    response = client.get(reverse("login"))

    assert 'lang="en"' in response.content.decode()
