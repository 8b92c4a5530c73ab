"""Demo data for trying Mend out: invented people, repairs, texts, replies and outcomes
over the past 90 days, enough that the outcome ledger shows rates (several rows of 10
or more repairs) and some rows suppressed.

It only runs in development on a database that holds nobody's data yet. Every person
is called "(demo)" and has a number from Ofcom's drama range (07700 900xxx), which is
never given to a real phone, and the load is one audit event.
"""
import random
from dataclasses import dataclass
from datetime import timedelta

from sms import repairs as rules
from sms.rendering import render_text
from storage import contacts, demo, events, inbound, repairs, sms_templates, users
from storage.connection import to_db_time, utc_now, write_transaction

FIRST_NAMES = ("Robin", "Jordan", "Casey", "Morgan", "Riley", "Jamie", "Taylor", "Avery",
               "Charlie", "Rowan", "Quinn", "Sasha", "Frankie", "Reese", "Drew", "Skyler",
               "Emery", "Hayden", "Kit", "Lee")
# (template id, repairs): several rows of 10 or more, and a few under 10 (suppressed).
PLAN = (("no-rush-no-pressure", 34), ("door-stays-open", 26), ("okay-to-be-angry", 22),
        ("still-here-next-meeting", 24), ("missed-meeting-your-choice", 14),
        ("what-i-meant", 12), ("i-got-it-wrong", 11), ("ended-early-welcome-back", 7),
        ("back-after-time-away", 5), ("thank-you-for-telling-me", 4), (None, 6))
REPLIES = ("Thanks", "ok", "Thank you for the text", "See you then", "yeah ok", "cheers")
REFLECTIONS = {
    "how_it_felt": ("Unsettled, and a bit defensive.", "Worried I had pushed too hard."),
    "when_noticed": ("When the conversation went quiet.", "Towards the end, when plans came up."),
    "how_noticed": ("They looked away and kept their coat on.", "Shorter answers than usual."),
    "feelings_left": ("Some guilt, and hope we can talk.", "Tired, but curious about it."),
}


class DemoRefused(RuntimeError):
    """Why demo data was not loaded, in words for the person running the command."""


@dataclass(frozen=True)
class Loaded:
    people: int
    repairs: int
    texts: int
    replies: int


def _check(db, environment):
    if environment != "development":
        raise DemoRefused("Demo data is only loaded in development (MEND_ENV=development). "
                          "Nothing was loaded.")
    if demo.holds_data(db):
        raise DemoRefused("This database already holds people, texts or repairs. Demo data "
                          "is only loaded into an empty database, so it never mixes with "
                          "real data. Nothing was loaded.")
    workers = [row for row in users.all_users(db) if row["active"] and row["role"] == "worker"]
    if not workers:
        raise DemoRefused("There are no worker accounts yet: run `flask --app app users demo` "
                          "first. Nothing was loaded.")
    return workers


def load(db, *, environment, now=None, seed=13):
    """Fill an empty development database with invented history; returns the counts."""
    now = now or utc_now()
    rng = random.Random(seed)
    with write_transaction(db):
        workers = _check(db, environment)
        reviewers = [row for row in users.all_users(db)
                     if row["active"] and row["role"] == "reviewer"]
        versions = {v["template_id"]: v for v in sms_templates.usable_versions(db)}
        people = _people(db, workers, rng, now)
        counts = {"repairs": 0, "texts": 0, "replies": 0}
        for template_id, how_many in PLAN:
            version = versions.get(template_id)
            for _ in range(how_many):
                person = rng.choice(people)
                _repair(db, person, version, rng, now, reviewers, counts,
                        situation=version["situation"] if version else "left-angry")
        events.record(db, action="demo.loaded", subject_type="service",
                      detail={"people": len(people), **counts, "days": 90, "seed": seed})
    return Loaded(people=len(people), **counts)


