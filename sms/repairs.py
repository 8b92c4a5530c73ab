"""The repair journey's rules: what kind of rupture each situation is, the answers a
worker gives along the way, the follow-up plan's timing, when a repair closes itself,
and the outcome ledger's arithmetic (95 % Wilson intervals, and no figure at all for
fewer than 10 repairs). No Flask and no storage: callers pass plain values.
"""
import math
import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from .library import SITUATIONS

WITHDRAWAL = "withdrawal"
CONFRONTATION = "confrontation"
KIND_LABELS = {
    WITHDRAWAL: "Withdrawal (went quiet, missed, pulled back)",
    CONFRONTATION: "Confrontation (angry, complained, ended early)",
}
# Each of the library's situations, as the kind of rupture it usually is.
SITUATION_KINDS = {
    "went-quiet": WITHDRAWAL,
    "left-angry": CONFRONTATION,
    "word-landed-badly": WITHDRAWAL,
    "ended-early-for-safety": CONFRONTATION,
    "missed-meeting": WITHDRAWAL,
    "i-got-it-wrong": CONFRONTATION,
    "after-a-break": WITHDRAWAL,
    "thank-you-for-telling-me": CONFRONTATION,
    "refused-a-request": CONFRONTATION,
    "may-feel-ashamed": WITHDRAWAL,
    "told-then-pulled-away": WITHDRAWAL,
}

NOTE_MAX = 300
REFLECTION_MAX = 1000
# The blog's four questions, in the order it asks them.
REFLECTION_QUESTIONS = {
    "how_it_felt": "How did the conversation make you feel?",
    "when_noticed": "When did you notice that something had gone differently to how you "
                    "hoped or expected?",
    "how_noticed": "How did you notice?",
    "feelings_left": "What feelings are you left with?",
}

MEETING_OUTCOMES = {
    "talked": "They came and we talked about what happened",
    "came": "They came; we have not talked about it yet",
    "did_not_come": "They did not come",
    "rearranged": "We rearranged (give the new time)",
    "other": "Something else",
}
CAME = ("talked", "came")
# Answers that show the two of you are in touch again: the follow-up plan stops.
IN_TOUCH = ("talked", "came", "rearranged")

ENDINGS = {
    "better": "Better",
    "same": "About the same",
    "worse": "Worse",
    "not_sure": "Not sure",
    "not_recorded": "Not recorded (it closed itself after 60 days)",
}
WORKER_ENDINGS = ("better", "same", "worse", "not_sure")

AUTO_CLOSE_AFTER = timedelta(days=60)
REPLY_WITHIN = timedelta(hours=72)
MEETING_WITHIN = timedelta(days=14)
MEETING_RANGE = timedelta(days=60)  # how far back or ahead a planned meeting may be
SMALL_NUMBER = 10
Z_95 = 1.959963984540054

FOLLOW_UP_STRATEGY = "door stays open"
FOLLOW_UP_PLACEHOLDERS = {"name", "worker", "service", "personal"}
FIRST_GAPS = {3: "After 3 days", 7: "After 1 week", 14: "After 2 weeks"}
SECOND_GAPS = {0: "No second text", 14: "2 weeks after the first",
               30: "1 month after the first"}
DEFAULT_FIRST_GAP, DEFAULT_SECOND_GAP = 7, 30

PLAN_ENDED = {
    "replied": "They replied, so the follow-up texts were cancelled.",
    "stop": "They texted STOP, so the follow-up texts were cancelled.",
    "delivery_failed": "A text to them could not be delivered, so the follow-up texts "
                       "were cancelled.",
    "met": "You recorded that you are in touch again, so the follow-up texts were "
           "cancelled.",
    "closed": "The repair was closed, so the follow-up texts were cancelled.",
    "worker": "You cancelled the follow-up texts.",
    "erased": "The person's details were erased.",
}


def kind_of(situation):
    return SITUATION_KINDS[situation]


def situation_choices():
    """(slug, label) for the start form: the library's situations with their kind (not
    the ones only Mend itself texts about, such as the out-of-hours reply)."""
    return [(slug, f"{label} ({SITUATION_KINDS[slug]})") for slug, label in SITUATIONS.items()
            if slug in SITUATION_KINDS]


def mentions_name(text, name):
    """True when `text` names the person (any part of their preferred name, as a word)."""
    parts = re.findall(r"\w{2,}", name or "")
    return any(re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text or "", re.IGNORECASE)
               for part in parts)


