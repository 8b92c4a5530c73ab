"""Sending through Twilio with the official client.

Two ways in, one set of rules: `TwilioGateway.send` and `find_sent` block (the
`requests`-based client: crash recovery and anything outside the dispatcher), and
`TwilioGateway.in_event_loop()` gives the dispatcher the same two calls as
coroutines on the official client's asynchronous mode (`create_async`, `list_async`
over aiohttp), so the dispatcher's event loop keeps every send in flight that ~20
threads held before, for less CPU a text (README, "Dispatch").

`TWILIO_API_BASE_URL` (tests and benchmarks only) points every request at another
server, such as the fake Twilio on 127.0.0.1: the client has no base-URL setting,
so a TwilioHttpClient subclass (`MendHttpClient`, also used in production) rewrites
the address.

Errors become the SendError kinds of `sms.gateways`, which say what is safe next:
a refusal with a code (nothing was sent) or an ambiguous failure (a 5xx, a timeout,
a dropped connection: the message may exist, so look it up before any resend).
"""
import asyncio
import contextlib
import logging
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import aiohttp
import requests
from requests.adapters import HTTPAdapter
from requests.hooks import default_hooks
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError
from yarl import URL

from . import twilio_errors
from .encoding import is_gsm7, smart_encode
from .gateways import (Ambiguous, BadNumber, CredentialsRejected, LookupFailed, Rejected,
                       RecipientOptedOut, RetryLater, SendResult)

TWILIO_API = "https://api.twilio.com"
# The client logs every request at INFO, with the query string: a look-up's `To` is a
# phone number, and Mend's logs never hold one. Its logger is kept to warnings.
HTTP_LOG = logging.getLogger("mend.twilio_http")
HTTP_LOG.setLevel(logging.WARNING)
# urllib3 logs each request line, query string included, at DEBUG.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)
LOOKUP_SLACK = timedelta(minutes=2)
LOOKUP_LIMIT = 100  # messages to one number read by a look-up: one page, never the history


class MendHttpClient(TwilioHttpClient):
    """The `twilio` client's blocking HTTP client, leaner per request and safe to share
    between threads.

    - `base_url` (tests and benchmarks) points every request at another server.
    - The form and query are encoded here (`_form`, as `requests` encodes a dict), so
      `requests` is handed text and skips its per-field runtime protocol checks; the
      request goes straight to the connection pool's adapter, without the session's
      cookie jar (Twilio's API sets none) or the client's request log (which Mend
      keeps off: a look-up's query holds a phone number).
    - The response is returned, never left on the shared client for another thread
      to pick up (`TwilioHttpClient` keeps the last one on `self` and returns that).

    Timeouts, refused connections and dropped ones raise the same `requests`
    exceptions as before, which `TwilioGateway` turns into "retry" or "ambiguous".
    """

    def __init__(self, base_url=None, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") if base_url else None

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        if headers and headers.get("Content-Type") in ("application/json",
                                                        "application/scim+json"):
            return super().request(method, self._address(url), params, data, headers, auth,
                                   timeout, allow_redirects)  # not an API Mend uses
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(headers or {})
        prepared = PreparedRequest()
        prepared.prepare(method=method.upper(), url=self._address(url),
                         headers={key: value for key, value in merged.items()
                                  if value is not None},
                         data=_form(data).encode("ascii") if data else None,
                         params=_form(params) if params else None, auth=auth,
                         hooks=default_hooks())
        response = self.session.get_adapter(prepared.url).send(
            prepared, stream=False, timeout=timeout, verify=True, cert=None,
            proxies=self.proxy or {})
        return TwilioResponse(int(response.status_code), response.text, response.headers)

    def _address(self, url):
        return _address(self.base_url, url)


def _address(base_url, url):
    """`url` on `base_url` instead of Twilio's API (tests and benchmarks)."""
    if base_url and url.startswith(TWILIO_API):
        return base_url + url[len(TWILIO_API):]
    return url


def _form(fields):
    """A dict (or pairs) as `requests` encodes it for a form or a query: None values
    left out, a list or tuple as repeated keys, UTF-8 percent-encoded."""
    pairs = []
    for key, values in (fields.items() if hasattr(fields, "items") else fields):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        pairs.extend((key, value) for value in values if value is not None)
    return urlencode(pairs, doseq=True)


class MendAsyncHttpClient(AsyncTwilioHttpClient):
    """The `twilio` client's asynchronous HTTP client (aiohttp), as Mend runs it.

    Made inside the event loop that uses it (an aiohttp session belongs to one loop),
    and closed with `close()`. The same rules as `MendHttpClient`: `base_url` (tests
    and benchmarks), the form and query encoded by `_form` (the very bytes the
    blocking client sends), no request log (a look-up's query holds a phone number),
    the proxy read once at start, each call its own response. Timeouts are the
    blocking client's: `timeout` seconds to connect (`aiohttp.ConnectionTimeoutError`:
    nothing was sent) and between two reads of the answer (`SocketTimeoutError`:
    it may have arrived).
    """

    def __init__(self, base_url=None, *, timeout, pool_size, proxies=None):
        super().__init__(pool_connections=False, timeout=timeout, logger=HTTP_LOG)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.proxies = proxies or {}
        self._timeout = _timeouts(timeout)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max(10, pool_size)),
            timeout=self._timeout, trust_env=False)

    async def request(self, method, url, params=None, data=None, headers=None, auth=None,
                      timeout=None, allow_redirects=False):
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        address = _address(self.base_url, url)
        if params:
            address += ("&" if "?" in address else "?") + _form(params)
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = aiohttp.encode_basic_auth(*auth)
        if data:
            if headers.get("Content-Type") != "application/x-www-form-urlencoded":
                raise TwilioException("Mend sends only form-encoded requests to Twilio.")
            data = _form(data).encode("ascii")
        async with self.session.request(
                method.upper(), URL(address, encoded=True), data=data or None,
                headers=headers, allow_redirects=allow_redirects,
                proxy=self.proxies.get(address.split(":", 1)[0]),
                timeout=self._timeout if timeout is None else _timeouts(timeout)) as answer:
            text = (await answer.read()).decode(answer.charset or "utf-8", "replace")
            return TwilioResponse(answer.status, text, answer.headers)


