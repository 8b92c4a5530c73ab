"""The job that signs the audit log's head every AUDIT_CHECKPOINT_MINUTES."""
import logging

from actions import checkpoints
from storage.connection import connect

log = logging.getLogger("mend.scheduler")


class CheckpointJob:
    def __init__(self, config):
        self.config = config
        self.settings = checkpoints.CheckpointSettings.from_config(config)

    def __call__(self):
        db = connect(self.config["DATABASE_PATH"])
        try:
            checkpoints.take(db, self.settings, kind="interval")
        except Exception:  # noqa: BLE001 - a failed checkpoint must not stop the scheduler
            log.exception("audit checkpoint failed")
        finally:
            db.close()
