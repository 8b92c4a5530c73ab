"""The rules of a good repair text, as checks over the exact text that will be sent.

Each finding has a stable `code` (stored on audit events, safe to match on) and a
message for the worker or reviewer that says why it matters. A template must pass
every check to be approved; for a worker's own words they are warnings.

Checks run in the text's language (`language=`, a code from `sms.languages`). The blame,
demand, deadline, privacy and intimacy checks use that language's word lists (English
here, the others in `sms/wordlists.py`, written by the project and waiting for a fluent
speaker's review); the English lists never run on another language's text. Where a
language has no list, one finding says Mend cannot check it and that the reviewer's
approval is the check. Reading age is measured for English only (`notes_for` says so).
"""
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import cached_property

from . import encoding, wordlists
from .languages import ENGLISH, name_of

MAX_PARTS = 2


@dataclass(frozen=True)
class Finding:
    code: str
    message: str

    def as_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class Context:
    """What the checks need to know beyond the text itself."""
    worker: str = ""
    service_name: str = ""
    service_allowed: bool = False


# A phrase starts and ends at the edge of a word.
WORD_START, WORD_END = r"(?<![\w-])", r"(?![\w-])"


class Phrases:
    """One list's phrases, each compiled on its own (so every phrase in a text is found,
    even one inside another), and `any_in`: one pattern that says whether the text holds
    any of them at all. Most texts hold none; one pass over the text for the whole list
    costs about a sixth of a pass for each phrase (measured on a 150-character text).

    Compiled when first used: the lists of five languages took a fifth of a second to
    compile, paid by every command and server process at start, most never checking
    a text."""

    def __init__(self, cores):
        self.cores = tuple(cores)

    @cached_property
    def _patterns(self):
        phrases = tuple(re.compile(f"{WORD_START}(?:{core}){WORD_END}", re.IGNORECASE)
                        for core in self.cores)
        if any(phrase.groups for phrase in phrases):  # joined, a group's number would change
            raise ValueError("a phrase has a capturing group: write (?:...)")
        return phrases

    @cached_property
    def any_in(self):
        patterns = self._patterns  # first, so a capturing group is refused before joining
        any_phrase = "|".join(f"(?:{core})" for core in self.cores) if patterns else "(?!)"
        return re.compile(rf"{WORD_START}(?:{any_phrase}){WORD_END}", re.IGNORECASE).search

    def __iter__(self):
        return iter(self._patterns)


def _phrases(*patterns):
    return Phrases(patterns)


