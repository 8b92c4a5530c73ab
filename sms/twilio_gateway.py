"""Sending through Twilio with the official client.

`TWILIO_API_BASE_URL` (tests and benchmarks only) points every request at another
server, such as the fake Twilio on 127.0.0.1: the client has no base-URL setting,
so a TwilioHttpClient subclass rewrites the address.
"""
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .gateways import SendResult

TWILIO_API = "https://api.twilio.com"


class RedirectingHttpClient(TwilioHttpClient):
    def __init__(self, base_url, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioGateway:
    name = "twilio"

    def __init__(self, *, account_sid, auth_token, from_number=None,
                 messaging_service_sid=None, status_callback=None, api_base_url=None,
                 timeout=15):
        http_client = (RedirectingHttpClient(api_base_url, timeout=timeout)
                       if api_base_url else TwilioHttpClient(timeout=timeout))
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback

    @classmethod
    def from_config(cls, config):
        base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        return cls(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            from_number=config.get("TWILIO_FROM_NUMBER") or None,
            messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            status_callback=f"{base}/webhooks/twilio/status" if base else None,
            api_base_url=config.get("TWILIO_API_BASE_URL") or None,
        )

    def send(self, *, message_id, to, body, parts):
        kwargs = {"to": to, "body": body, "smart_encoded": True}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        message = self.client.messages.create(**kwargs)
        return SendResult(provider_sid=message.sid, status=message.status or "queued")