def follow_up_due(after, first_days, second_days):
    """When each follow-up falls due, before the send window is applied."""
    first = after + timedelta(days=first_days)
    return [first] + ([first + timedelta(days=second_days)] if second_days else [])


def meeting_question(name, planned_for, now, zone):
    """'Did you meet Alex on Thursday?' (the day alone within the last week)."""
    local = planned_for.astimezone(ZoneInfo(zone))
    recent = timedelta(0) <= now - planned_for < timedelta(days=6)
    day = f"{local:%A}" if recent else f"{local:%A} {local.day} {local:%B}"
    return f"Did you meet {name} on {day}?"


def due_to_close(created_at, now):
    return now - created_at >= AUTO_CLOSE_AFTER


def replied_in_time(first_sent_at, received_at):
    return (first_sent_at is not None
            and timedelta(0) <= received_at - first_sent_at <= REPLY_WITHIN)


def came_in_time(started_at, planned_for, outcome):
    return outcome in CAME and planned_for - started_at <= MEETING_WITHIN


# --- the outcome ledger -------------------------------------------------------------

# (key in the JSON and the storage row, words people read)
MEASURES = (
    ("replied_within_72_hours", "Replied within 72 hours (texts ask for none)"),
    ("came_to_next_meeting_within_14_days", "Came to the next planned meeting within 14 days"),
    ("talked_about_what_happened", "Talked about what happened"),
    ("ended_better", "Ended: better"),
    ("ended_same", "Ended: about the same"),
    ("ended_worse", "Ended: worse"),
    ("ended_not_sure", "Ended: not sure"),
    ("ended_not_recorded", "Ended: not recorded"),
    ("still_open", "Still open"),
)
CHARTED = MEASURES[:4]
SUPPRESSED_LABEL = "fewer than 10"


def wilson(count, total, z=Z_95):
    """The 95 % Wilson score interval for count/total, as (low, high); None if total is 0."""
    if total <= 0:
        return None
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Measure:
    count: int
    rate: float
    low: float
    high: float

    @classmethod
    def of(cls, count, total):
        low, high = wilson(count, total)
        return cls(count, count / total, low, high)

    def as_json(self):
        return {"count": self.count, "rate": round(self.rate, 4),
                "low": round(self.low, 4), "high": round(self.high, 4)}

    def describe(self):
        return (f"{self.count} ({self.rate:.0%}, 95% interval "
                f"{self.low:.0%} to {self.high:.0%})")


@dataclass(frozen=True)
class LedgerRow:
    situation: str | None
    template_id: str | None
    template_version: int | None
    template_title: str | None
    strategy: str | None
    repairs: int | None
    texts_sent: int | None
    measures: dict  # key -> Measure, or None on a suppressed row

    @property
    def suppressed(self):
        return self.repairs is None

    @property
    def situation_label(self):
        return SITUATIONS.get(self.situation, self.situation or "")

    def as_json(self):
        row = {"situation": self.situation, "template_id": self.template_id,
               "template_version": self.template_version, "strategy": self.strategy,
               "repairs": self.repairs, "texts_sent": self.texts_sent,
               "suppressed": self.suppressed}
        for key, _ in MEASURES:
            measure = self.measures.get(key) if self.measures else None
            row[key] = measure.as_json() if measure else None
        return row


def ledger_row(counts):
    """One row of the ledger from one group's counts (a dict with `repairs`, `texts_sent`
    and a count per measure). Fewer than 10 repairs: no figure at all."""
    repairs = counts["repairs"]
    common = dict(situation=counts.get("situation"), template_id=counts.get("template_id"),
                  template_version=counts.get("template_version"),
                  template_title=counts.get("template_title"),
                  strategy=counts.get("strategy"))
    if repairs < SMALL_NUMBER:
        return LedgerRow(**common, repairs=None, texts_sent=None, measures=None)
    return LedgerRow(**common, repairs=repairs, texts_sent=counts["texts_sent"],
                     measures={key: Measure.of(counts[key], repairs) for key, _ in MEASURES})


def _order(counts):
    """Situations in the library's order, then template and version: never by a rate,
    so the ledger cannot be read as a league table of templates."""
    situations = list(SITUATIONS)
    situation = counts.get("situation")
    return (situations.index(situation) if situation in situations else len(situations),
            counts.get("template_id") is None, counts.get("template_id") or "",
            counts.get("template_version") or 0)


def ledger(groups):
    return [ledger_row(counts) for counts in sorted(groups, key=_order)]


def suppressed_count(count):
    """A count shown to people: the number, or "fewer than 10"."""
    return count if count >= SMALL_NUMBER else SUPPRESSED_LABEL
