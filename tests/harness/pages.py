"""Mend's pages as a browser sees them, for the Flask test client and for a `Site` (a
requests session on a running server) alike: both answer `get(path)` and
`post(path, data=...)` with a response that has `.text`, `.status_code` and `.headers`,
and neither follows redirects.

Fetching a page and its CSRF token, posting a form with it, logging in, adding a
person, and reading what a page says: its hidden fields, the choices in a <select>, the
text a confirmation made.
"""
import html
import re

import requests

from tests.harness.database import ACCOUNTS, PASSWORD

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
KEY_WORKER = (re.compile(r'name="key_worker_id" value="(\d+)"'),  # a worker: themselves
              re.compile(r'<select id="key_worker_id"[^>]*>\s*<option[^>]*value="(\d+)"'))


class Site(requests.Session):
    """A browser on a running server: paths rather than URLs, and, as the Flask test
    client, no redirect followed (a test reads where it leads from `Location`)."""

    def __init__(self, base_url, *, timeout=60):
        super().__init__()
        self.base_url = base_url
        self.timeout = timeout

    def request(self, method, path, **kwargs):
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, self.base_url + path, **kwargs)


def csrf_from(page):
    """The CSRF token in a page's text; ValueError if the page has none (half a page
    from a server that died under the request, or the wrong page)."""
    match = CSRF.search(page)
    if not match:
        raise ValueError("no CSRF token on the page")
    return match.group(1)


def csrf_token(client, page):
    """Fetch `page` and return its CSRF token."""
    try:
        return csrf_from(client.get(page).text)
    except ValueError:
        raise ValueError(f"no CSRF token on {page}") from None


def post_form(client, url, data, page=None, **kwargs):
    """POST like a browser: fetch the form's page for a CSRF token first."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)},
                       **kwargs)


def log_in(client, email, password=PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


def client_for(app, role_key):
    """A Flask test client logged in as the account for `role_key` in ACCOUNTS."""
    client = app.test_client()
    response = log_in(client, ACCOUNTS[role_key][0])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def key_worker_on(page):
    """The key worker the add-person page offers first (a worker is offered only
    themselves)."""
    match = KEY_WORKER[0].search(page) or KEY_WORKER[1].search(page)
    return match.group(1)


def add_contact(client, name="Alex", phone="07911 123456", consent="in_person", **extra):
    data = {"preferred_name": name, "phone": phone, "consent_method": consent,
            "number_confirmed": "y", **extra}
    if "key_worker_id" not in data:
        data["key_worker_id"] = key_worker_on(client.get("/contacts/new").text)
    return post_form(client, "/contacts/new", data)


def contact_id_from(response):
    return int(re.search(r"/contacts/(\d+)", response.headers["Location"]).group(1))


def hidden_fields(page):
    """The hidden fields of the forms on a page, unescaped, by name."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def confirmation(review_page):
    """The form that confirms the text on a "Check your text" page, as its button
    posts it (carrying the warnings the page showed)."""
    return {**hidden_fields(review_page), "csrf_token": csrf_from(review_page),
            "action": "confirm"}


def choices(page, name):
    """(value, attributes text) of each option with a number in the <select id=name>."""
    start = page.find(f'<select id="{name}"')
    block = page[start:page.find("</select>", start)] if start >= 0 else ""
    return [(value, attrs) for attrs, value in
            re.findall(r'<option([^>]*?)value="(\d+)"', block)]


def message_id_from(response):
    """The id of the text a confirmation redirected to, or None."""
    match = re.search(r"/messages/(\d+)$", response.headers.get("Location", ""))
    return int(match.group(1)) if match else None
