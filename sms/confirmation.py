"""The double opt-in text: asks the person to reply YES before any other text is sent."""
from .rendering import render_text

CONFIRMATION_TEMPLATE = (
    "Hi {name}, it's {worker}. "
    "Reply YES to get texts from me. "
    "Reply STOP at any time."
)


def confirmation_text(*, name, worker, service=""):
    """The rendered confirmation text; `service` is empty unless they agreed it may be named."""
    return render_text(CONFIRMATION_TEMPLATE, {"name": name, "worker": worker,
                                               "service": service})