BLAME = _phrases(
    r"non[- ]?engag(?:er|ers|ing|ement)", r"not engaging", r"disengaged",
    r"hard[- ]to[- ]reach", r"treatment[- ]resistant", r"resistant",
    r"your (?:behaviour|behavior|attitude|choices?)", r"calm down",
    r"you always", r"you never", r"attention[- ]seeking", r"manipulative",
    r"non[- ]?compliant", r"chaotic", r"unacceptable", r"inappropriate",
    r"kicked off", r"your fault", r"you made me", r"you should(?:n't| not)? have",
    r"over[- ]?react(?:ed|ing)?", r"too sensitive", r"aggressive", r"difficult person",
    r"you refused", r"you failed",
)
DEMANDS = _phrases(
    r"you must", r"you need to", r"you have to", r"you've got to", r"you should",
    r"reply now", r"text me back", r"call me(?: back)?", r"get back to me",
    r"let me know", r"please (?:reply|answer|respond|text back)", r"we need to talk",
    r"(?<!to )see you",
    r"as soon as possible", r"asap", r"urgent(?:ly)?", r"immediately", r"right away",
    r"make sure you", r"don't forget", r"i expect",
)
DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|tonight|today|noon|midday"
DEADLINES = _phrases(
    rf"(?:by|before|until) (?:the end of |end of |)(?:{DAYS}|\d{{1,2}}(?::\d\d)?\s*(?:am|pm)|the \d{{1,2}}(?:st|nd|rd|th)?|next week|this week)",
    r"within (?:\d+|a|an|one|two|three|24|48) (?:hours?|days?|weeks?)",
    r"deadline", r"last chance", r"or (?:else|you(?:'ll| will) lose)", r"final (?:warning|reminder)",
)
SENSITIVE = _phrases(
    r"homeless(?:ness)?", r"rough sleep(?:ing|er)?", r"hostels?", r"shelters?", r"refuge",
    r"mental health", r"psychiatr(?:y|ic|ist)", r"psycholog(?:y|ist)", r"sectioned",
    r"drugs?", r"alcohol(?:ic|ism)?", r"addict(?:ion|ed)?", r"rehab", r"detox", r"methadone",
    r"substances?", r"probation", r"parole", r"prison", r"offend(?:er|ing)",
    r"therap(?:y|ist|ies)", r"counsell?(?:ing|or)", r"rupture", r"overdos(?:e|ed|ing)",
    r"benefits", r"universal credit", r"self[- ]harm", r"suicid(?:e|al)", r"crisis",
    r"diagnos(?:is|ed)", r"medication", r"social services", r"safeguarding",
    r"kicked out", r"barred", r"police", r"hospital", r"evict(?:ed|ion)",
)
# Warm words that can read as a partner's or a lover's when someone else checks the
# phone: a risk of harm where there is domestic abuse. Warmth stays plain.
INTIMATE = _phrases(
    r"(?:i've|i have|i've been|i have been|been) thinking (?:of|about) you",
    r"thinking (?:of|about) you", r"(?:i )?miss(?:ed)? you", r"(?:i )?love you",
    r"(?:like|love|want|wanted|hope|long) to see you", r"can't wait to see you",
    r"(?:i'm|i am) here when you want me", r"when you want me", r"(?:i )?need you",
    r"(?:you're|you are) (?:always )?on my mind", r"(?:sweet dreams|sleep well)",
    r"(?:thinking of|with) you always", r"x{2,4}", r"hugs?",
)
# Words that look kind but ask for something, or point at what they did.
HIDDEN_DEMANDS = {
    re.compile(r"(?<![\w-])still(?![\w-])", re.IGNORECASE):
        "can read as “despite what you did”. Leave it out: the sentence is kinder without it.",
    re.compile(r"(?<![\w-])(?:i |we )?(?:haven't|have not|hasn't|not) (?:heard|seen) "
               r"(?:from |of )?you(?![\w-])", re.IGNORECASE):
        "points at their silence. Say what you offer instead, like “I'm here when you "
        "want to talk”.",
    re.compile(r"(?<![\w-])(?:if|does|do) (?:that|it|this) (?:works?|suits?)(?: for)? you"
               r"(?![\w-])", re.IGNORECASE):
        "asks for a yes or no. Offer the time and another as a choice, like “or we can "
        "pick another time”.",
}
NO_REPLY_NEEDED = re.compile(r"no need to (?:reply|answer|respond)|(?:you )?(?:don't|do not) "
                             r"(?:need|have) to (?:reply|answer|respond)", re.IGNORECASE)
# A one-word answer the phone company treats as a command (sms.keywords).
KEYWORD_ANSWER = re.compile(
    r"(?<![\w-])(?:reply|text|send|say|answer|respond)(?: back)?(?: with)?(?: just)?"
    r"(?: a| the word)? [\"“‘']?(yes|y|start|stop|help|info)[\"”’']?(?![\w-])",
    re.IGNORECASE)
DAY_WORDS = re.compile(
    r"(?<![\w-])(?:today|tonight|tomorrow|yesterday|this (?:morning|afternoon|evening)|"
    r"last night|(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:this|next|last) week(?:end)?)"
    r"(?![\w-])", re.IGNORECASE)
LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|uk|io|ly|me|info|link|app)"
    r"(?:/\S*)?\b", re.IGNORECASE)
