"""Where texts go: the console (records, sends nothing) or Twilio.

A gateway's `send` returns a SendResult or raises one of the SendError kinds below,
which say what the dispatcher may safely do next.
"""
import logging
import uuid
from dataclasses import dataclass

log = logging.getLogger("mend.sms")


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str
    parts: int | None = None


class SendError(Exception):
    """The provider did not take the message. `reason` is for people; `code` is Twilio's."""

    def __init__(self, reason, *, code=None, status=None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.status = status


class RetryLater(SendError):
    """Nothing was sent, and trying again after a pause is safe (429, 21611)."""


class BadNumber(SendError):
    """The number cannot take texts (21211, 21408, 21612, 21614)."""


class RecipientOptedOut(SendError):
    """The person texted STOP; the provider blocks texts to them (21610)."""


class CredentialsRejected(SendError):
    """The provider refused Mend's account details (20003)."""


class Rejected(SendError):
    """Any other refusal: nothing was sent and retrying would not help."""


class Ambiguous(SendError):
    """A 5xx, a timeout or a dropped connection: the message may or may not exist."""


class LookupFailed(SendError):
    """Asking the provider whether a message exists did not get an answer."""


class ConsoleGateway:
    """The default backend: says that a text would have gone, and sends nothing.

    It logs the message id and part count only, never the number or the body.
    """

    name = "console"

    def send(self, *, message_id, to, body, parts):
        sid = "CONSOLE" + uuid.uuid4().hex[:26]
        log.info("console backend: message %s (%s part(s)) recorded, nothing sent",
                 message_id, parts)
        return SendResult(provider_sid=sid, status="sent", parts=parts)

    def find_sent(self, *, to, body, sent_after):
        """The console never loses a send, so there is never one to find."""
        return None
