"""The `twilio` client's HTTP layer as Mend runs it (`sms.twilio_gateway.MendHttpClient`):
the same bytes on the wire as `requests` would send, and each sender thread gets its
own answer; and its asynchronous twin (`MendAsyncHttpClient`, the dispatcher's), which
sends Twilio the same request."""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

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


def test_a_text_sent_from_the_event_loop_reaches_the_provider_as_the_blocking_client_sends_it(
        fake_twilio, gateway):
    """The dispatcher sends through the client's asynchronous mode, crash recovery
    through the blocking one: Twilio must be sent the same text, to the same number,
    from the same sender, with the same delivery-report address, either way; and a
    look-up from the event loop finds a text Twilio still has queued."""
    body = "It makes sense you felt let down \u2013 I\u2019d like to talk. 👩\u200d👧 & you?"
    to = "+447911123456"
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    gateway.send(message_id=7, to=to, body=body, parts=2)

    async def from_the_event_loop():
        async with gateway.in_event_loop() as sender:
            sent = await sender.send(message_id=7, to=to, body=body, parts=2)
            return sent, await sender.find_sent(to=to, body=body, sent_after=before)

    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, as the dispatcher's
        sent, found = pool.submit(asyncio.run, from_the_event_loop()).result()

    blocking, in_loop = fake_twilio.created
    fields = ("body", "to", "from", "messaging_service_sid", "_status_callback",
              "num_segments")
    assert {field: in_loop[field] for field in fields} == \
        {field: blocking[field] for field in fields}
    assert "\u200d" in in_loop["body"]  # the emoji sequence arrived whole
    assert sent.provider_sid == in_loop["sid"]
    assert in_loop["status"] == "queued"
    assert found is not None and found.provider_sid in {blocking["sid"], in_loop["sid"]}
