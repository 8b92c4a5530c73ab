"""Where texts go: the console (records, sends nothing) or Twilio."""
import logging
import uuid
from dataclasses import dataclass

log = logging.getLogger("mend.sms")


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str


class ConsoleGateway:
    """The default backend: says that a text would have gone, and sends nothing.

    It logs the message id and part count only, never the number or the body.
    """

    name = "console"

    def send(self, *, message_id, to, body, parts):
        sid = "CONSOLE" + uuid.uuid4().hex[:26]
        log.info("console backend: message %s (%s part(s)) recorded, nothing sent",
                 message_id, parts)
        return SendResult(provider_sid=sid, status="sent")
