"""Signing the audit chain's head now and then, and checking the chain against what
was signed: the newest events deleted, or the chain rebuilt from scratch, show up as a
signed checkpoint the database no longer matches.

A checkpoint is only signed over a chain that checks out: the events since the last
good checkpoint are verified first. So `verify(..., since_checkpoint=True)`, which
checks only what came after the last good checkpoint, rests on checks already made.
"""
import logging
from dataclasses import dataclass, field
from pathlib import Path

from storage import checkpoints, events
from storage.connection import to_db_time, utc_now

log = logging.getLogger("mend.audit")


@dataclass(frozen=True)
class CheckpointSettings:
    key: str
    folder: Path

    @classmethod
    def from_config(cls, config):
        """From the settings; None when AUDIT_CHECKPOINT_KEY is not set (checkpoints off)."""
        if not config.get("AUDIT_CHECKPOINT_KEY"):
            return None
        return cls(key=config["AUDIT_CHECKPOINT_KEY"],
                   folder=Path(config["AUDIT_CHECKPOINT_DIR"]))


@dataclass
class RecordCheck:
    """What `verify` found: the chain's own check, the last good checkpoint, and
    problems (tampering) and notes (nothing wrong, but worth saying) about checkpoints."""
    chain: events.ChainReport
    last_good: checkpoints.Checkpoint | None = None
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    checked_after: int = 0  # events up to here were trusted from a checkpoint
    checkpoints_read: int = 0

    @property
    def intact(self):
        return self.chain.intact and not self.problems


@dataclass(frozen=True)
class Taken:
    checkpoint: checkpoints.Checkpoint | None
    path: Path | None
    problem: str | None = None  # why nothing was signed
    unchanged: bool = False     # the head was already signed


def describe(checkpoint):
    return (f"line {checkpoint.line} ({checkpoint.kind}), signed {checkpoint.at}: "
            f"{checkpoint.count} event(s), head {checkpoint.head_hash}")


def _judge(db, settings, found, *, verified_count, chain_broken, restoring_count=None):
    """Compare each checkpoint with the chain. Returns (last_good, problems, notes).

    `verified_count`: events 1..N were checked (or trusted from a checkpoint).
    `restoring_count`: this is a restored copy of N events being checked; checkpoints
    beyond it were made on the lost machine after the copy's moment.
    """
    mine = checkpoints.key_id(settings.key)
    restores = [c for c in found if c.kind == "restore" and c.key_id == mine
                and c.restored_count is not None and checkpoints.signed_with(c, settings.key)]
    last_good, problems, notes, other_keys = None, [], [], 0
    for checkpoint in found:
        if checkpoint.key_id != mine:
            other_keys += 1
            continue
        if not checkpoints.signed_with(checkpoint, settings.key):
            problems.append(f"The checkpoint on line {checkpoint.line} does not carry a "
                            "valid signature: it was altered or forged.")
            continue
        if restoring_count is not None and checkpoint.count > restoring_count:
            notes.append(f"The checkpoint on {describe(checkpoint)} is ahead of this copy: "
                         f"the {checkpoint.count - restoring_count} newest event(s) it "
                         "covered were lost with the old machine.")
            continue
        lost_in = next((r for r in restores if r.line > checkpoint.line
                        and checkpoint.count > r.restored_count), None)
        if lost_in is not None:
            continue  # history after the restored copy's moment, lost with the old machine
        if checkpoint.count > verified_count:
            if not chain_broken:
                problems.append(
                    f"The newest events were deleted: the checkpoint on "
                    f"{describe(checkpoint)} covered {checkpoint.count} event(s), and the "
                    f"log now holds {verified_count}.")
            continue
        if checkpoints.stored_hash_at(db, checkpoint.count) != checkpoint.head_hash:
            problems.append(
                f"The log was rebuilt or altered: event {checkpoint.count} is not the one "
                f"signed on {describe(checkpoint)}.")
            continue
        last_good = checkpoint
    if other_keys:
        notes.append(f"{other_keys} checkpoint(s) were signed with another key and were "
                     "not checked (the key was changed).")
    return last_good, problems, notes


def _start_after(db, settings, found):
    """The newest checkpoint this key signed that the stored chain still matches."""
    mine = checkpoints.key_id(settings.key)
    for checkpoint in reversed(found):
        if (checkpoint.key_id == mine and checkpoints.signed_with(checkpoint, settings.key)
                and checkpoints.stored_hash_at(db, checkpoint.count) == checkpoint.head_hash):
            return checkpoint
    return None


def verify(db, settings, *, since_checkpoint=False, restoring_count=None, checked_head=None):
    """Check the chain, and the chain against the signed checkpoints (when `settings`).

    `since_checkpoint`: check only the events after the last checkpoint the stored
    chain still matches (every one was checked when it was signed), or after
    `checked_head` (count, hash), a head this process has just checked, if later.
    """
    if settings is None:
        return RecordCheck(chain=events.verify(db))
    found, unreadable = checkpoints.read(settings.folder)
    start = None
    if since_checkpoint:
        start = _start_after(db, settings, found)
        start = (start.count, start.head_hash) if start else None
        if checked_head and (start is None or checked_head[0] > start[0]):
            start = tuple(checked_head)
    chain = events.verify(db, after=start)
    last_good, problems, notes = _judge(
        db, settings, found, verified_count=chain.count, chain_broken=chain.problem is not None,
        restoring_count=restoring_count)
    problems += [f"Line {number} of {checkpoints.file_in(settings.folder)} cannot be read: "
                 "the checkpoint file was altered." for number in unreadable]
    return RecordCheck(chain=chain, last_good=last_good, problems=problems, notes=notes,
                       checked_after=start[0] if start else 0,
                       checkpoints_read=len(found))


def take(db, settings, *, kind, restored_count=None, checked_head=None):
    """Sign the chain's head and append it to the checkpoint file, with a log line.

    The events since the last good checkpoint are verified first: a broken chain is
    not signed (`Taken.problem` says why). An interval checkpoint of a head already
    signed is skipped. An export (inside a web request) signs only once a first
    checkpoint exists, so it never checks the whole chain: the scheduler's first
    checkpoint does that.
    """
    if kind == "export":
        found, _ = checkpoints.read(settings.folder)
        if _start_after(db, settings, found) is None:
            log.info("audit checkpoint (export) not signed: no good checkpoint yet; the "
                     "scheduler signs the first")
            return Taken(None, None, problem="There is no good checkpoint yet to sign on from.")
    check = verify(db, settings, since_checkpoint=True, checked_head=checked_head,
                   restoring_count=restored_count if kind == "restore" else None)
    if not check.intact:
        problem = check.chain.problem or check.problems[0]
        log.error("audit checkpoint not signed: %s", problem)
        return Taken(None, None, problem=problem)
    count, head = check.chain.count, check.chain.head_hash
    last = check.last_good
    if kind == "interval" and last and (last.count, last.head_hash) == (count, head):
        return Taken(last, checkpoints.file_in(settings.folder), unchanged=True)
    checkpoint = checkpoints.sign(settings.key, count=count, head_hash=head,
                                  at=to_db_time(utc_now()), kind=kind,
                                  restored_count=restored_count)
    checkpoint = checkpoints.append(settings.folder, checkpoint)
    path = checkpoints.file_in(settings.folder)
    log.info("audit checkpoint (%s): %s event(s), head %s, key %s, signature %s",
             kind, count, head, checkpoint.key_id, checkpoint.signature)
    return Taken(checkpoint, path)
