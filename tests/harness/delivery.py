"""Sending through the fake Twilio: the sender's number, the public URL the app signs
webhooks for, dispatcher settings for tests, and a gateway (the official `twilio`
client) pointed at the fake."""
from datetime import timedelta

from scheduler.dispatcher import DispatchSettings
from scheduler.rate_limit import SegmentRateLimiter
from sms import send_window
from sms.twilio_gateway import TwilioGateway
from tests.harness.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

FROM_NUMBER = "+447700900123"
PUBLIC_BASE_URL = "https://mend.example.org"


def settings(**overrides):
    values = {"zone": "Europe/London", "window": send_window.parse_window("09:00-20:00"),
              "segments_per_second": 1000, "concurrency": 4,
              "retry_base": timedelta(seconds=10)}
    values.update(overrides)
    if "limiter" not in values:
        values["limiter"] = SegmentRateLimiter(values["segments_per_second"])
    return DispatchSettings(**values)


def gateway_for(fake, *, timeout=5, messaging_service_sid=None, auth_token=AUTH_TOKEN,
                pool_size=10):
    """A Twilio gateway sending to `fake` (a running FakeTwilio, or its URL)."""
    return TwilioGateway(account_sid=ACCOUNT_SID, auth_token=auth_token,
                         from_number=None if messaging_service_sid else FROM_NUMBER,
                         messaging_service_sid=messaging_service_sid,
                         status_callback=f"{PUBLIC_BASE_URL}/webhooks/twilio/status",
                         api_base_url=getattr(fake, "base_url", fake), timeout=timeout,
                         pool_size=pool_size)
