"""The repair journey, as the worker walks it: start a repair, reflect (and share the
reflection for supervision), plan the next meeting, answer "did you meet", set or
cancel a follow-up plan, close it. Also the hourly sweep (a repair nobody closes
closes itself after 60 days as "not recorded"; a failed text stops a plan), and the
outcome ledger. Each step runs its writes and its audit event in one transaction.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sms import checks, people
from sms import repairs as rules
from sms.rendering import BadTemplate, placeholders_in, render_text
from sms.scheduling import SendTime
from storage import contacts, events, repairs, sms_templates, users
from storage.connection import from_db_time, to_db_time, utc_now, write_transaction

from . import repair_links, texts
from .history_export import safe_cell


PLAN_ALREADY_SET = "A follow-up plan is already set. Cancel it first to set another."


@dataclass(frozen=True)
class Outcome:
    """What a step did: `problem` says, for the worker, why nothing was saved."""
    done: bool
    problem: str | None = None
    cancelled: list = field(default_factory=list)


def start_repair(db, *, contact_id, worker_id, situation, happened_at, note):
    """Start a repair with a person; returns its id."""
    kind = rules.kind_of(situation)
    with write_transaction(db):
        repair_id = repairs.create(db, contact_id=contact_id, worker_id=worker_id,
                                   situation=situation, kind=kind,
                                   happened_at=happened_at, note=note.strip())
        events.record(db, action="repair.started", subject_type="repair",
                      subject_id=repair_id, actor_type="user", actor_id=worker_id,
                      detail={"contact_id": contact_id, "situation": situation,
                              "kind": kind, "has_note": bool(note.strip())})
    return repair_id


def reflect(db, repair, *, answers, worker_id):
    """Write (or rewrite) the worker's private reflection. The event says which
    questions were answered, never the words."""
    answers = {name: (answers.get(name) or "").strip() for name in rules.REFLECTION_QUESTIONS}
    shared = (repairs.reflection(db, repair["id"]) or {}).get("shared_with")
    if shared and any(rules.mentions_name(text, repair["contact_name"])
                      for text in answers.values()):
        return Outcome(False, f"This reflection is shared for supervision, and now names "
                              f"{repair['contact_name']}. Take their name out: reviewers see "
                              "reflections without the names of the people we support. "
                              "Nothing was saved; what you wrote is still here.")
    with write_transaction(db):
        new = repairs.save_reflection(db, repair_id=repair["id"], worker_id=worker_id,
                                      answers=answers)
        events.record(db, action="repair.reflected", subject_type="repair",
                      subject_id=repair["id"], actor_type="user", actor_id=worker_id,
                      detail={"new": new, "answered": [name for name, text in answers.items()
                                                       if text]})
    return Outcome(True)


def reviewers_to_share_with(db, worker_id):
    """The active reviewers a worker may share a reflection with (never themselves)."""
    return [row for row in users.all_users(db)
            if row["active"] and row["role"] == "reviewer" and row["id"] != worker_id]


def share_reflection(db, repair, *, reviewer_id, share_first_name, worker_id):
    """Share the reflection with one named reviewer (None: share with no one).

    A reflection that names the person is not shared: the reviewer sees reflections
    without names."""
    reflection = repairs.reflection(db, repair["id"])
    if reflection is None:
        return Outcome(False, "Write your reflection first, then choose who to share it with.")
    if reviewer_id is not None:
        if reviewer_id not in {row["id"] for row in reviewers_to_share_with(db, worker_id)}:
            return Outcome(False, "Choose a reviewer from the list.")
        if any(rules.mentions_name(reflection[name], repair["contact_name"])
               for name in rules.REFLECTION_QUESTIONS):
            return Outcome(False, f"Your reflection names {repair['contact_name']}. Take their "
                                  "name out before you share it: reviewers see reflections "
                                  "without the names of the people we support. Nothing "
                                  "was shared.")
    with write_transaction(db):
        repairs.share_reflection(db, repair["id"], reviewer_id=reviewer_id,
                                 share_first_name=share_first_name and reviewer_id is not None)
        events.record(db, action="repair.reflection_shared" if reviewer_id
                      else "repair.reflection_unshared", subject_type="repair",
                      subject_id=repair["id"], actor_type="user", actor_id=worker_id,
                      detail={"reviewer_id": reviewer_id,
                              "first_name_shown": bool(share_first_name and reviewer_id)})
    return Outcome(True)


def plan_meeting(db, repair, *, at, worker_id):
    """When the worker expects to meet them next (the dashboard asks afterwards)."""
    with write_transaction(db):
        repairs.update(db, repair["id"], next_meeting_at=to_db_time(at))
        events.record(db, action="repair.meeting_planned", subject_type="repair",
                      subject_id=repair["id"], actor_type="user", actor_id=worker_id,
                      detail={"planned_for": to_db_time(at)})
    return Outcome(True)


def record_meeting(db, repair, *, outcome, new_time, worker_id, now=None):
    """Answer "did you meet": recorded once for the planned meeting. Being in touch again
    stops the follow-up plan; "rearranged" plans the new time (and asks again then)."""
    now = now or utc_now()
    if outcome == "rearranged" and new_time is None:
        return Outcome(False, "Give the new time you rearranged to.")
    planned_for = from_db_time(repair["next_meeting_at"]) or now
    started = from_db_time(repair["created_at"])
    with write_transaction(db):
        repairs.record_meeting(db, repair_id=repair["id"], planned_for=to_db_time(planned_for),
                               outcome=outcome, recorded_by=worker_id)
        changes = {"next_meeting_at": to_db_time(new_time) if outcome == "rearranged" else None}
        if rules.came_in_time(started, planned_for, outcome):
            changes["came_14d"] = 1
        if outcome == "talked":
            changes["talked"] = 1
        repairs.update(db, repair["id"], **changes)
        events.record(db, action="repair.meeting_recorded", subject_type="repair",
                      subject_id=repair["id"], actor_type="user", actor_id=worker_id,
                      detail={"outcome": outcome, "planned_for": to_db_time(planned_for),
                              "new_time": to_db_time(new_time) if new_time else None})
        cancelled = (repair_links.end_plan(db, repair["id"], reason="met", actor_type="user",
                                           actor_id=worker_id)
                     if outcome in rules.IN_TOUCH else [])
    return Outcome(True, cancelled=cancelled)


def follow_up_versions(db):
    """Reviewed "door stays open" templates a follow-up may use: approved, in use, and
    needing nothing the worker would have to fill in (no meeting time)."""
    return [version for version in sms_templates.usable_versions(db)
            if version["strategy"] == rules.FOLLOW_UP_STRATEGY
            and _follow_up_placeholders_ok(version["body"])]


def _follow_up_placeholders_ok(body):
    try:
        return placeholders_in(body) <= rules.FOLLOW_UP_PLACEHOLDERS
    except BadTemplate:
        return False


def _plan_problem(db, repair, contact, version, service, now):
    if repair["closed_at"]:
        return "This repair is closed."
    if repair["plan_status"] == "active":
        return PLAN_ALREADY_SET
    if repair["replies"]:
        return (f"{contact['preferred_name']} has replied, so there is no need for "
                "follow-up texts.")
    refusal = people.consent_refusal(contact)
    if refusal:
        return refusal
    if people.number_needs_reconfirming(contact, now=now, days=service.reconfirm_days):
        return (f"It is a while since {contact['preferred_name']}'s number was checked. "
                "Check it with them on their page first; texts weeks from now must go "
                "to a number that is still safe.")
    if version is None or version["id"] not in {v["id"] for v in follow_up_versions(db)}:
        return "Choose one of the reviewed \"door stays open\" templates."
    return None


def set_plan(db, repair, *, version_id, first_days, second_days, worker_id, worker_first_name,
             service, now=None):
    """Schedule one or two gentle follow-ups, each a normal text (re-checked when it is
    due to go), a gap after the repair's latest text. Refused with a reason when the
    repair is closed, they replied, they cannot be texted, or the template does not fit."""
    now = now or utc_now()
    contact = contacts.get(db, repair["contact_id"])
    version = sms_templates.get_version(db, version_id) if version_id else None
    problem = _plan_problem(db, repair, contact, version, service, now)
    if problem:
        return Outcome(False, problem)
    values = {"name": contact["preferred_name"], "worker": worker_first_name,
              "service": service.name_for(contact), "next_meeting": "", "personal": ""}
    rendered = render_text(version["body"], values)
    context = checks.Context(worker=worker_first_name, service_name=service.name,
                             service_allowed=bool(contact["ok_to_name_service"]))
    warnings = [w.as_dict() for w in checks.check_text(rendered.body, context,
                                                       name=contact["preferred_name"])]
    after = max(now, from_db_time(repairs.latest_text_due(db, repair["id"])) or now)
    times = [people.first_allowed_time(contact, now=due, zone=service.zone,
                                       service_window=service.window)
             for due in rules.follow_up_due(after, first_days, second_days)]
    if None in times:
        return Outcome(False, "Their safe hours and the service's send window do not "
                              "overlap, so no follow-up can be scheduled.")
    with write_transaction(db):
        if repairs.get(db, repair["id"])["plan_status"] == "active":  # a second submit
            return Outcome(False, PLAN_ALREADY_SET)
        scheduled = [texts.schedule_text(
            db, texts.Draft(contact=contact, version=version, rendered=rendered,
                            send_time=SendTime(at), warnings=warnings,
                            template_fields={"personal": "", "next_meeting_at": ""}),
            worker_id=worker_id, number_reconfirmed=False, repair_id=repair["id"],
            repair_role="follow_up").message_id for at in times]
        repairs.update(db, repair["id"], plan_status="active", plan_ended_reason=None)
        events.record(db, action="repair.plan_set", subject_type="repair",
                      subject_id=repair["id"], actor_type="user", actor_id=worker_id,
                      detail={"template_version_id": version["id"], "first_days": first_days,
                              "second_days": second_days, "messages": scheduled})
    return Outcome(True)


def cancel_plan(db, repair, *, worker_id):
    cancelled = repair_links.end_plan(db, repair["id"], reason="worker", actor_type="user",
                                      actor_id=worker_id)
    return Outcome(repair["plan_status"] == "active", cancelled=cancelled)


def close_repair(db, repair, *, ending, worker_id):
    """The worker closes the repair with how the relationship feels now."""
    if ending not in rules.WORKER_ENDINGS:
        return Outcome(False, "Choose how the relationship feels now.")
    closed = repair_links.close(db, repair["id"], ending=ending, actor_type="user",
                                actor_id=worker_id)
    return Outcome(closed, None if closed else "This repair was already closed.")


@dataclass(frozen=True)
class Swept:
    closed: list
    plans_ended: list


def sweep(db, *, now=None):
    """Close repairs nobody closed within 60 days as "not recorded" (never a success),
    and stop any plan whose text could not be delivered (a failure the dispatcher
    recorded; those from status callbacks stop it at once)."""
    now = now or utc_now()
    closed = []
    for repair_id in repairs.open_created_before(db, now - rules.AUTO_CLOSE_AFTER):
        if repair_links.close(db, repair_id, ending="not_recorded", actor_type="system",
                              detail={"automatic": True}):
            closed.append(repair_id)
    plans_ended = [repair_id for repair_id in repairs.active_plans_with_failed_texts(db)
                   if repair_links.end_plan(db, repair_id, reason="delivery_failed",
                                            actor_type="system") is not None]
    return Swept(closed, plans_ended)


# --- what the service learns ----------------------------------------------------------

def ledger(db):
    """The outcome ledger: rows per situation and template version, each rate with its
    95 % interval, and no figure for any row of fewer than 10 repairs."""
    return rules.ledger(repairs.ledger_counts(db))


def ledger_csv(rows):
    """The ledger as CSV text, with the same suppression as the page."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["situation", "template_id", "template_version", "strategy", "repairs",
                     "texts_sent"] + [f"{key}_{part}" for key, _ in rules.MEASURES
                                      for part in ("count", "rate", "low", "high")])
    for row in rows:
        data = row.as_json()
        counts = ([row.repairs, row.texts_sent] if not row.suppressed
                  else [rules.SUPPRESSED_LABEL] * 2)
        figures = [data[key][part] if data[key] else rules.SUPPRESSED_LABEL
                   for key, _ in rules.MEASURES for part in ("count", "rate", "low", "high")]
        writer.writerow([safe_cell(value) for value in (
            row.situation, row.template_id or "", row.template_version or "",
            row.strategy or "", *counts, *figures)])
    return out.getvalue()