LEFT_TO_FILL = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z _]{2,30}\}|\[(?:[A-Za-z _]{2,30})\]|<(?:[A-Za-z _]{2,30})>|\bX{3,}\b|\bTBC\b")
GREETING = re.compile(r"^(?:hi|hello|hey|dear|morning|afternoon|evening)\b[ ,]*",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Words:
    """What the checks look for in one language's text."""
    blame: Phrases
    demands: Phrases
    deadlines: Phrases
    sensitive: Phrases
    intimate: Phrases
    no_reply: re.Pattern
    greeting: re.Pattern
    sign_off: str  # a regular expression with {name} where the worker's name goes
    days: re.Pattern


ENGLISH_SIGN_OFF = (r"(?:\b(?:it's|it is|this is|from|love|thanks|cheers|best wishes|"
                    r"take care),?\s+{name}\b|\b{name} here\b|(?:^|\n)\s*-?\s*{name}\s*$)")
ENGLISH_WORDS = Words(BLAME, DEMANDS, DEADLINES, SENSITIVE, INTIMATE, NO_REPLY_NEEDED,
                      GREETING, ENGLISH_SIGN_OFF, DAY_WORDS)


def _language_words(code, lists):
    prefix = wordlists.ARABIC_PREFIX if code == "ar" else ""

    def compiled(key, joined=True):
        return Phrases([f"{prefix if joined else ''}(?:{pattern})" for pattern in lists[key]])
    days = "|".join(f"(?:{pattern})" for pattern in lists["days"])
    return Words(compiled("blame"), compiled("demands"), compiled("deadlines"),
                 compiled("sensitive"), compiled("intimate"),
                 re.compile(lists["no_reply"], re.IGNORECASE),
                 re.compile(lists["greeting"], re.IGNORECASE), lists["sign_off"],
                 re.compile(rf"(?<![\w-])(?:{days})(?![\w-])", re.IGNORECASE))


WORDS = {ENGLISH: ENGLISH_WORDS,
         **{code: _language_words(code, lists) for code, lists in wordlists.BY_LANGUAGE.items()}}

# Romanian is written with ș and ț (comma below) or, on older keyboards, ş and ţ (cedilla):
# both match. One character for one, so a phrase is reported as it was written.
_FOR_MATCHING = str.maketrans("şţŞŢ’", "șțȘȚ'")


def _first_match(patterns, text):
    """Every distinct phrase found, as first written, in the order it appears.

    A phrase inside a longer one ("resistant" in "treatment resistant") is not repeated.
    """
    matched = text.translate(_FOR_MATCHING)
    if patterns.any_in(matched) is None:
        return []
    spans = sorted({match.span() for pattern in patterns for match in pattern.finditer(matched)},
                   key=lambda span: (span[0], -span[1]))
    phrases, covered_to = {}, -1
    for start, end in spans:
        if end <= covered_to:
            continue
        covered_to = end
        phrases.setdefault(text[start:end].lower(), text[start:end])
    return list(phrases.values())


def _without_service_name(text, context):
    if context.service_allowed and context.service_name:
        return re.sub(re.escape(context.service_name), " ", text, flags=re.IGNORECASE)
    return text


def blame(text, context, words=ENGLISH_WORDS):
    return [Finding("blame", f"“{phrase}” can read as blame or a label. People we support "
                             "have often been blamed by services before, and it can push "
                             "them away. Say what you noticed, or own your part.")
            for phrase in _first_match(words.blame, text)]


def demands(text, context, words=ENGLISH_WORDS):
    return [Finding("demand", f"“{phrase}” reads as a demand. A repair text offers and "
                              "leaves the choice with them: if, when and how to talk.")
            for phrase in _first_match(words.demands, text)]


def deadlines(text, context, words=ENGLISH_WORDS):
    return [Finding("deadline", f"“{phrase}” sets a deadline. A deadline adds pressure; "
                                "offer a time as a choice instead.")
            for phrase in _first_match(words.deadlines, text)]


def sensitive_words(text, context, words=ENGLISH_WORDS):
    checked = _without_service_name(text, context)
    return [Finding("privacy", f"“{phrase}” could tell anyone who sees this phone about "
                               "their situation. Phones are often shared or checked by "
                               "others: leave it out.")
            for phrase in _first_match(words.sensitive, checked)]


def intimate(text, context, words=ENGLISH_WORDS):
    return [Finding("intimate", f"“{phrase}” can read as personal, as if from a partner, to "
                                "someone who checks this phone. For some people that puts "
                                "them at risk. Keep warmth plain, like “I'm here when you "
                                "want to talk”.")
            for phrase in _first_match(words.intimate, text)]


def hidden_demands(text, context, words=ENGLISH_WORDS):
    """English only: the words are English ("still", "I haven't heard from you")."""
    if words is not ENGLISH_WORDS:
        return []
    found = sorted((match.start(), match.group(0), why)
                   for pattern, why in HIDDEN_DEMANDS.items()
                   for match in pattern.finditer(text))
    return [Finding("hidden-demand", f"“{phrase}” {why}")
            for phrase, why in dict.fromkeys((phrase, why) for _, phrase, why in found)]


def question_with_no_reply(text, context, words=ENGLISH_WORDS):
    if not re.search(r"[?؟]", text) or not words.no_reply.search(text.translate(_FOR_MATCHING)):
        return []
    return [Finding("question", "This asks a question and says no reply is needed. A "
                                "question asks for an answer: make it an offer, like “We "
                                "could talk it over next time”.")]


# In any language, the provider answers its own (English) keywords: a text that asks
# for "YES" or "STOP" in capitals, whatever language is around it, asks for a keyword.
KEYWORD_IN_CAPITALS = re.compile(r"(?<![\w-])[\"“‘'„«]?(YES|START|STOP|HELP|INFO|UNSTOP)"
                                 r"[\"”’'»]?(?![\w-])")


def keyword_answer(text, context, words=ENGLISH_WORDS):
    if words is ENGLISH_WORDS:
        found = [(match.group(0), match.group(1)) for match in KEYWORD_ANSWER.finditer(text)]
    else:
        found = [(match.group(0), match.group(1)) for match in KEYWORD_IN_CAPITALS.finditer(text)]
    return [Finding("keyword-answer", f"“{phrase}” asks for a one-word "
                                      f"“{word.capitalize()}”. The phone company "
                                      "answers that word automatically, and it can change "
                                      "whether they get texts. Don't ask for a one-word "
                                      "answer.")
            for phrase, word in found]


def named_days(text, language=ENGLISH):
    """Day words in a template's own words: the text may arrive on another day."""
    words = WORDS.get(language)
    if words is None:
        return []
    return [Finding("names-a-day", f"“{phrase}” names a day, but the text may arrive on "
                                   "another day: Mend can schedule it later or send it "
                                   "the next morning. Leave the day out, or let Mend "
                                   "write it: {day} for when it happened (“today”, "
                                   "“yesterday”, “on Tuesday”), {next_meeting} for the "
                                   "next meeting.")
            for phrase in dict.fromkeys(m.group(0) for m in
                                        words.days.finditer(text.translate(_FOR_MATCHING)))]


def service_named(text, context, words=ENGLISH_WORDS):
    name = context.service_name.strip()
    if context.service_allowed or not name:
        return []
    if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
        return []
    return [Finding("service-named", f"“{name}” names the service, and this person has not "
                                     "agreed to that. Anyone who sees the phone could "
                                     "learn where the text came from.")]


# A text in a language whose letters need UCS-2 (Welsh ŵ, Polish ł, Romanian ș, Arabic)
# holds 70 characters a part, not 160: it may take up to 4 parts (268 characters, about
# what 2 parts hold in English), so such a language is not held to a shorter text.
MAX_PARTS_UCS2_LANGUAGE = 4


def max_parts(counted, language=ENGLISH):
    if language != ENGLISH and counted.encoding == "UCS-2":
        return MAX_PARTS_UCS2_LANGUAGE
    return MAX_PARTS


def length(text, context, words=ENGLISH_WORDS, language=ENGLISH):
    counted = encoding.count(text)
    limit = max_parts(counted, language)
    if counted.parts <= limit:
        return []
    return [Finding("too-long", f"This text is {counted.parts} parts. Keep it to {limit} at "
                                "most: a long text costs more, is harder to read on a "
                                "small screen and can arrive in pieces.")]


def sign_off(text, context, words=ENGLISH_WORDS):
    worker = context.worker.strip()
    if not worker:
        return []
    says_who = re.compile(words.sign_off.replace("{name}", re.escape(worker)), re.IGNORECASE)
    if says_who.search(encoding.smart_encode(text)[0].translate(_FOR_MATCHING)):
        return []
    example = "it's" if words is ENGLISH_WORDS else "…"
    return [Finding("no-sign-off", f"Say who is texting, like “{example} {worker}”. A text "
                                   "from a number they may not know, with no name, can "
                                   "worry them or be taken for someone else.")]


def links(text, context, words=ENGLISH_WORDS):
    return [Finding("link", f"“{match}” is a link. Links are discouraged: a link preview "
                            "can show where the text came from, and people are often "
                            "warned not to tap links in texts.")
            for match in dict.fromkeys(m.group(0) for m in LINK.finditer(text))]


def left_to_fill(text, context, words=ENGLISH_WORDS):
    return [Finding("unfilled-placeholder", f"“{gap}” looks like a gap left to fill in. "
                                            "Fill it in or take it out: they would see it "
                                            "exactly as written.")
            for gap in dict.fromkeys(m.group(0) for m in LEFT_TO_FILL.finditer(text))]


def name_first(text, context, name=None, words=ENGLISH_WORDS):
    if not name:
        return []
    opening = words.greeting.sub("", text.strip()).lower()
    wanted = name.strip().lower()
    if words is not ENGLISH_WORDS:  # Polish and Romanian change a name's ending (Kasiu, Ioano)
        wanted = wanted[:max(3, len(wanted) - 2)]
    if opening.startswith(wanted):
        return []
    example = f"like “Hi {name}”" if words is ENGLISH_WORDS else f"“{name}”"
    return [Finding("name-first", f"Start with their name, {example}, so they know "
                                  "at once the text is for them.")]


def non_gsm(text, context, words=ENGLISH_WORDS):
    """The cost of characters outside GSM-7. In English, a plain letter is suggested; in
    another language the letters are the language (ŵ, ł, ș, Arabic), so only the cost."""
    counted = encoding.count(text)
    if not counted.non_gsm:
        return []
    named = _name_characters(counted.non_gsm)
    verb = "makes" if len(counted.non_gsm) == 1 else "make"
    plain_parts = encoding.parts_without(counted.text, set(counted.non_gsm))
    if counted.parts > plain_parts:
        cost = f"{named} {verb} this {counted.parts} parts instead of {plain_parts}"
    else:
        plural = "s" if counted.parts != 1 else ""
        cost = (f"{named} {verb} a part hold 70 characters instead of 160 (still "
                f"{counted.parts} part{plural} here)")
    if words is not ENGLISH_WORDS:
        return [Finding("non-gsm", f"{cost}. Each part is billed.")]
    return [Finding("non-gsm", f"{cost}. It is not in the plain text alphabet, and each "
                               "part is billed. Use a plain letter if you can.")]


def _name_characters(chars):
    """ŵ; ł and ś; or, for a script rather than a few letters, "Arabic letters"."""
    scripts = {}
    for char in chars:
        script = unicodedata.name(char, "").split(" ")[0]
        scripts.setdefault(script if script == "ARABIC" else char, []).append(char)
    names = ["Arabic letters" if key == "ARABIC" and len(found) > 2
             else " and ".join(describe_character(char) for char in found)
             for key, found in scripts.items()]
    if len(names) > 4:
        return ", ".join(names[:3]) + f" and {len(names) - 3} other characters"
    return " and ".join(names)


def describe_character(char):
    if char.isprintable() and not char.isspace():
        return char
    return f"U+{ord(char):04X}"


MAX_READING_AGE = 11
MAX_SENTENCE_WORDS = 20


def _syllables(word):
    """A rough English syllable count: good enough to spot long words, not a dictionary."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if len(word) <= 3:
        return 1 if word else 0
    word = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", re.sub(r"^y", "", word))))


def reading_age(text):
    """Flesch-Kincaid grade plus 5: the age a typical reader finds it easy."""
    words = re.findall(r"[A-Za-z']+", text)
    if not words:
        return 0
    sentences = max(1, len(re.findall(r"[.!?]+", text)))
    syllables = sum(_syllables(word) for word in words)
    grade = 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59
    return round(grade + 5)


def plain_words(text, context, language=ENGLISH):
    """For templates: short sentences in any language, and a reading age of about 9 to 11
    in English (the only language Mend measures reading age in: `notes_for` says so)."""
    findings = []
    longest = max(len(sentence.split()) for sentence in re.split(r"[.!?؟]+", text))
    if longest > MAX_SENTENCE_WORDS:
        findings.append(Finding("long-sentence", f"A sentence of {longest} words is hard to "
                                                 "take in when upset. Keep sentences under "
                                                 f"{MAX_SENTENCE_WORDS} words."))
    if language != ENGLISH:
        return findings
    age = reading_age(text)
    if age > MAX_READING_AGE:
        findings.append(Finding("hard-to-read", f"This needs a reading age of about {age}. "
                                                "Aim for 11 or under: short sentences and "
                                                "everyday words."))
    return findings


CHECKS = (blame, demands, hidden_demands, question_with_no_reply, keyword_answer, deadlines,
          sensitive_words, intimate, service_named, length, sign_off, links, left_to_fill,
          non_gsm)
# What can be checked in a language Mend has no word lists for.
CHECKS_WITHOUT_WORDS = (keyword_answer, service_named, length, links, left_to_fill, non_gsm)


# The checks on what a worker typed themselves, which may be in English whatever the
# text's language: their own line goes into a Welsh text exactly as typed.
WORDS_ONLY = (blame, demands, hidden_demands, deadlines, sensitive_words, intimate)


def check_own_line(line, context=Context(), *, language=ENGLISH):
    """The word checks on the worker's own line in English as well as in `language`
    (a line typed in English inside a Welsh text is still checked)."""
    findings = []
    for code in dict.fromkeys((ENGLISH, language)):
        words = WORDS.get(code)
        if words is not None and line.strip():
            findings.extend(finding for check in WORDS_ONLY
                            for finding in check(line, context, words))
    return list(dict.fromkeys(findings))


def not_checked(language):
    return Finding("language-not-checked",
                   f"Mend cannot check text in {name_of(language)} for blame, demands or "
                   "words about their situation. The reviewer's approval is the check: "
                   "ask a reviewer who reads it.")


def check_text(text, context=Context(), *, name=None, language=ENGLISH):
    """Every finding for `text`, the exact text that will be sent, in a stable order,
    with the checks for `language` (the English lists never run on another language)."""
    words = WORDS.get(language)
    if words is None:
        findings = [not_checked(language)]
        findings.extend(finding for check in CHECKS_WITHOUT_WORDS
                        for finding in _run(check, text, context, None, language))
        return findings
    findings = [finding for check in CHECKS
                for finding in _run(check, text, context, words, language)]
    findings.extend(name_first(text, context, name, words))
    return findings


def _run(check, text, context, words, language):
    if check is length:
        return length(text, context, language=language)
    if words is None:  # no lists: a language-neutral check, asked as for another language
        words = _NO_WORDS
    return check(text, context, words)


_NOTHING = re.compile(r"(?!)")
_NO_WORDS = Words(Phrases(()), Phrases(()), Phrases(()), Phrases(()), Phrases(()), _NOTHING,
                  _NOTHING, r"(?!)", _NOTHING)


def notes_for(language):
    """What Mend does not check in `language`, to show beside a text's findings: notes for
    the reviewer, never a reason to refuse a text."""
    if language == ENGLISH:
        return []
    notes = [Finding("reading-age-english-only",
                     f"Mend measures reading age in English only. For {name_of(language)}, "
                     "the reviewer judges whether the words are plain.")]
    if language in wordlists.BY_LANGUAGE:
        notes.append(Finding("word-lists-need-review",
                             f"The {name_of(language)} word lists Mend checks with were "
                             "written by the project, not by a fluent speaker, and catch "
                             "only the obvious. A reviewer who reads the language is the "
                             "real check."))
    else:
        notes.append(not_checked(language))
    return notes