def _timeouts(seconds):
    """`requests`' meaning of a timeout: to connect, and between reads of the answer."""
    return aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)


def _proxies_for(url):
    """The proxies the environment sets for `url`, read once at start.

    requests reads the environment (proxy variables, netrc) again on every request,
    which costs more CPU than the rest of a send's HTTP work; Mend reads it once and
    tells the session not to look again."""
    if requests.utils.should_bypass_proxies(url, no_proxy=None):
        return None
    proxies = {scheme: address for scheme, address in urllib.request.getproxies().items()
               if scheme in ("http", "https")}
    return proxies or None


def _http_client(api_base_url, timeout, pool_size):
    proxy = _proxies_for(api_base_url or TWILIO_API)
    client = MendHttpClient(api_base_url, timeout=timeout, logger=HTTP_LOG, proxy=proxy)
    client.session.trust_env = False
    # One pooled connection per concurrent sender; the default pool is smaller and
    # would open (and log about) extra connections under load.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(10, pool_size))
    client.session.mount("https://", adapter)
    client.session.mount("http://", adapter)
    return client


def _nothing_was_sent(error):
    """True when the connection was never made, so the request cannot have arrived."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _async_nothing_was_sent(error):
    """The same for aiohttp: the connection was refused, or not made in time."""
    return isinstance(error, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))


def _normalised(body):
    return smart_encode(body or "")[0].strip()


class TwilioGateway:
    name = "twilio"

    def __init__(self, *, account_sid, auth_token, from_number=None,
                 messaging_service_sid=None, status_callback=None, api_base_url=None,
                 timeout=15, pool_size=10):
        self.client = Client(account_sid, auth_token,
                             http_client=_http_client(api_base_url, timeout, pool_size))
        self.client.messages  # loads the client's API modules now, not on the first send
        self._credentials = (account_sid, auth_token)
        self._api_base_url, self._timeout, self._pool_size = api_base_url, timeout, pool_size
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
            pool_size=int(config["SEND_CONCURRENCY"]),
        )

    def send(self, *, message_id, to, body, parts):
        try:
            message = self.client.messages.create(**self._create_fields(message_id, to, body))
        except TwilioRestException as error:
            raise self._refusal(error) from None
        except requests.exceptions.RequestException as error:
            raise _connection_problem(error, _nothing_was_sent(error)) from None
        return _result(message)

    def _create_fields(self, message_id, to, body):
        encoded = smart_encode(body)[0]
        if is_gsm7(encoded):
            kwargs = {"to": to, "body": body, "smart_encoded": True}
        else:  # UCS-2 anyway: send the text the preview showed, joiners and all
            kwargs = {"to": to, "body": encoded, "smart_encoded": False}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if self.status_callback:
            # Mend's id in the URL lets a callback settle a message whose SID was never
            # recorded (the dispatcher died after Twilio took it). It is signed too.
            kwargs["status_callback"] = f"{self.status_callback}?m={message_id}"
        return kwargs

    def _refusal(self, error):
        status, code = error.status, error.code
        if status >= 500:
            return Ambiguous(f"The provider had an error (HTTP {status}).",
                             code=code, status=status)
        action = twilio_errors.action_for(status, code)
        kind = {twilio_errors.RETRY: RetryLater, twilio_errors.BAD_NUMBER: BadNumber,
                twilio_errors.OPTED_OUT: RecipientOptedOut,
                twilio_errors.CREDENTIALS: CredentialsRejected,
                twilio_errors.REJECTED: Rejected}[action]
        return kind(twilio_errors.reason_for(code), code=code, status=status)

    def find_sent(self, *, to, body, sent_after):
        """The message Twilio holds to `to` with this body, created after `sent_after`.

        Returns a SendResult, or None when Twilio has no such message. Raises
        LookupFailed when Twilio cannot be asked.

        Twilio's list filters only on To, From and the *sent* date, and a message it
        has accepted but not sent yet (queued, accepted, scheduled) has no sent date,
        so no DateSent filter is used: the newest LOOKUP_LIMIT messages to this
        number are read and matched here by body, creation time and direction.
        """
        try:
            found = self.client.messages.list(**self._list_filters(to))
        except (TwilioException, requests.exceptions.RequestException) as error:
            raise LookupFailed(f"Asking the provider failed ({type(error).__name__}).") \
                from None
        return _matching(found, body, sent_after)

    def _list_filters(self, to):
        filters = {"to": to, "limit": LOOKUP_LIMIT}
        if self.from_number and not self.messaging_service_sid:
            filters["from_"] = self.from_number  # a Messaging Service may fill it in later
        return filters

    @contextlib.asynccontextmanager
    async def in_event_loop(self):
        """Inside a running event loop: this gateway's `send` and `find_sent` as
        coroutines (`_InEventLoop`), on one aiohttp session that is closed after."""
        http = MendAsyncHttpClient(self._api_base_url, timeout=self._timeout,
                                   pool_size=self._pool_size,
                                   proxies=_proxies_for(self._api_base_url or TWILIO_API))
        try:
            yield _InEventLoop(self, Client(*self._credentials, http_client=http))
        finally:
            await http.close()


class _InEventLoop:
    """A TwilioGateway's calls for one event loop: the same fields, errors and
    matching as the blocking ones, through `create_async` and `list_async`."""

    name = TwilioGateway.name

    def __init__(self, gateway, client):
        self.gateway = gateway
        self.client = client

    async def send(self, *, message_id, to, body, parts):
        gateway = self.gateway
        try:
            message = await self.client.messages.create_async(
                **gateway._create_fields(message_id, to, body))
        except TwilioRestException as error:
            raise gateway._refusal(error) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise _connection_problem(error, _async_nothing_was_sent(error)) from None
        return _result(message)

    async def find_sent(self, *, to, body, sent_after):
        try:
            found = await self.client.messages.list_async(**self.gateway._list_filters(to))
        except (TwilioException, aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise LookupFailed(f"Asking the provider failed ({type(error).__name__}).") \
                from None
        return _matching(found, body, sent_after)


def _connection_problem(error, nothing_was_sent):
    if nothing_was_sent:
        return RetryLater("Mend could not connect to the provider.")
    return Ambiguous("The provider did not answer in time, or the connection "
                     f"dropped ({type(error).__name__}).")


def _matching(found, body, sent_after):
    """The first of `found` (Twilio's messages, newest first) that is this text."""
    wanted = _normalised(body)
    since = sent_after - LOOKUP_SLACK
    for message in found:
        if message.direction not in (None, "outbound-api"):
            continue
        created = message.date_created
        if created is not None and created < since:
            continue
        if _normalised(message.body) == wanted:
            return _result(message)
    return None


def _result(message):
    try:
        parts = int(message.num_segments) if message.num_segments is not None else None
    except (TypeError, ValueError):
        parts = None
    return SendResult(provider_sid=message.sid, status=message.status or "queued",
                      parts=parts)
