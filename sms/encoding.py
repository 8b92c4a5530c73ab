"""How a carrier counts a text: GSM-7 or UCS-2, characters, and parts.

Parts are packed the way handsets and Twilio pack them: an escape pair (GSM-7
extension character) or a surrogate pair (UCS-2) is never split across two parts,
which can add a part near a boundary.
"""
from dataclasses import dataclass, field

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[]~|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# What Twilio's SmartEncoded does before sending: look-alikes become GSM-7.
SMART_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
    "\u2010": "-", "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}


@dataclass(frozen=True)
class Replacement:
    original: str
    replacement: str
    count: int

    def describe(self):
        """For the preview: what was replaced, even when it cannot be seen."""
        times = f" ({self.count} times)" if self.count > 1 else ""
        if not self.replacement:
            return f"an invisible character (U+{ord(self.original):04X}) removed{times}"
        if self.original.isspace():
            return f"a special space with a plain space{times}"
        return f"“{self.original}” with “{self.replacement}”{times}"


@dataclass(frozen=True)
class Counted:
    """A text as it will be sent (after smart encoding), and what it costs."""
    text: str
    encoding: str
    characters: int
    parts: int
    replaced: list = field(default_factory=list)
    non_gsm: list = field(default_factory=list)

    @property
    def body(self):
        """The text as a message body: what the phone shows."""
        return self.text


# Invisible characters that join what is either side of them: a zero-width joiner
# makes 👩 + 👧 one emoji (👩‍👧), a non-joiner shapes Persian or Indic script. They are
# removed only when that lets the text go as GSM-7; in a text that stays UCS-2 they
# cost nothing and removing them would change what the phone shows.
JOINERS = ("\u200d", "\u200c")


def smart_encode(text):
    """Return (text, replacements) with Twilio's SmartEncoded substitutions applied.

    Joiners (JOINERS) are kept when the text stays UCS-2 anyway.
    """
    counts = {}
    out = []
    for char in text:
        if char in SMART_REPLACEMENTS:
            counts[char] = counts.get(char, 0) + 1
            out.append(SMART_REPLACEMENTS[char])
        else:
            out.append(char)
    joined = [char for char in counts if char in JOINERS]
    if joined and not is_gsm7("".join(out)):
        out = [SMART_REPLACEMENTS.get(char, char) if char not in JOINERS else char
               for char in text]
        for char in joined:
            del counts[char]
    replaced = [Replacement(char, SMART_REPLACEMENTS[char], number)
                for char, number in counts.items()]
    return "".join(out), replaced


def is_gsm7(text):
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _gsm7_units(text):
    return [2 if char in GSM7_EXTENSION else 1 for char in text]


def _ucs2_units(text):
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _pack(units, single, multi):
    """Number of parts for characters of the given unit sizes, never splitting one."""
    total = sum(units)
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in units:
        if used + size > multi:
            parts += 1
            used = 0
        used += size
    return parts


def count(text):
    """Count `text` exactly as it will be sent (after smart encoding)."""
    encoded, replaced = smart_encode(text)
    non_gsm = sorted({char for char in encoded
                      if char not in GSM7_BASIC and char not in GSM7_EXTENSION})
    if not non_gsm:
        units = _gsm7_units(encoded)
        return Counted(encoded, "GSM-7", sum(units),
                       _pack(units, GSM7_SINGLE, GSM7_MULTI), replaced, [])
    units = _ucs2_units(encoded)
    return Counted(encoded, "UCS-2", sum(units),
                   _pack(units, UCS2_SINGLE, UCS2_MULTI), replaced, non_gsm)


def parts_without(text, chars):
    """Parts `text` would take if `chars` were not in it (to name a character's cost)."""
    stripped = "".join(char for char in text if char not in chars)
    return count(stripped).parts


def room_before_next_part(counted):
    """How many more plain characters fit before `counted` takes another part."""
    units = (_gsm7_units(counted.text) if counted.encoding == "GSM-7"
             else _ucs2_units(counted.text))
    single, multi = ((GSM7_SINGLE, GSM7_MULTI) if counted.encoding == "GSM-7"
                     else (UCS2_SINGLE, UCS2_MULTI))
    if counted.parts == 1:
        return single - sum(units)
    used = 0
    for size in units:
        if used + size > multi:
            used = 0
        used += size
    return multi - used


def budget(counted):
    """(words, over) for the worker typing their own line: the room left in the whole
    text before it takes another part, and whether it is already more than one part."""
    room = room_before_next_part(counted)
    plural = "" if room == 1 else "s"
    if counted.parts == 1:
        return f"{room} character{plural} before this text becomes 2 parts.", False
    times = "twice" if counted.parts == 2 else f"{counted.parts} times"
    return (f"This text is now {counted.parts} parts, so it costs {times} as much. "
            f"{room} character{plural} before it becomes {counted.parts + 1} parts.", True)
