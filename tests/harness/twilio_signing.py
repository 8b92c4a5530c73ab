"""Sign webhook requests exactly as Twilio does, with Twilio's own RequestValidator."""
from twilio.request_validator import RequestValidator

TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
TEST_PUBLIC_BASE_URL = "https://mend.example.org"


def signature_for(url, params, token=TEST_AUTH_TOKEN):
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client, path, params, *, token=TEST_AUTH_TOKEN,
                base_url=TEST_PUBLIC_BASE_URL, signed_url=None):
    """POST form params to `path` with a valid signature for `base_url + path`."""
    url = signed_url or f"{base_url}{path}"
    return client.post(path, data=params,
                       headers={"X-Twilio-Signature": signature_for(url, params, token)})
