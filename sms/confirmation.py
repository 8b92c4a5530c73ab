"""The double opt-in text: asks the person to reply YES before any other text is sent.

It comes from a number they may not know, so it says who is texting and why in plain
words before it names a keyword: two bare commands from a stranger read like a scam.
"""
from .rendering import render_text

CONFIRMATION_TEMPLATE = (
    "Hi {name}, it's {worker}. "
    "I'd like to text you now and then about our meetings, with no need to reply. "
    "Reply YES if that's OK, or STOP at any time."
)


def confirmation_text(*, name, worker, service=""):
    """The rendered confirmation text; `service` is empty unless they agreed it may be named."""
    return render_text(CONFIRMATION_TEMPLATE, {"name": name, "worker": worker,
                                               "service": service})
