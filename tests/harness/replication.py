"""Replication for real: an S3-compatible server (moto's server mode) on 127.0.0.1, and
Litestream started the way production starts it (`flask --app app db replicate`).

Litestream's S3 client cannot take AWS_CA_BUNDLE (it fails with "unable to add custom
RootCAs HTTPClient"), so every Litestream process here runs without it.
"""
import os
import subprocess
import sys
import time

import boto3

from tests.harness.processes import ROOT, free_port, start_logged, wait_for

S3_KEY_ID = "mend-test-key"
S3_SECRET = "mend-test-secret"
REGION = "us-east-1"


class S3Server:
    """moto's S3 in its own process (in memory: it forgets everything when stopped)."""

    def __init__(self, log_path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process = start_logged([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                     "-p", str(self.port)], os.environ.copy(), log_path)
        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                                   aws_access_key_id=S3_KEY_ID,
                                   aws_secret_access_key=S3_SECRET)
        wait_for(self._answers, f"the S3 server on port {self.port}", self.process, log_path,
                 pause=0.1)

    def _answers(self):
        try:
            self.client.list_buckets()
            return True
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def create_bucket(self, name):
        """Litestream does not create its bucket."""
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket, prefix=""):
        found = self.client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for item in found.get("Contents", [])]

    def replica_url(self, bucket, path):
        return (f"s3://{bucket}/{path}?endpoint={self.endpoint}&region={REGION}"
                "&forcePathStyle=true")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def litestream_environment(env):
    """`env` for a Litestream process: without AWS_CA_BUNDLE, with the S3 keys."""
    env = {key: value for key, value in env.items() if key != "AWS_CA_BUNDLE"}
    return {**env, "LITESTREAM_ACCESS_KEY_ID": S3_KEY_ID,
            "LITESTREAM_SECRET_ACCESS_KEY": S3_SECRET}


def start_replication(env, log_path):
    """`flask --app app db replicate`, which becomes `litestream replicate`."""
    return start_logged([sys.executable, "-m", "flask", "--app", "app", "db", "replicate"],
                        litestream_environment(env), log_path)


def run_flask(env, *args, timeout=120):
    """A `flask --app app ...` command to its end; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=litestream_environment(env), capture_output=True, text=True,
                          timeout=timeout)


def wait_until(condition, what, patience=30, pause=0.05):
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(pause)
