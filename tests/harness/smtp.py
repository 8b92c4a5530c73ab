"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it is sent, for the
tests of Mend's emails: what arrived, to whom, with which words."""
import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self, inbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.inbox.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                           "subject": message["Subject"],
                           "body": message.get_body(("plain",)).get_content()})
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalSmtp:
    """`with LocalSmtp() as smtp:` ... `smtp.inbox` holds every email received."""

    def __init__(self):
        self.inbox = []
        self.port = free_port()
        self.controller = Controller(_Keep(self.inbox), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def config(self):
        """Mend's settings for sending to this server."""
        return {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port,
                "SMTP_SECURITY": "none", "MAIL_FROM": "mend@example.org"}
