"""Bad input the fuzz tests (test_fuzz_forms.py, test_fuzz_webhooks.py) found breaking
Mend, each pinned by a plain test named for what must happen instead."""
from tests.conftest import csrf_token


def test_a_form_too_large_to_accept_gets_the_413_page_not_a_500(client, worker):
    """The error page's logout button must not re-read the refused body (it re-raised 413)."""
    for who, page, url in ((client, "/login", "/login"),
                           (worker, "/contacts/new", "/contacts/new")):
        response = who.post(url, data={"csrf_token": csrf_token(who, page),
                                       "preferred_name": "x" * 300_000})
        assert response.status_code == 413
        assert "That was too much to send at once" in response.get_data(as_text=True)
