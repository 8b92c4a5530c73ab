"""The languages Mend can write texts in, and how a bilingual text is put together.

One place for the list: the person's language, a reviewer's languages, a template
version's language and a reply's language are all codes from `LANGUAGES`.
"""
ENGLISH = "en"
WELSH = "cy"

# code -> the language's name as a worker reads it: in English, then in the language
LANGUAGES = {
    "en": "English",
    "cy": "Welsh (Cymraeg)",
    "pl": "Polish (polski)",
    "ro": "Romanian (română)",
    "ar": "Arabic (العربية)",
}
RIGHT_TO_LEFT = {"ar"}
NOT_ASKED = ""  # a person whose language nobody has asked yet (stored as NULL)

# Between the two versions of a bilingual text (Welsh Language Standards mode).
BILINGUAL_SEPARATOR = "\n\n"


def name_of(code):
    """A language code as a worker reads it; "Not asked yet" for none."""
    if not code:
        return "Not asked yet"
    return LANGUAGES.get(code, code)


def direction(code):
    return "rtl" if code in RIGHT_TO_LEFT else "ltr"


def parse_codes(text):
    """Comma-separated codes (as stored on an account) -> the known ones, in order."""
    codes = [part.strip() for part in (text or "").split(",")]
    return [code for code in dict.fromkeys(codes) if code in LANGUAGES]


def bilingual(first, second):
    """One text holding two versions, the first one first."""
    return f"{first.strip()}{BILINGUAL_SEPARATOR}{second.strip()}"
