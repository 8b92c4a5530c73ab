"""The `twilio` client's HTTP layer as Mend runs it (`sms.twilio_gateway.MendHttpClient`):
the same bytes on the wire as `requests` would send, and each sender thread gets its
own answer."""
from concurrent.futures import ThreadPoolExecutor

from hypothesis import given
from hypothesis import strategies as st
from requests.models import RequestEncodingMixin

from sms.twilio_gateway import _form

_VALUE = st.none() | st.text() | st.integers() | st.booleans() | st.lists(st.text(), max_size=3)


@given(st.dictionaries(st.text(min_size=1), _VALUE, max_size=6))
def test_form_and_query_are_encoded_exactly_as_requests_encodes_them(fields):
    """Mend encodes the form itself (so `requests` skips its slow per-field checks);
    whatever the fields hold (non-ASCII, reserved characters, None left out, lists as
    repeated keys) Twilio must receive the very bytes it did before."""
    assert _form(fields) == RequestEncodingMixin._encode_params(fields)


def test_texts_sent_at_once_from_many_threads_each_get_their_own_sid(fake_twilio, gateway):
    """The dispatcher's senders share one client: each must be told the SID of its own
    text, never a neighbour's, or a delivery report would land on the wrong text."""
    def send(number):
        return number, gateway.send(message_id=number, to="+447911123456",
                                    body=f"Text number {number}", parts=1)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(send, range(200)))

    by_sid = {message["sid"]: message["body"] for message in fake_twilio.created}
    assert len(by_sid) == 200
    assert all(by_sid[result.provider_sid] == f"Text number {number}"
               for number, result in results)