def record_ledger_view(db, *, user_id, export_format=None):
    events.record(db, action="repair.ledger_exported" if export_format
                  else "repair.ledger_viewed", subject_type="ledger", actor_type="user",
                  actor_id=user_id, detail={"format": export_format} if export_format else {})


@dataclass(frozen=True)
class Practice:
    month: str
    reflections: list
    kinds: list       # (label, count or "fewer than 10")
    situations: list  # (kind, label, count or "fewer than 10")
    strategies: list  # ledger-like rows per strategy (suppressed under 10)
    ledger: list


def month_bounds(month):
    """'2026-11' -> (start, end) in UTC; ValueError for anything else."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=timezone.utc)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else \
        start.replace(month=start.month + 1)
    return start, end


def reflective_practice(db, *, reviewer_id, month):
    """What a reviewer prepares a team session from, for one month: the reflections
    shared with them (no person's name or number; the worker's first name only if they
    chose to share it), the month's patterns (suppressed under 10) and the ledger.
    Opening it is recorded."""
    since, until = month_bounds(month)
    reflections = [{**row, "worker_first_name": row["worker_name"].split()[0]
                    if row["share_first_name"] and row["worker_name"].strip() else None}
                   for row in repairs.shared_with(db, reviewer_id, since=since, until=until)]
    by_situation, by_strategy = repairs.month_patterns(db, since=since, until=until)
    kinds = [(label, rules.suppressed_count(sum(r["repairs"] for r in by_situation
                                                 if r["kind"] == kind)))
             for kind, label in rules.KIND_LABELS.items()]
    situations = [(row["kind"], rules.SITUATIONS.get(row["situation"], row["situation"]),
                   rules.suppressed_count(row["repairs"]))
                  for row in sorted(by_situation, key=lambda r: (r["kind"], r["situation"]))]
    strategies = [rules.ledger_row(row) for row in sorted(
        by_strategy, key=lambda r: (r["strategy"] is None, r["strategy"] or ""))]
    events.record(db, action="repair.practice_viewed", subject_type="ledger",
                  actor_type="user", actor_id=reviewer_id,
                  detail={"month": month, "reflections": len(reflections)})
    return Practice(month=month, reflections=reflections, kinds=kinds, situations=situations,
                    strategies=strategies, ledger=ledger(db))
