"""The schema, as an ordered list of sqlite_utils migrations.

`flask --app app db upgrade` applies what is pending; the app refuses to start on a
database that is behind (see `pending_migrations`).

sqlite_utils runs pending migrations in the order they are registered in this file
and records each one by its name in `_sqlite_migrations`. So a migration is never
renamed (an existing database would run it again), and the order below is the order
a new database runs them in. m002-m006 were written on parallel branches and once
ran as m001, m004, m006, m002, m003, m005; none depends on another, and
tests/test_production.py proves a database made in that order upgrades cleanly and
has the same schema as a new one.

New migrations go at the end, numbered after the last one.
"""
from sqlite_utils import Migrations

migrations = Migrations("mend")


@migrations()
def m001_initial_schema(db):
    db.executescript(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('worker', 'reviewer', 'admin')),
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );

        CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL COLLATE NOCASE,
            remote_addr TEXT,
            attempted_at TEXT NOT NULL,
            succeeded INTEGER NOT NULL
        );
        CREATE INDEX login_attempts_by_email ON login_attempts (email, attempted_at);

        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            preferred_name TEXT NOT NULL,
            phone TEXT,
            key_worker_id INTEGER NOT NULL REFERENCES users (id),
            ok_to_name_service INTEGER NOT NULL DEFAULT 0,
            safe_hours_start TEXT,
            safe_hours_end TEXT,
            number_confirmed_on TEXT,
            number_flag TEXT,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users (id),
            erased_at TEXT
        );
        CREATE INDEX contacts_by_phone ON contacts (phone);
        CREATE INDEX contacts_by_key_worker ON contacts (key_worker_id);

        CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts (id),
            state TEXT NOT NULL CHECK (state IN ('granted', 'withdrawn', 'pending')),
            method TEXT NOT NULL CHECK (method IN (
                'in_person', 'in_writing', 'text_reply', 'stop_keyword',
                'start_keyword', 'withdrawn_by_worker', 'provider_blocked')),
            recorded_by INTEGER REFERENCES users (id),
            recorded_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX consents_by_contact ON consents (contact_id, id);
        CREATE TRIGGER consents_append_only_update
            BEFORE UPDATE OF contact_id, state, method, recorded_by, recorded_at ON consents
            BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;
        CREATE TRIGGER consents_append_only_delete BEFORE DELETE ON consents
            BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;

        CREATE TABLE sms_templates (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            retired_at TEXT,
            retired_by INTEGER REFERENCES users (id)
        );

        CREATE TABLE template_versions (
            id INTEGER PRIMARY KEY,
            template_id TEXT NOT NULL REFERENCES sms_templates (id),
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            situation TEXT NOT NULL,
            strategy TEXT NOT NULL,
            when_to_use TEXT NOT NULL,
            body TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'rejected')),
            source TEXT NOT NULL CHECK (source IN ('library', 'app')),
            source_hash TEXT,
            authored_by INTEGER REFERENCES users (id),
            reviewed_by INTEGER REFERENCES users (id),
            reviewed_by_name TEXT,
            reviewed_on TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (template_id, version)
        );

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts (id),
            worker_id INTEGER NOT NULL REFERENCES users (id),
            template_version_id INTEGER REFERENCES template_versions (id),
            body TEXT NOT NULL,
            encoding TEXT NOT NULL,
            characters INTEGER NOT NULL,
            parts INTEGER NOT NULL,
            warnings TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL CHECK (status IN (
                'scheduled', 'sending', 'sent', 'delivered', 'undelivered',
                'failed', 'cancelled', 'expired', 'unknown')),
            status_reason TEXT,
            scheduled_for TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            claimed_at TEXT,
            sent_at TEXT,
            provider_sid TEXT UNIQUE,
            error_code INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX messages_due ON messages (status, scheduled_for);
        CREATE INDEX messages_by_contact ON messages (contact_id, scheduled_for);
        CREATE INDEX messages_by_worker ON messages (worker_id, scheduled_for);

        CREATE TABLE inbound_messages (
            id INTEGER PRIMARY KEY,
            provider_sid TEXT NOT NULL UNIQUE,
            from_number TEXT,
            contact_id INTEGER REFERENCES contacts (id),
            body TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('reply', 'stop', 'start', 'help')),
            possible_stop INTEGER NOT NULL DEFAULT 0,
            received_at TEXT NOT NULL,
            read_at TEXT,
            read_by INTEGER REFERENCES users (id)
        );
        CREATE INDEX inbound_by_contact ON inbound_messages (contact_id, received_at);

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'system', 'twilio', 'person')),
            actor_id INTEGER,
            action TEXT NOT NULL,
            subject_type TEXT NOT NULL,
            subject_id INTEGER,
            detail TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX events_by_subject ON events (subject_type, subject_id, id);
        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
        CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

        CREATE TABLE scheduler_ticks (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            claimed INTEGER NOT NULL,
            sent INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            deferred INTEGER NOT NULL
        );
        """
    )


@migrations()
def m002_template_review(db):
    """Four-eyes review of templates: notes and times, and rules the database keeps.

    A version is settled once approved or rejected; one written in the app starts as a
    draft and can only be approved by someone other than its author. Statements run
    one by one (not executescript) so they stay inside the migration's transaction.
    """
    for statement in (
        "ALTER TABLE template_versions ADD COLUMN review_note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE template_versions ADD COLUMN reviewed_at TEXT",
        "ALTER TABLE sms_templates ADD COLUMN retired_reason TEXT",
        "CREATE INDEX template_versions_by_template ON template_versions (template_id, version)",
        """CREATE TRIGGER template_versions_settled BEFORE UPDATE ON template_versions
           WHEN OLD.status != 'draft'
           BEGIN SELECT RAISE(ABORT, 'an approved or rejected template version cannot change');
           END""",
        """CREATE TRIGGER template_versions_no_delete BEFORE DELETE ON template_versions
           BEGIN SELECT RAISE(ABORT, 'template versions are kept'); END""",
        """CREATE TRIGGER template_versions_start_as_drafts BEFORE INSERT ON template_versions
           WHEN NEW.source = 'app' AND NEW.status != 'draft'
           BEGIN SELECT RAISE(ABORT, 'a version written in the app starts as a draft'); END""",
        """CREATE TRIGGER template_versions_four_eyes BEFORE UPDATE OF status ON template_versions
           WHEN NEW.status = 'approved'
            AND (NEW.reviewed_by IS NULL OR NEW.reviewed_by IS OLD.authored_by)
           BEGIN SELECT RAISE(ABORT, 'a version must be approved by someone other than its author');
           END""",
    ):
        db.execute(statement)


@migrations()
def m003_consent_and_inbox(db):
    """Replies and keywords (what they were, what they changed), confirmation texts,
    and erasure of replies. One statement at a time (not executescript, which commits)
    so the migration stays one transaction."""
    for statement in (
        "ALTER TABLE inbound_messages ADD COLUMN keyword TEXT",
        "ALTER TABLE inbound_messages ADD COLUMN consent_change TEXT",
        "ALTER TABLE inbound_messages ADD COLUMN erased_at TEXT",
        "CREATE INDEX inbound_unread ON inbound_messages (read_at, contact_id)",
        "CREATE INDEX inbound_by_number ON inbound_messages (from_number)",
        """ALTER TABLE messages ADD COLUMN purpose TEXT NOT NULL DEFAULT 'repair'
           CHECK (purpose IN ('repair', 'consent_request'))""",
    ):
        db.execute(statement)


@migrations()
def m004_delivery(db):
    """Delivery (issue 6): retry times, what the provider said, and service alerts."""
    db.executescript(
        """
        ALTER TABLE messages ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE messages ADD COLUMN provider_status TEXT;
        ALTER TABLE messages ADD COLUMN provider_parts INTEGER;
        ALTER TABLE messages ADD COLUMN ambiguous_at TEXT;

        CREATE TABLE service_alerts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            cleared_at TEXT
        );
        CREATE INDEX service_alerts_active ON service_alerts (kind, cleared_at);
        """
    )


@migrations()
def m005_audit_search_retention_reveals(db):
    """Full-text search of message bodies, indexes for keyset paging, retention
    markers, and the ledger of admins' number reveals."""
    db["messages"].enable_fts(["body"], create_triggers=True, tokenize="porter")
    # sqlite-utils re-indexes a row on every UPDATE; only a change of body needs it
    # (status changes are frequent, bodies change only when retention removes them).
    db.execute("DROP TRIGGER messages_au")
    db.execute(
        """
        CREATE TRIGGER messages_au AFTER UPDATE OF body ON messages BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, body)
            VALUES ('delete', old.rowid, old.body);
          INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body);
        END
        """
    )
    db["messages"].add_column("body_removed_at", str)
    db["inbound_messages"].add_column("body_removed_at", str)
    db.executescript(
        """
        CREATE INDEX messages_by_schedule ON messages (scheduled_for);
        CREATE INDEX messages_by_template_version
            ON messages (template_version_id, scheduled_for);
        CREATE INDEX messages_awaiting_retention ON messages (scheduled_for)
            WHERE body_removed_at IS NULL;
        CREATE INDEX inbound_awaiting_retention ON inbound_messages (received_at)
            WHERE body_removed_at IS NULL;
        CREATE INDEX consents_by_time ON consents (state, recorded_at);

        CREATE TABLE number_reveals (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts (id),
            message_id INTEGER REFERENCES messages (id),
            revealed_by INTEGER NOT NULL REFERENCES users (id),
            reason TEXT NOT NULL,
            revealed_at TEXT NOT NULL
        );
        CREATE TRIGGER number_reveals_append_only_update BEFORE UPDATE ON number_reveals
            BEGIN SELECT RAISE(ABORT, 'number reveals are append-only'); END;
        CREATE TRIGGER number_reveals_append_only_delete BEFORE DELETE ON number_reveals
            BEGIN SELECT RAISE(ABORT, 'number reveals are append-only'); END;
        """
    )


