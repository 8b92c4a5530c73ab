"""Which shipped language a reply reads as, so a worker who reads it can answer.

Simple, tested rules, not a language-identification library: replies are a few words
("Diolch", "nie teraz", "ok mersi"), where statistical detectors are at their weakest,
and the libraries that are good on short texts carry large models (tens to hundreds of
megabytes) for a hint on the inbox. The rules: Arabic script; letters only one of the
languages uses (Welsh ŵ ŷ, Polish ł ą ę ś ź ż ć ń, Romanian ș ț ă); and common short words
of each language, which work without accents too ("dziekuje", "multumesc"). The answer is
a hint ("reads as Welsh"), never a decision: it changes nothing about who gets a text.
When nothing stands out, or English words win, the reply is not marked.

The word lists were written by the project, not by fluent speakers.
"""
import re
import unicodedata

from .languages import ENGLISH, LANGUAGES

# Letters that only this language (of the shipped ones) writes.
OWN_LETTERS = {
    "cy": set("ŵŷ"),
    "pl": set("łąęśźżćń"),
    "ro": set("șțşţă"),
}
# Short words that say "this language" (2 points) and words the language shares with
# others or that are short (1 point). Lower case, with and without accents.
WORDS = {
    "cy": {
        2: {"diolch", "iawn", "dw", "dwi", "dwi'n", "rwy'n", "rydw", "ydw", "ydy", "mae", "mae'n",
            "ddim", "ie", "nage", "gyda", "efo", "hefyd", "plis", "gwela", "wela", "nawr", "rŵan",
            "rwan", "heddiw", "yfory", "hwyl", "shwmae", "sori", "pryd", "sut", "beth", "pam",
            "wedi", "eisiau", "isio", "moyn", "angen", "methu", "gallu", "cymraeg", "siarad",
            "ffonio", "neges", "negeseuon", "stopio", "peidiwch", "llonydd", "nhw", "ein",
            "eich", "achos", "oherwydd", "bydd", "bydda", "roedd", "oedd", "oes", "does",
            "ymlaen", "diwrnod", "amser", "gwaith", "ble", "yma", "fy", "chdi", "chi'n",
            "ti'n", "fi'n", "bore", "prynhawn", "noswaith", "cariad", "croeso", "gwybod"},
        1: {"yn", "da", "ti", "chi", "ni", "fi", "ond", "neu", "dim", "helo", "oce"},
    },
    "pl": {
        2: {"nie", "tak", "jest", "się", "sie", "dziękuję", "dziekuje", "dzięki", "dzieki",
            "dobrze", "cześć", "czesc", "witam", "proszę", "prosze", "jestem", "mam", "mnie",
            "czy", "już", "juz", "teraz", "później", "pozniej", "jutro", "dzisiaj", "dziś",
            "więcej", "wiecej", "może", "moze", "bardzo", "wszystko", "że", "przepraszam",
            "chcę", "chce", "potrzebuję", "potrzebuje", "nic", "zadzwoń", "zadzwon", "zostaw",
            "spokoju", "pisz", "piszę", "pisze", "kiedy", "gdzie", "dlaczego", "jak", "ale",
            "bo", "też", "tez", "jeszcze", "jesteś", "jestes", "pan", "pani", "spotkanie",
            "wiadomość", "wiadomosc", "wiadomości", "wiadomosci", "pozdrawiam", "okej",
            "razie"},
        1: {"ja", "ty", "co", "na", "od", "dla", "mi", "ci", "nam"},
    },
    "ro": {
        2: {"mulțumesc", "multumesc", "mersi", "bine", "sunt", "este", "și", "când", "cand",
            "acum", "mâine", "maine", "azi", "astăzi", "astazi", "vreau", "pot", "poți",
            "poti", "îmi", "imi", "pare", "rău", "rau", "bună", "buna", "salut", "dar", "în",
            "nimic", "mai", "foarte", "eu", "lasă", "lasa", "pace", "scrie", "mesaje",
            "vorbim", "vedem", "să", "unde", "cum", "nu", "da", "ești", "esti", "sau", "mă",
            "te", "ce", "ai", "am", "sunați", "sunati", "întâlnire", "intalnire", "aici",
            "acasă", "acasa", "ok-ul", "noroc", "săptămâna", "saptamana", "vineri", "luni"},
        1: {"pe", "la", "cu", "si", "sa", "ma", "e"},
    },
}
ENGLISH_WORDS = {
    "the", "and", "you", "i", "to", "it", "is", "me", "my", "not", "no", "yes",
    "thanks", "thank", "please", "stop", "sorry", "what", "when", "why", "how", "can",
    "don't", "dont", "im", "i'm", "will", "see", "your", "are", "be", "so", "but", "just",
    "get", "got", "now", "later", "fine", "good", "hi", "hello", "hey", "text", "this",
    "that", "of", "for", "on", "in", "at", "with", "a", "an", "have", "was", "u", "do",
    "meet", "tomorrow", "today", "there", "here", "leave", "alone", "want", "number",
}
_WORD = re.compile(r"[\w'’-]+")


def _is_arabic(char):
    return unicodedata.name(char, "").startswith("ARABIC")


def language_of(text):
    """The shipped language (other than English) `text` reads as, or None."""
    text = unicodedata.normalize("NFC", text or "").lower()
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return None
    if sum(_is_arabic(char) for char in letters) * 2 >= len(letters):
        return "ar"
    words = [word.replace("’", "'").strip("'-") for word in _WORD.findall(text)]
    words += [part for word in words if "-" in word for part in word.split("-") if part]
    scores = {code: 3 * len(OWN_LETTERS[code] & set(letters)) for code in OWN_LETTERS}
    for code, weighted in WORDS.items():
        for weight, vocabulary in weighted.items():
            scores[code] += weight * sum(word in vocabulary for word in words)
    english = 2 * sum(word in ENGLISH_WORDS for word in words)
    best = max(scores, key=lambda code: (scores[code], -list(LANGUAGES).index(code)))
    runner_up = max(score for code, score in scores.items() if code != best)
    if scores[best] >= 2 and scores[best] > english and scores[best] > runner_up:
        return best
    return None


def waiting_for_a_language(replies, team_languages):
    """The replies that read as a language nobody in `team_languages` has, each with
    `language` added. English is everyone's (Mend's own words are English)."""
    known = set(team_languages) | {ENGLISH}
    found = []
    for reply in replies:
        code = language_of(reply["body"])
        if code and code not in known:
            found.append({**reply, "language": code})
    return found
