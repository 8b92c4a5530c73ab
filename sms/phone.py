"""Mobile numbers: validated with phonenumbers, stored as E.164, shown masked."""
import phonenumbers
from phonenumbers import PhoneNumberType

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidNumber(ValueError):
    """The message is written for the person typing the number."""


def normalise_mobile(raw, region="GB"):
    """Return the E.164 form of a mobile number, or raise InvalidNumber with a reason."""
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("Enter a mobile number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidNumber("That is not a phone number. Enter a mobile number, like 07911 123456.")
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber("That number is not valid. Check the digits and try again.")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidNumber("That looks like a landline. Mend can only text mobile numbers.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164):
    """'+447700900123' -> '+44 7••• ••• 123': enough to tell numbers apart, no more."""
    if not e164:
        return "(no number)"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "•••"
    national = str(number.national_number)
    if len(national) < 6:
        return f"+{number.country_code} " + "•" * len(national)
    hidden = "•" * (len(national) - 4)
    first_group = national[0] + hidden[:3]
    middle = hidden[3:]
    groups = [first_group, middle, national[-3:]] if middle else [first_group, national[-3:]]
    return f"+{number.country_code} " + " ".join(groups)


def display(e164):
    """The full number in international format, for the contact's own page only."""
    return phonenumbers.format_number(
        phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