def _people(db, workers, rng, now):
    people = []
    for index in range(60):
        worker = workers[index % len(workers)]
        name = f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {index // len(FIRST_NAMES) + 1} (demo)"
        contact_id = contacts.create(db, preferred_name=name, phone=f"+447700900{index:03d}",
                                     key_worker_id=worker["id"], created_by=worker["id"])
        contacts.record_consent(db, contact_id=contact_id, state="granted", method="in_person",
                                recorded_by=worker["id"], note="Demo data.",
                                at=now - timedelta(days=100))
        demo.backdate_contact(db, contact_id, now - timedelta(days=100))
        people.append({"id": contact_id, "name": name, "worker": worker})
    return people


def _repair(db, person, version, rng, now, reviewers, counts, *, situation):
    started = now - timedelta(days=rng.uniform(0, 90))
    worker = person["worker"]
    repair_id = repairs.create(
        db, contact_id=person["id"], worker_id=worker["id"], situation=situation,
        kind=rules.kind_of(situation), happened_at=started - timedelta(hours=rng.uniform(1, 30)),
        note="", created_at=started, demo=True)
    counts["repairs"] += 1
    fields = {}
    if version is not None:
        fields.update(_text_and_reply(db, repair_id, person, version, rng, now, started, counts))
    fields.update(_meeting_and_ending(db, repair_id, worker, rng, now, started))
    repairs.update(db, repair_id, **fields)
    if rng.random() < 0.4:
        _reflection(db, repair_id, worker, rng, started, reviewers)


def _text_and_reply(db, repair_id, person, version, rng, now, started, counts):
    sent = min(started + timedelta(hours=rng.uniform(1, 20)), now - timedelta(minutes=5))
    rendered = render_text(version["body"], {
        "name": person["name"], "worker": person["worker"]["name"].split()[0], "service": "",
        "next_meeting": "Tuesday 3 December at 2pm", "personal": ""})
    message_id = demo.insert_text(
        db, contact_id=person["id"], worker_id=person["worker"]["id"],
        template_version_id=version["id"], rendered=rendered, created_at=started,
        sent_at=sent, status="delivered")
    repairs.link_text(db, repair_id=repair_id, message_id=message_id, role="repair", at=started)
    counts["texts"] += 1
    fields = {"template_version_id": version["id"], "texts_sent": 1}
    if rng.random() < 0.45:
        received = sent + timedelta(hours=rng.uniform(0.2, 120))
        if received < now:
            inbound_id = inbound.record(
                db, provider_sid=f"SMdemo{repair_id:026d}", from_number=None,
                contact_id=person["id"], body=rng.choice(REPLIES), kind="reply",
                received_at=received)
            inbound.mark_read(db, [inbound_id], read_by=person["worker"]["id"], at=received)
            repairs.link_reply(db, repair_id=repair_id, inbound_id=inbound_id, at=received)
            counts["replies"] += 1
            fields.update(replies=1, replied_72h=int(rules.replied_in_time(sent, received)))
    return fields


def _meeting_and_ending(db, repair_id, worker, rng, now, started):
    fields = {}
    planned = started + timedelta(days=rng.uniform(1, 18))
    if planned >= now:
        fields["next_meeting_at"] = to_db_time(planned)
    else:
        outcome = rng.choices(list(rules.MEETING_OUTCOMES), weights=(35, 20, 25, 10, 10))[0]
        repairs.record_meeting(db, repair_id=repair_id, planned_for=to_db_time(planned),
                               outcome=outcome, recorded_by=worker["id"],
                               at=min(planned + timedelta(hours=20), now))
        fields.update(came_14d=int(rules.came_in_time(started, planned, outcome)),
                      talked=int(outcome == "talked"))
        if outcome != "rearranged" and rng.random() < 0.75:
            ending = rng.choices(rules.WORKER_ENDINGS, weights=(45, 25, 10, 20))[0]
            fields.update(closed_at=to_db_time(min(planned + timedelta(days=2), now)),
                          ending=ending, closed_by=worker["id"])
    if "closed_at" not in fields and rules.due_to_close(started, now):
        fields.update(closed_at=to_db_time(started + rules.AUTO_CLOSE_AFTER),
                      ending="not_recorded", next_meeting_at=None)
    return fields


def _reflection(db, repair_id, worker, rng, started, reviewers):
    answers = {key: rng.choice(options) for key, options in REFLECTIONS.items()}
    repairs.save_reflection(db, repair_id=repair_id, worker_id=worker["id"], answers=answers)
    demo.backdate_reflection(db, repair_id, started)
    if reviewers and rng.random() < 0.5:
        repairs.share_reflection(db, repair_id, reviewer_id=rng.choice(reviewers)["id"],
                                 share_first_name=rng.random() < 0.5, at=started)


