"""Benchmark recovery (not a test): `.venv/bin/python -m bench.recovery`, or
`--messages 20000` for a quick run.

- Recovery point: how far behind the live database a restore is. An audit event is
  written at a random moment while Litestream replicates (`flask --app app db
  replicate`, the shipped `deploy/litestream.yml`); `litestream restore` runs again
  and again into fresh files until a copy holds it. Measured for a folder replica and
  for S3-compatible storage (moto's server on 127.0.0.1).
- Recovery time: a database of N messages and 5 x N audit events is replicated to a
  folder, then `flask --app app db restore` runs end to end (Litestream's restore,
  `integrity_check`, the whole audit chain, the texts to look up, a signed
  checkpoint), as does `audit verify` in full and `--since-checkpoint` (after 1,000
  new events).
Prints a table, then the figures as one JSON line (saved to bench/results/recovery.json).
"""
import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from actions.recovery import mark_texts_after_restore
from bench.audit import build
from bench.measure import machine
from storage import events, replication
from storage.connection import connect
from tests.harness.database import prepare_database
from tests.harness.processes import stop_process
from tests.harness.replication import (S3Server, litestream_environment,
                                       start_replication, wait_until)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
KEY = "bench-checkpoint-key-" + "0" * 32


def environment(database_path, replica_url, **extra):
    return {**os.environ, "MEND_ENV": "development", "SECRET_KEY": "bench",
            "DATABASE_PATH": str(database_path), "REPLICA_URL": replica_url,
            "AUDIT_CHECKPOINT_KEY": KEY,
            "AUDIT_CHECKPOINT_DIR": str(Path(database_path).parent / "checkpoints"), **extra}


def holds_event(replica_url, event_id, scratch):
    path = scratch / f"probe-{time.monotonic_ns()}.db"
    try:
        replication.restore(replica_url, path)
    except replication.ReplicationError:
        return False
    probe = sqlite3.connect(path)
    try:
        found = probe.execute("SELECT 1 FROM events WHERE id = ?", [event_id]).fetchone()
    finally:
        probe.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return found is not None


def recovery_point(folder, replica_url, samples):
    """Seconds from an event's commit to the first restore that holds it."""
    database = folder / "mend.db"
    prepare_database(str(database), accounts={})
    env = environment(database, replica_url)
    process = start_replication(env, folder / "litestream.log")
    db = connect(database)
    lags = []
    try:
        wait_until(lambda: holds_event(replica_url, 1, folder), "the first upload", patience=60)
        for sample in range(samples):
            time.sleep(random.uniform(0.2, 1.5))
            event_id = events.record(db, action="alert.raised", subject_type="alert",
                                     subject_id=sample, detail={"bench": sample})
            committed = time.perf_counter()
            wait_until(lambda: holds_event(replica_url, event_id, folder),
                       f"event {event_id} in a restore", patience=60, pause=0.0)
            lags.append(time.perf_counter() - committed)
    finally:
        db.close()
        stop_process(process)
    return {"samples": samples, "min_s": round(min(lags), 2),
            "median_s": round(statistics.median(lags), 2), "max_s": round(max(lags), 2)}


def timed(command, env):
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT,
                          env=litestream_environment(env), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return round(time.perf_counter() - started, 2), done.stdout


