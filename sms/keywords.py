"""What an incoming text means: a Twilio keyword, a possible request to stop, or a reply.

Twilio's rule for keywords: the keyword is the whole message, in any case, with
surrounding spaces and punctuation ignored. "Stop." is a keyword; "stop it" is not,
but it reads like a request to stop, so it is flagged for a person to check.
"""
import re
import unicodedata
from dataclasses import dataclass

STOP_KEYWORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                 "OPTOUT")
START_KEYWORDS = ("START", "YES", "UNSTOP")
HELP_KEYWORDS = ("HELP", "INFO")

KIND_BY_KEYWORD = {
    **{word: "stop" for word in STOP_KEYWORDS},
    **{word: "start" for word in START_KEYWORDS},
    **{word: "help" for word in HELP_KEYWORDS},
}

# Phrases that read like "please stop" without being a keyword. A flag, never an
# automatic withdrawal: a person checks and records it.
POSSIBLE_STOP_PATTERNS = [re.compile(pattern) for pattern in (
    r"\bstop\b",
    r"\bleave me (alone|be)\b",
    r"\b(don'?t|do not|dont|never)\s+(text|txt|message|msg|contact|call|ring)\b",
    r"\bno more (texts?|txts?|messages?)\b",
    r"\b(unsubscribe|opt[ -]?out)\b",
    r"\b(take|remove) me off\b",
    r"\bremove (me|my number)\b",
    r"\b(delete|lose) my (number|details)\b",
    r"(n't|\bnot|\bdont|\bno)\s+(want|wanting|need)\s+(any\s+)?(more\s+)?(texts?|messages?)\b",
    r"\bwrong (number|person)\b",
    r"\bgo away\b",
    r"\bpiss off\b|\bf+[ uc*]*k off\b",
)]
# The same in each shipped language, written by the project (not fluent speakers) and
# with and without accents, as people text. Twilio's keywords stay English: Twilio
# honours only those, so "Stopiwch" or "Przestań" is a flag for a person, not a STOP.
POSSIBLE_STOP_IN = {
    "cy": (
        r"\bstopi(?:wch|a|o)\b",
        r"\b(?:peidiwch|paid)(?: (?:â|a|ag))? (?:tecstio|anfon|cysylltu|ffonio|negesu)",
        r"\b(?:dim|dwi ddim (?:eisiau|isio|moyn)) (?:mwy o |rhagor o )?(?:negeseuon|tecsts|"
        r"negeseuon testun)\b",
        r"\bgad(?:ewch)? (?:lonydd i )?(?:mi|fi)\b", r"\bllonydd\b",
        r"\bdil(?:ewch|eu|ea) fy rhif\b", r"\brhif anghywir\b",
        r"\b(?:dos|cer|cerwch|ewch) o ?'?ma\b",
    ),
    "pl": (
        r"\bprzesta(?:ń|n|ńcie|ncie)\b",
        r"\bnie (?:pisz|piszcie|dzwo(?:ń|n)|dzwo(?:ń|n)cie|kontaktuj|wysy(?:ł|l)aj)",
        r"\bnie chc(?:ę|e) (?:(?:już|juz) )?(?:(?:więcej|wiecej) )?(?:wiadomo(?:ś|s)ci|sms(?:ów|ow)?)\b",
        r"\bzostaw(?:cie)? mnie\b", r"\bdaj(?:cie)? mi spok(?:ó|o)j\b", r"\bodczep(?:cie)? si(?:ę|e)\b",
        r"\busu(?:ń|n) m(?:ó|o)j numer\b", r"\bz(?:ł|l)y numer\b", r"\bwypisz mnie\b",
        r"\bspadaj\b|\bodwal si(?:ę|e)\b",
    ),
    "ro": (
        r"\bnu-?mi mai (?:scrie(?:ți|ti)?|trimite(?:ți|ti)?)\b",
        r"\bnu (?:m(?:ă|a) )?mai (?:suna|suna(?:ți|ti)|contacta|scrie)\b",
        r"\bnu (?:mai )?(?:vreau|doresc) (?:mesaje|sms|sms-uri)\b",
        r"\bl(?:ă|a)s(?:ă|a)(?:ți|ti)?-m(?:ă|a)(?: (?:î|i)n pace)?\b", r"\bopri(?:ți|ti)\b",
        r"\bgata cu mesajele\b", r"\b(?:ș|s)terge(?:ți|ti)?-mi num(?:ă|a)rul\b",
        r"\bnum(?:ă|a)r gre(?:ș|s)it\b", r"\bdu-te dracu", r"\bcar(?:ă|a)-te\b",
    ),
    "ar": (
        r"(?<!\w)توقف(?:وا|ي)?(?!\w)",
        r"(?<!\w)لا (?:ترسل|ترسلي|ترسلوا|تراسلني|تتصل|تتصلي|تتصلوا|تكتب|تكتبي)",
        r"(?:لا أريد|لا اريد|ما أبي|ما ابي|مش عايز|مش عاوز) (?:أي |اي )?(?:رسائل|رسايل)",
        r"(?<!\w)(?:اتركني|اتركوني|دعني وشأني|خلني في حالي|سيبني)",
        r"(?<!\w)(?:احذف|احذفوا|امسح|امسحوا) رقمي", r"رقم (?:خطأ|خاطئ|غلط)",
        r"(?<!\w)(?:ابعد عني|انقلع|اذهب بعيدا)",
    ),
}
POSSIBLE_STOP_PATTERNS += [re.compile(pattern) for patterns in POSSIBLE_STOP_IN.values()
                           for pattern in patterns]
# Romanian ş and ţ with a cedilla read as ș and ț with a comma.
_ROMANIAN_CEDILLA = str.maketrans("şţ", "șț")


@dataclass(frozen=True)
class Meaning:
    kind: str  # "stop", "start", "help" or "reply"
    keyword: str | None = None
    possible_stop: bool = False


def _is_edge_noise(char):
    """Spaces, punctuation, symbols and invisible characters around a keyword."""
    return unicodedata.category(char)[0] in ("P", "Z", "S", "C")


def bare_word(body):
    """The message with surrounding spaces and punctuation removed, upper-cased."""
    text = unicodedata.normalize("NFKC", body or "")
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end].upper()


def reads_like_stop(body):
    text = (unicodedata.normalize("NFKC", body or "").lower().replace("\u2019", "'")
            .translate(_ROMANIAN_CEDILLA))
    return any(pattern.search(text) for pattern in POSSIBLE_STOP_PATTERNS)


def meaning_of(body):
    """Classify an incoming text."""
    word = bare_word(body)
    if word in KIND_BY_KEYWORD:
        return Meaning(kind=KIND_BY_KEYWORD[word], keyword=word)
    return Meaning(kind="reply", possible_stop=reads_like_stop(body))