@migrations()
def m006_message_template_fields(db):
    """What the worker filled in (personal line, next meeting), so a scheduled text can be
    edited. Erasure and retention clear it along with the body."""
    db.execute("ALTER TABLE messages ADD COLUMN template_fields TEXT NOT NULL DEFAULT '{}'")


@migrations()
def m030_cover_and_unread_alerts(db):
    """Cover (issue 14): who covers whose caseload between two service-local dates, and
    when Mend emailed about a reply left unread. Neither holds words about a person."""
    for statement in (
        """CREATE TABLE cover_periods (
            id INTEGER PRIMARY KEY,
            key_worker_id INTEGER NOT NULL REFERENCES users (id),
            cover_worker_id INTEGER NOT NULL REFERENCES users (id),
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            created_by INTEGER NOT NULL REFERENCES users (id),
            created_at TEXT NOT NULL,
            ended_at TEXT,
            ended_by INTEGER REFERENCES users (id),
            CHECK (key_worker_id != cover_worker_id),
            CHECK (starts_on <= ends_on)
        )""",
        "CREATE INDEX cover_by_cover_worker ON cover_periods (cover_worker_id, ends_on)",
        "CREATE INDEX cover_by_key_worker ON cover_periods (key_worker_id, ends_on)",
        "ALTER TABLE inbound_messages ADD COLUMN unread_alert_at TEXT",
    ):
        db.execute(statement)


