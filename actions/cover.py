"""Cover: while a key worker is away, a colleague sees their people, threads and unread
replies, and can read and reply; everything they do is recorded as themselves."""
from dataclasses import dataclass

from sms import team as rules
from storage import events, team, users
from storage.connection import write_transaction


@dataclass(frozen=True)
class CoverResult:
    cover_id: int | None = None
    problem: str | None = None  # words for the person setting it; nothing was saved


def may_manage(cover_row_or_key_worker_id, *, user_id, role):
    """A worker sets and ends cover for their own people; an admin for anyone. The
    cover worker may end a cover too (they are leaving it)."""
    if role == "admin":
        return True
    if isinstance(cover_row_or_key_worker_id, dict):
        row = cover_row_or_key_worker_id
        return user_id in (row["key_worker_id"], row["cover_worker_id"])
    return cover_row_or_key_worker_id == user_id


def set_cover(db, *, key_worker_id, cover_worker_id, starts_on, ends_on, user_id, role,
              today):
    """Store a cover from `starts_on` to `ends_on` (service-local days, both included)."""
    if not may_manage(key_worker_id, user_id=user_id, role=role):
        return CoverResult(problem="You can set cover only for your own people.")
    for person_id in (key_worker_id, cover_worker_id):
        person = users.get(db, person_id)
        if person is None or not person["active"] or person["role"] != "worker":
            return CoverResult(problem="Choose a support worker with an active account.")
    problem = rules.cover_problem(key_worker_id=key_worker_id,
                                  cover_worker_id=cover_worker_id, starts_on=starts_on,
                                  ends_on=ends_on, today=today)
    if problem:
        return CoverResult(problem=problem)
    with write_transaction(db):
        cover_id = team.create_cover(db, key_worker_id=key_worker_id,
                                     cover_worker_id=cover_worker_id, starts_on=starts_on,
                                     ends_on=ends_on, created_by=user_id)
        events.record(db, action="cover.set", subject_type="cover", subject_id=cover_id,
                      actor_type="user", actor_id=user_id,
                      detail={"key_worker_id": key_worker_id,
                              "cover_worker_id": cover_worker_id,
                              "starts_on": starts_on.isoformat(),
                              "ends_on": ends_on.isoformat()})
    return CoverResult(cover_id=cover_id)


def end_cover(db, cover_id, *, user_id, role):
    """End a cover now. Returns CoverResult (problem set when it could not be ended)."""
    with write_transaction(db):
        row = team.get_cover(db, cover_id)
        if row is None or not may_manage(row, user_id=user_id, role=role):
            return CoverResult(problem="That cover is not yours to end.")
        if not team.end_cover(db, cover_id, ended_by=user_id):
            return CoverResult(cover_id=cover_id, problem="That cover had already ended.")
        events.record(db, action="cover.ended", subject_type="cover", subject_id=cover_id,
                      actor_type="user", actor_id=user_id,
                      detail={"key_worker_id": row["key_worker_id"],
                              "cover_worker_id": row["cover_worker_id"]})
    return CoverResult(cover_id=cover_id)