def restore_steps(path):
    """Seconds for each check `db restore` runs, on a copy Litestream restored."""
    db = connect(path)
    figures = {}
    try:
        started = time.perf_counter()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        figures["integrity_check_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        assert events.verify(db).intact
        figures["chain_check_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        figures["texts_marked"] = len(mark_texts_after_restore(db).marked)
        figures["marking_s"] = round(time.perf_counter() - started, 2)
    finally:
        db.close()
    return figures


def recovery_time(folder, messages):
    database = folder / "big.db"
    replica_url = f"file://{folder / 'big-replica'}"
    _, _, generated = build(str(database), messages, 5 * messages)
    env = environment(database, replica_url)
    size_mib = database.stat().st_size / 2**20
    process = start_replication(env, folder / "litestream-big.log")
    started = time.perf_counter()
    try:
        db = connect(database)
        marker = events.record(db, action="alert.raised", subject_type="alert",
                               subject_id=0, detail={"bench": "marker"})
        db.close()
        wait_until(lambda: any((folder / "big-replica").rglob("*.ltx")), "the snapshot",
                   patience=1800, pause=0.5)
        time.sleep(5)
    finally:
        stop_process(process, timeout=600)  # SIGTERM: Litestream ships the rest first
    replicated = time.perf_counter() - started
    replica_mib = sum(f.stat().st_size for f in (folder / "big-replica").rglob("*")
                      if f.is_file()) / 2**20

    started = time.perf_counter()
    replication.restore(replica_url, folder / "litestream-only.db")
    litestream_only = round(time.perf_counter() - started, 2)
    steps = restore_steps(folder / "litestream-only.db")
    (folder / "litestream-only.db").unlink()
    restore_s, said = timed(["db", "restore", "--output", str(folder / "restored.db")], env)
    assert "Ready." in said, said
    copy = connect(folder / "restored.db")
    assert copy.execute("SELECT 1 FROM events WHERE id = ?", [marker]).fetchone()
    copy.close()

    restored_env = environment(folder / "restored.db", replica_url)
    full_s, _ = timed(["audit", "verify"], restored_env)
    copy = connect(folder / "restored.db")
    for number in range(1000):
        events.record(copy, action="alert.raised", subject_type="alert",
                      subject_id=number, detail={"bench": number})
    copy.close()
    since_s, said = timed(["audit", "verify", "--since-checkpoint"], restored_env)
    assert "after the checkpoint at event" in said, said
    return {"messages": messages, "events": 5 * messages, "database_mib": round(size_mib),
            "replica_mib": round(replica_mib), "generation_s": round(generated, 1),
            "first_replication_s": round(replicated, 1),
            "litestream_restore_s": litestream_only, **steps, "db_restore_s": restore_s,
            "audit_verify_full_s": full_s, "audit_verify_since_checkpoint_s": since_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--folder", default=None, help="scratch folder (default: a temp one)")
    args = parser.parse_args()
    random.seed(15)
    # Litestream's S3 client cannot take AWS_CA_BUNDLE; restores run from this process.
    os.environ.pop("AWS_CA_BUNDLE", None)
    os.environ.update(litestream_environment({}))
    with tempfile.TemporaryDirectory(dir=args.folder) as scratch:
        scratch = Path(scratch)
        (scratch / "file").mkdir()
        (scratch / "s3").mkdir()
        figures = {"machine": machine()}
        figures["recovery_point_folder"] = recovery_point(
            scratch / "file", f"file://{scratch / 'file' / 'replica'}", args.samples)
        s3 = S3Server(scratch / "s3" / "moto.log")
        try:
            bucket = s3.create_bucket("mend-bench")
            figures["recovery_point_s3"] = recovery_point(
                scratch / "s3", s3.replica_url(bucket, "mend"), args.samples)
        finally:
            s3.stop()
        figures["recovery_time"] = recovery_time(scratch, args.messages)
    print_table(figures)
    print(json.dumps(figures))
    if args.messages >= 1_000_000:
        (RESULTS / "recovery.json").write_text(json.dumps(figures, indent=2) + "\n")


def print_table(figures):
    rows = []
    for name in ("recovery_point_folder", "recovery_point_s3"):
        point = figures[name]
        rows.append((f"{name.replace('_', ' ')} ({point['samples']} samples)",
                     f"{point['min_s']} / {point['median_s']} / {point['max_s']} s "
                     "(min / median / max)"))
    for name, value in figures["recovery_time"].items():
        rows.append((name.replace("_", " "), str(value)))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
