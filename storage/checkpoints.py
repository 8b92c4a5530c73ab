"""Audit checkpoints: the chain's head (event count and hash) signed with a key that
is not in the database, and written to a file outside it.

A hash chain alone cannot show that its newest events were deleted, or that it was
rebuilt from the first event with fresh hashes: both leave a chain that checks out.
A signed head kept elsewhere can. Each checkpoint is one JSON line appended to
`audit-checkpoints.jsonl` in the checkpoint folder; the signature is HMAC-SHA256 of
the line's other fields with AUDIT_CHECKPOINT_KEY.
"""
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .events import GENESIS_HASH

FILE_NAME = "audit-checkpoints.jsonl"
# interval: the scheduler's job; export: after a history export; restore: a restored
# copy starts a new stretch of chain; manual: `flask audit checkpoint`.
KINDS = ("interval", "export", "restore", "manual")
_SIGNED_FIELDS = ("count", "head_hash", "at", "kind", "restored_count", "key_id")


@dataclass(frozen=True)
class Checkpoint:
    count: int
    head_hash: str
    at: str  # UTC, ISO 8601
    kind: str
    key_id: str
    signature: str = ""
    # For a restore: how many events the restored copy held. Checkpoints made before
    # it that counted more events describe history lost with the old machine.
    restored_count: int | None = None
    line: int = 0  # where it is in the file, from 1 (not stored)

    def as_line(self):
        fields = {name: value for name, value in asdict(self).items() if name != "line"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"


def key_id(key):
    """A short public name for a key, so a checkpoint says which key signed it
    without revealing the key."""
    return hashlib.sha256(f"mend-audit-checkpoint:{key}".encode()).hexdigest()[:12]


def _payload(checkpoint):
    fields = {name: getattr(checkpoint, name) for name in _SIGNED_FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign(key, *, count, head_hash, at, kind, restored_count=None):
    if kind not in KINDS:
        raise ValueError(f"unknown checkpoint kind {kind!r}")
    unsigned = Checkpoint(count=count, head_hash=head_hash, at=at, kind=kind,
                          key_id=key_id(key), restored_count=restored_count)
    signature = hmac.new(key.encode(), _payload(unsigned), hashlib.sha256).hexdigest()
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def signed_with(checkpoint, key):
    """True when `checkpoint` was signed with `key` and not changed since."""
    expected = hmac.new(key.encode(), _payload(checkpoint), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, checkpoint.signature)


def file_in(folder):
    return Path(folder) / FILE_NAME


def append(folder, checkpoint):
    """Append one line (one write, O_APPEND, then fsync), creating the folder.
    Returns the checkpoint with its line number."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(file_in(folder), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, checkpoint.as_line().encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    with file_in(folder).open("rb") as written:
        return replace(checkpoint, line=sum(1 for _ in written))


def read(folder):
    """Every checkpoint in the file, oldest first, and the numbers of unreadable lines."""
    path = file_in(folder)
    if not path.exists():
        return [], []
    checkpoints, unreadable = [], []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
                checkpoints.append(Checkpoint(
                    count=int(fields["count"]), head_hash=str(fields["head_hash"]),
                    at=str(fields["at"]), kind=str(fields["kind"]),
                    key_id=str(fields["key_id"]), signature=str(fields["signature"]),
                    restored_count=(None if fields.get("restored_count") is None
                                    else int(fields["restored_count"])),
                    line=number))
            except (ValueError, KeyError, TypeError, AttributeError):
                unreadable.append(number)
    return checkpoints, unreadable


def chain_head(db):
    """(count, hash) of the newest event as stored: (0, GENESIS_HASH) for none."""
    row = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def stored_hash_at(db, count):
    """The stored hash of event `count` (the head after `count` events), or None."""
    if count == 0:
        return GENESIS_HASH
    row = db.execute("SELECT hash FROM events WHERE id = ?", [count]).fetchone()
    return row[0] if row else None