@migrations()
def m031_texts_mend_sends_for_the_team(db):
    """Two more purposes for a text: the out-of-hours auto-reply and the "I am moving
    on" text at a handover, so neither is edited, de-duplicated or counted as a repair.

    SQLite cannot alter a CHECK constraint. Widening one (every stored row still
    passes) is the "simpler procedure" in SQLite's ALTER TABLE documentation (section
    "Making Other Kinds Of Table Schema Changes"): rewrite the table's SQL in
    sqlite_schema under writable_schema, bump schema_version, check integrity. No row
    is copied, so columns added by other migrations are kept as they are.
    """
    old = "CHECK (purpose IN ('repair', 'consent_request'))"
    new = "CHECK (purpose IN ('repair', 'consent_request', 'out_of_hours', 'handover'))"
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        changed = db.execute(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?)"
            " WHERE type = 'table' AND name = 'messages' AND instr(sql, ?) > 0",
            [old, new, old]).rowcount
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")
    if changed != 1:
        raise RuntimeError("messages.purpose: the CHECK constraint to widen was not found")
    problem = db.execute("PRAGMA integrity_check").fetchone()[0]
    if problem != "ok":
        raise RuntimeError(f"integrity_check after widening messages.purpose: {problem}")


# New migrations go here, at the end, numbered after the last one.


def upgrade(db):
    """Apply pending migrations; safe to run any number of times."""
    db.enable_wal()
    migrations.apply(db)


def pending_migrations(db):
    return [migration.name for migration in migrations.pending(db)]
