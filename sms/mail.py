"""Email to staff, outside any web request (the scheduler sends it).

The standard library's `email` and `smtplib` do the work: the emails are short plain
text, so a template engine or HTML is not needed, and `smtplib` speaks STARTTLS,
implicit TLS and AUTH with no dependency to keep up to date. Flask-Mail would need an
app context that the scheduler process does not have.

`console` (the default) writes the email to the log and sends nothing, for development.
"""
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

log = logging.getLogger("mend.mail")

SECURITY = ("starttls", "ssl", "none")


class MailError(RuntimeError):
    """The email could not be handed to the mail server; the message says why."""


@dataclass(frozen=True)
class MailSettings:
    backend: str = "console"
    host: str = "localhost"
    port: int = 587
    username: str = ""
    password: str = ""
    security: str = "starttls"
    sender: str = "mend@localhost"
    timeout: float = 20

    @classmethod
    def from_config(cls, config):
        return cls(backend=config["MAIL_BACKEND"], host=config["SMTP_HOST"],
                   port=int(config["SMTP_PORT"]), username=config["SMTP_USERNAME"],
                   password=config["SMTP_PASSWORD"], security=config["SMTP_SECURITY"],
                   sender=config["MAIL_FROM"])


def build(settings, *, to, subject, body):
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


class ConsoleMail:
    name = "console"

    def __init__(self, settings):
        self.settings = settings

    def send(self, *, to, subject, body):
        log.info("email (console backend, not sent) to %s: %s\n%s", to, subject, body)


class SmtpMail:
    name = "smtp"

    def __init__(self, settings):
        self.settings = settings

    def _connect(self):
        s = self.settings
        if s.security == "ssl":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                    context=ssl.create_default_context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, *, to, subject, body):
        s = self.settings
        try:
            with self._connect() as client:
                if s.username:
                    client.login(s.username, s.password)
                client.send_message(build(s, to=to, subject=subject, body=body))
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"the mail server at {s.host}:{s.port} did not take the "
                            f"email ({type(error).__name__})") from error


def mailer_for(settings):
    return SmtpMail(settings) if settings.backend == "smtp" else ConsoleMail(settings)
