"""Twilio's error codes, what Mend does about each, and a reason a worker can read.

The reasons are shown on the message and in the audit log; they never contain the
number or the text.
"""
RETRY = "retry"            # safe to try again after backing off: nothing was sent
BAD_NUMBER = "bad_number"  # permanent: the number cannot take texts; flag it
OPTED_OUT = "opted_out"    # the person texted STOP: withdraw consent
CREDENTIALS = "credentials"  # Mend's account details are wrong: stop sending
REJECTED = "rejected"      # any other refusal: the message fails

REASONS = {
    20003: "Twilio refused Mend's account details (TWILIO_ACCOUNT_SID and "
           "TWILIO_AUTH_TOKEN). Sending has stopped until they are fixed and the "
           "scheduler is restarted.",
    20429: "The provider asked Mend to slow down (too many requests).",
    21211: "The number is not a valid phone number. Check it with the person.",
    21408: "Mend's provider account cannot send texts to this number's country.",
    21610: "The person texted STOP to Mend's number, so the provider blocks texts to "
           "them until they text START.",
    21611: "The provider's queue for Mend's number was full.",
    21612: "The provider cannot reach this number (it may be a landline or a network "
           "that does not take texts).",
    21614: "This number is not a mobile number, so it cannot get texts.",
    30001: "Too many texts were queued at the provider, so it was not sent.",
    30002: "Mend's provider account is suspended.",
    30003: "The phone could not be reached (it may be switched off or out of signal).",
    30004: "The text was blocked (the person or their network may block texts from "
           "this number).",
    30005: "The network does not know this number; it may no longer be in use.",
    30006: "The number is a landline, or its network cannot take texts.",
    30007: "The network filtered the text as possible spam.",
    30008: "The network reported an unknown error.",
}

ACTIONS = {
    20003: CREDENTIALS,
    20429: RETRY, 21611: RETRY,
    21211: BAD_NUMBER, 21408: BAD_NUMBER, 21612: BAD_NUMBER, 21614: BAD_NUMBER,
    21610: OPTED_OUT,
}

# Delivery failures (from status callbacks) that mean the number itself is wrong.
NUMBER_PROBLEMS = {30005, 30006}


def reason_for(code):
    """A human reason for a Twilio error code (also for codes Mend does not know)."""
    try:
        code = int(code)
    except (TypeError, ValueError):
        return "The provider reported an error."
    return REASONS.get(code, f"The provider reported error {code}.")


def action_for(status, code):
    """What to do about a refused send, from the HTTP status and Twilio's code."""
    if code in ACTIONS:
        return ACTIONS[code]
    if status == 401:
        return CREDENTIALS
    if status == 429:
        return RETRY
    return REJECTED
