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
    text = unicodedata.normalize("NFKC", body or "").lower().replace("\u2019", "'")
    return any(pattern.search(text) for pattern in POSSIBLE_STOP_PATTERNS)


def meaning_of(body):
    """Classify an incoming text."""
    word = bare_word(body)
    if word in KIND_BY_KEYWORD:
        return Meaning(kind=KIND_BY_KEYWORD[word], keyword=word)
    return Meaning(kind="reply", possible_stop=reads_like_stop(body))
