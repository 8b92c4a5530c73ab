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
import re

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


# m010-m012: issue 12 (plain placeholders and honest review; accounts; number reveals).

# Frozen here on purpose: a migration must keep doing what it did when it shipped, so
# it does not import the renderer (storage/ imports nothing of ours either).
_M010_TO_PLAIN = (
    ("{{ worker }}{% if service %} from {{ service }}{% endif %}", "{worker}"),
    ("{% if personal %}{{ personal }} {% endif %}", "{personal} "),
    ("{% if personal %}{{ personal }}{% endif %}", "{personal}"),
    ("{{ name }}", "{name}"),
    ("{{ next_meeting }}", "{next_meeting}"),
)
_M010_PLAIN_TOKEN = re.compile(r"\{([^{}]*)\}|[{}]")


def _m010_to_jinja(plain):
    """The plain form's translation as it was when m010 shipped, or None if unreadable."""
    pieces, position, signed = [], 0, False
    for match in _M010_PLAIN_TOKEN.finditer(plain):
        name = match.group(1)
        if name not in ("name", "worker", "next_meeting", "personal"):
            return None
        pieces.append(plain[position:match.start()])
        position = match.end()
        if name == "worker" and not signed:
            pieces.append("{{ worker }}{% if service %} from {{ service }}{% endif %}")
            signed = True
        elif name == "personal":
            spaced = plain[position:position + 1] == " "
            pieces.append("{% if personal %}{{ personal }}" + (" " if spaced else "")
                          + "{% endif %}")
            position += 1 if spaced else 0
        else:
            pieces.append("{{ %s }}" % name)
    pieces.append(plain[position:])
    return "".join(pieces)


def m010_plain_body(jinja_body):
    """The plain form of an old Jinja body, or None when it has no exact plain form.

    Converted only when translating the plain form back gives the very same Jinja, so
    every converted version sends exactly the words that were approved.
    """
    plain = jinja_body
    for old, new in _M010_TO_PLAIN:
        plain = plain.replace(old, new)
    return plain if _m010_to_jinja(plain) == jinja_body else None


@migrations()
def m010_plain_templates_and_honest_review(db):
    """Templates in plain placeholders, and review only in the app (issue 12).

    - Every stored body in the old Jinja form that has an exact plain form is rewritten
      to it; the Jinja it was approved as is kept in `legacy_body`, with `converted_at`.
      The text it sends does not change (proved by the round trip above), so the
      approval stands; nothing is marked reviewed that was not.
    - `drafted_by`: who drafted a starter file's wording (for example the Mend project).
    - No version is ever inserted as approved: approval is a reviewer's decision in the
      app (the starter library used to load files as approved by a name in the file).
    """
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    db.execute("ALTER TABLE template_versions ADD COLUMN legacy_body TEXT")
    db.execute("ALTER TABLE template_versions ADD COLUMN converted_at TEXT")
    db.execute("ALTER TABLE template_versions ADD COLUMN drafted_by TEXT")
    db.execute("DROP TRIGGER template_versions_settled")
    rows = db.execute("SELECT id, body FROM template_versions").fetchall()
    for version_id, body in rows:
        if not any(mark in body for mark in ("{{", "{%", "{#")):
            continue
        plain = m010_plain_body(body)
        if plain is not None:
            db.execute("UPDATE template_versions SET body = ?, legacy_body = ?,"
                       " converted_at = ? WHERE id = ?", [plain, body, now, version_id])
    for statement in (
        """CREATE TRIGGER template_versions_settled BEFORE UPDATE ON template_versions
           WHEN OLD.status != 'draft'
           BEGIN SELECT RAISE(ABORT, 'an approved or rejected template version cannot change');
           END""",
        """CREATE TRIGGER template_versions_approved_in_the_app
           BEFORE INSERT ON template_versions WHEN NEW.status != 'draft'
           BEGIN SELECT RAISE(ABORT, 'a version starts as a draft: a reviewer approves it in the app');
           END""",
    ):
        db.execute(statement)


@migrations()
def m011_passwords_and_demo_accounts(db):
    """A temporary password set by an admin must be changed at the next login; demo
    accounts are marked, so what they approve says "for the demo"."""
    db.execute("ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE users ADD COLUMN demo INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE users SET demo = 1 WHERE EXISTS (SELECT 1 FROM events"
               " WHERE action = 'user.created' AND subject_type = 'user'"
               " AND subject_id = users.id AND json_extract(detail, '$.by') = 'demo set-up')")


@migrations()
def m012_number_reveal_notes(db):
    """A number reveal's reason is now a code from a short list (append-only, like the
    reveal); the admin's optional note is kept apart, so erasing the person can blank
    it. Free text in an append-only table could never be erased."""
    db.execute(
        """CREATE TABLE number_reveal_notes (
            reveal_id INTEGER PRIMARY KEY REFERENCES number_reveals (id),
            contact_id INTEGER NOT NULL REFERENCES contacts (id),
            note TEXT NOT NULL,
            erased_at TEXT
        )""")
    db.execute("CREATE INDEX number_reveal_notes_by_contact ON number_reveal_notes (contact_id)")
    # Reveals recorded before this migration hold the admin's free text as their reason:
    # it moves to the notes (blank for people already erased) and the reason becomes
    # "other", so erasure and retention can reach it. The append-only trigger is lifted
    # for this one statement only.
    codes = ("provider_refused", "person_asked", "information_request", "safety_concern",
             "other")  # frozen here: what the list held when m012 shipped
    marks = ", ".join("?" for _ in codes)
    db.execute(f"""INSERT INTO number_reveal_notes (reveal_id, contact_id, note, erased_at)
        SELECT number_reveals.id, number_reveals.contact_id,
               CASE WHEN contacts.erased_at IS NULL THEN number_reveals.reason ELSE '' END,
               contacts.erased_at
        FROM number_reveals JOIN contacts ON contacts.id = number_reveals.contact_id
        WHERE number_reveals.reason NOT IN ({marks})""", codes)
    db.execute("DROP TRIGGER number_reveals_append_only_update")
    db.execute(f"UPDATE number_reveals SET reason = 'other' WHERE reason NOT IN ({marks})", codes)
    db.execute("""CREATE TRIGGER number_reveals_append_only_update BEFORE UPDATE ON number_reveals
        BEGIN SELECT RAISE(ABORT, 'number reveals are append-only'); END""")


@migrations()
def m020_repairs(db):
    """The repair journey (issue 13): a repair, the texts and replies linked to it, the
    meetings the worker recorded, and the worker's private reflection.

    The counts the outcome ledger needs (`texts_sent`, `replied_72h`, `came_14d`,
    `talked`, `ending`) are kept on the repair as they happen (`texts_sent` by a
    trigger when a linked text first reaches the provider), and triggers keep their
    sums per situation and template version in `repair_ledger`, in the same
    transaction as the change, so the ledger reads a few dozen rows however many
    repairs there are. One statement at a time, inside the migration's transaction.
    """
    for statement in (
        """CREATE TABLE repairs (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts (id),
            worker_id INTEGER NOT NULL REFERENCES users (id),
            situation TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('withdrawal', 'confrontation')),
            happened_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            next_meeting_at TEXT,
            template_version_id INTEGER REFERENCES template_versions (id),
            texts_sent INTEGER NOT NULL DEFAULT 0,
            replies INTEGER NOT NULL DEFAULT 0,
            replied_72h INTEGER NOT NULL DEFAULT 0,
            came_14d INTEGER NOT NULL DEFAULT 0,
            talked INTEGER NOT NULL DEFAULT 0,
            plan_status TEXT CHECK (plan_status IN ('active', 'cancelled')),
            plan_ended_reason TEXT,
            closed_at TEXT,
            closed_by INTEGER REFERENCES users (id),
            ending TEXT CHECK (ending IN ('better', 'same', 'worse', 'not_sure',
                                          'not_recorded')),
            words_removed_at TEXT,
            demo INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX repairs_by_worker ON repairs (worker_id, closed_at, id)",
        "CREATE INDEX repairs_by_contact ON repairs (contact_id, closed_at, id)",
        "CREATE INDEX repairs_open ON repairs (created_at) WHERE closed_at IS NULL",
        """CREATE INDEX repairs_by_happened ON repairs (happened_at, kind, situation,
            template_version_id, texts_sent, replied_72h, came_14d, talked, ending)""",
        """CREATE TABLE repair_texts (
            message_id INTEGER PRIMARY KEY REFERENCES messages (id),
            repair_id INTEGER NOT NULL REFERENCES repairs (id),
            role TEXT NOT NULL CHECK (role IN ('repair', 'follow_up')),
            linked_at TEXT NOT NULL
        )""",
        "CREATE INDEX repair_texts_by_repair ON repair_texts (repair_id, message_id)",
        """CREATE TABLE repair_replies (
            inbound_id INTEGER PRIMARY KEY REFERENCES inbound_messages (id),
            repair_id INTEGER NOT NULL REFERENCES repairs (id),
            linked_at TEXT NOT NULL
        )""",
        "CREATE INDEX repair_replies_by_repair ON repair_replies (repair_id, inbound_id)",
        """CREATE TABLE repair_meetings (
            id INTEGER PRIMARY KEY,
            repair_id INTEGER NOT NULL REFERENCES repairs (id),
            planned_for TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('talked', 'came', 'did_not_come',
                                                     'rearranged', 'other')),
            recorded_at TEXT NOT NULL,
            recorded_by INTEGER REFERENCES users (id)
        )""",
        "CREATE INDEX repair_meetings_by_repair ON repair_meetings (repair_id, id)",
        """CREATE TABLE repair_reflections (
            repair_id INTEGER PRIMARY KEY REFERENCES repairs (id),
            worker_id INTEGER NOT NULL REFERENCES users (id),
            how_it_felt TEXT NOT NULL DEFAULT '',
            when_noticed TEXT NOT NULL DEFAULT '',
            how_noticed TEXT NOT NULL DEFAULT '',
            feelings_left TEXT NOT NULL DEFAULT '',
            shared_with INTEGER REFERENCES users (id),
            share_first_name INTEGER NOT NULL DEFAULT 0,
            shared_at TEXT,
            written_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            words_removed_at TEXT
        )""",
        "CREATE INDEX repair_reflections_shared ON repair_reflections (shared_with, repair_id)",
        """CREATE TABLE repair_ledger (
            situation TEXT NOT NULL,
            template_version_id INTEGER NOT NULL,  -- 0: no text yet
            repairs INTEGER NOT NULL DEFAULT 0,
            texts_sent INTEGER NOT NULL DEFAULT 0,
            replied_72h INTEGER NOT NULL DEFAULT 0,
            came_14d INTEGER NOT NULL DEFAULT 0,
            talked INTEGER NOT NULL DEFAULT 0,
            ended_better INTEGER NOT NULL DEFAULT 0,
            ended_same INTEGER NOT NULL DEFAULT 0,
            ended_worse INTEGER NOT NULL DEFAULT 0,
            ended_not_sure INTEGER NOT NULL DEFAULT 0,
            ended_not_recorded INTEGER NOT NULL DEFAULT 0,
            still_open INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (situation, template_version_id)
        )""",
        """CREATE TRIGGER repair_ledger_insert AFTER INSERT ON repairs BEGIN
             INSERT INTO repair_ledger (situation, template_version_id, repairs, texts_sent,
                 replied_72h, came_14d, talked, ended_better, ended_same, ended_worse,
                 ended_not_sure, ended_not_recorded, still_open)
             VALUES (NEW.situation, ifnull(NEW.template_version_id, 0),
                     1,
                     NEW.texts_sent,
                     NEW.replied_72h,
                     NEW.came_14d,
                     NEW.talked,
                     ifnull(NEW.ending, '') = 'better',
                     ifnull(NEW.ending, '') = 'same',
                     ifnull(NEW.ending, '') = 'worse',
                     ifnull(NEW.ending, '') = 'not_sure',
                     ifnull(NEW.ending, '') = 'not_recorded',
                     NEW.ending IS NULL)
             ON CONFLICT (situation, template_version_id) DO UPDATE SET
                 repairs = repairs + excluded.repairs,
                 texts_sent = texts_sent + excluded.texts_sent,
                 replied_72h = replied_72h + excluded.replied_72h,
                 came_14d = came_14d + excluded.came_14d,
                 talked = talked + excluded.talked,
                 ended_better = ended_better + excluded.ended_better,
                 ended_same = ended_same + excluded.ended_same,
                 ended_worse = ended_worse + excluded.ended_worse,
                 ended_not_sure = ended_not_sure + excluded.ended_not_sure,
                 ended_not_recorded = ended_not_recorded + excluded.ended_not_recorded,
                 still_open = still_open + excluded.still_open;
           END""",
        """CREATE TRIGGER repair_ledger_update AFTER UPDATE OF situation, template_version_id,
             texts_sent, replied_72h, came_14d, talked, ending ON repairs BEGIN
             UPDATE repair_ledger SET
                 repairs = repairs - (1),
                 texts_sent = texts_sent - (OLD.texts_sent),
                 replied_72h = replied_72h - (OLD.replied_72h),
                 came_14d = came_14d - (OLD.came_14d),
                 talked = talked - (OLD.talked),
                 ended_better = ended_better - (ifnull(OLD.ending, '') = 'better'),
                 ended_same = ended_same - (ifnull(OLD.ending, '') = 'same'),
                 ended_worse = ended_worse - (ifnull(OLD.ending, '') = 'worse'),
                 ended_not_sure = ended_not_sure - (ifnull(OLD.ending, '') = 'not_sure'),
                 ended_not_recorded = ended_not_recorded - (ifnull(OLD.ending, '') = 'not_recorded'),
                 still_open = still_open - (OLD.ending IS NULL)
             WHERE situation = OLD.situation
               AND template_version_id = ifnull(OLD.template_version_id, 0);
             INSERT INTO repair_ledger (situation, template_version_id, repairs, texts_sent,
                 replied_72h, came_14d, talked, ended_better, ended_same, ended_worse,
                 ended_not_sure, ended_not_recorded, still_open)
             VALUES (NEW.situation, ifnull(NEW.template_version_id, 0),
                     1,
                     NEW.texts_sent,
                     NEW.replied_72h,
                     NEW.came_14d,
                     NEW.talked,
                     ifnull(NEW.ending, '') = 'better',
                     ifnull(NEW.ending, '') = 'same',
                     ifnull(NEW.ending, '') = 'worse',
                     ifnull(NEW.ending, '') = 'not_sure',
                     ifnull(NEW.ending, '') = 'not_recorded',
                     NEW.ending IS NULL)
             ON CONFLICT (situation, template_version_id) DO UPDATE SET
                 repairs = repairs + excluded.repairs,
                 texts_sent = texts_sent + excluded.texts_sent,
                 replied_72h = replied_72h + excluded.replied_72h,
                 came_14d = came_14d + excluded.came_14d,
                 talked = talked + excluded.talked,
                 ended_better = ended_better + excluded.ended_better,
                 ended_same = ended_same + excluded.ended_same,
                 ended_worse = ended_worse + excluded.ended_worse,
                 ended_not_sure = ended_not_sure + excluded.ended_not_sure,
                 ended_not_recorded = ended_not_recorded + excluded.ended_not_recorded,
                 still_open = still_open + excluded.still_open;
           END""",
        """CREATE TRIGGER repair_ledger_delete AFTER DELETE ON repairs BEGIN
             UPDATE repair_ledger SET
                 repairs = repairs - (1),
                 texts_sent = texts_sent - (OLD.texts_sent),
                 replied_72h = replied_72h - (OLD.replied_72h),
                 came_14d = came_14d - (OLD.came_14d),
                 talked = talked - (OLD.talked),
                 ended_better = ended_better - (ifnull(OLD.ending, '') = 'better'),
                 ended_same = ended_same - (ifnull(OLD.ending, '') = 'same'),
                 ended_worse = ended_worse - (ifnull(OLD.ending, '') = 'worse'),
                 ended_not_sure = ended_not_sure - (ifnull(OLD.ending, '') = 'not_sure'),
                 ended_not_recorded = ended_not_recorded - (ifnull(OLD.ending, '') = 'not_recorded'),
                 still_open = still_open - (OLD.ending IS NULL)
             WHERE situation = OLD.situation
               AND template_version_id = ifnull(OLD.template_version_id, 0);
           END""",
        """CREATE TRIGGER repair_texts_count_sent AFTER UPDATE OF status ON messages
           WHEN NEW.status IN ('sent', 'delivered', 'undelivered')
            AND OLD.status NOT IN ('sent', 'delivered', 'undelivered')
           BEGIN
             UPDATE repairs SET texts_sent = texts_sent + 1
             WHERE id = (SELECT repair_id FROM repair_texts WHERE message_id = NEW.id);
           END""",
    ):
        db.execute(statement)


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


@migrations()
def m040_send_started(db):
    """When the dispatcher let a claimed text's request leave, written and committed
    before the request: after a crash, a claimed text without it never reached the
    provider and can go back to `scheduled`; one with it is looked up first.

    A text an older release left in `sending` (it stopped mid-send) may have reached
    the provider: it counts as started, so it is looked up and never simply resent."""
    db.execute("ALTER TABLE messages ADD COLUMN send_started_at TEXT")
    db.execute("UPDATE messages SET send_started_at = coalesce(claimed_at, updated_at)"
               " WHERE status = 'sending'")


_WEEK = "date({0}, 'weekday 0', '-6 days')"  # the Monday (UTC) of a stored time
_REACHED = "('sent', 'delivered')"


def _report_sql(row):
    """The rollup rows one message row (`old` or `new`) counts towards."""
    return {
        "status": f"INSERT INTO report_weeks (week, status, n)"
                  f" VALUES ({_WEEK.format(row + '.scheduled_for')}, {row}.status, ?)"
                  f" ON CONFLICT (week, status) DO UPDATE SET n = n + excluded.n;",
        "reach": f"INSERT INTO report_reach (week, template_version_id, reached, replied)"
                 f" SELECT {_WEEK.format(row + '.sent_at')},"
                 f" coalesce({row}.template_version_id, 0), ?, ? * ({row}.replied_at IS NOT NULL)"
                 f" WHERE {row}.sent_at IS NOT NULL AND {row}.status IN {_REACHED}"
                 f" ON CONFLICT (week, template_version_id) DO UPDATE SET"
                 f" reached = reached + excluded.reached, replied = replied + excluded.replied;",
    }


@migrations()
def m041_report_rollups(db):
    """Running totals for the dashboard, kept by triggers so that every write path
    keeps them (the dispatcher, callbacks, people, tests that write rows directly).

    - `report_weeks`: texts per week (the Monday, UTC, of `scheduled_for`) and status.
    - `report_reach`: texts that reached the person (sent or delivered) per week of
      `sent_at` and template version, and how many had a reply within 7 days.
    - `messages.replied_at`: when the person first replied within 7 days of the text
      (set by a trigger when the reply arrives).

    At a million texts the dashboard then reads a few hundred rows instead of
    scanning twelve weeks of texts (a second) on every view. Existing rows are
    counted once, here.
    """
    db.execute("ALTER TABLE messages ADD COLUMN replied_at TEXT")
    db.execute("""CREATE TABLE report_weeks (
        week TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (week, status)) WITHOUT ROWID""")
    db.execute("""CREATE TABLE report_reach (
        week TEXT NOT NULL, template_version_id INTEGER NOT NULL,
        reached INTEGER NOT NULL, replied INTEGER NOT NULL,
        PRIMARY KEY (week, template_version_id)) WITHOUT ROWID""")
    db.execute("CREATE INDEX inbound_replies ON inbound_messages (kind, contact_id, received_at)")
    # Existing texts and replies, counted once.
    db.execute("""
        UPDATE messages SET replied_at = (
            SELECT min(i.received_at) FROM inbound_messages i
            WHERE i.contact_id = messages.contact_id AND i.kind = 'reply'
              AND i.received_at > messages.sent_at
              AND i.received_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', messages.sent_at,
                                            '+7 days'))
        WHERE sent_at IS NOT NULL""")
    db.execute(f"""
        INSERT INTO report_weeks (week, status, n)
        SELECT {_WEEK.format('scheduled_for')} AS week, status, count(*)
        FROM messages GROUP BY week, status""")
    db.execute(f"""
        INSERT INTO report_reach (week, template_version_id, reached, replied)
        SELECT {_WEEK.format('sent_at')} AS week, coalesce(template_version_id, 0),
               count(*), count(replied_at)
        FROM messages WHERE sent_at IS NOT NULL AND status IN {_REACHED}
        GROUP BY week, coalesce(template_version_id, 0)""")
    new, old = _report_sql("new"), _report_sql("old")
    db.execute(f"""CREATE TRIGGER report_messages_ai AFTER INSERT ON messages BEGIN
        {new["status"].replace("?", "1")} {new["reach"].replace("?", "1")} END""")
    db.execute(f"""CREATE TRIGGER report_messages_ad AFTER DELETE ON messages BEGIN
        {old["status"].replace("?", "-1")} {old["reach"].replace("?", "-1")} END""")
    db.execute(f"""CREATE TRIGGER report_messages_au_status
        AFTER UPDATE OF status, scheduled_for ON messages
        WHEN old.status IS NOT new.status OR old.scheduled_for IS NOT new.scheduled_for BEGIN
        {old["status"].replace("?", "-1")} {new["status"].replace("?", "1")} END""")
    db.execute(f"""CREATE TRIGGER report_messages_au_reach
        AFTER UPDATE OF status, sent_at, template_version_id, replied_at ON messages
        WHEN old.status IS NOT new.status OR old.sent_at IS NOT new.sent_at
          OR old.template_version_id IS NOT new.template_version_id
          OR old.replied_at IS NOT new.replied_at BEGIN
        {old["reach"].replace("?", "-1")} {new["reach"].replace("?", "1")} END""")
    db.execute("""CREATE TRIGGER report_reply_ai AFTER INSERT ON inbound_messages
        WHEN new.kind = 'reply' AND new.contact_id IS NOT NULL BEGIN
        UPDATE messages SET replied_at = new.received_at
        WHERE contact_id = new.contact_id AND replied_at IS NULL
          AND sent_at < new.received_at
          AND sent_at >= strftime('%Y-%m-%dT%H:%M:%S+00:00', new.received_at, '-7 days');
        END""")


@migrations()
def m050_languages(db):
    """The language a person wants texts in (NULL: not asked yet) and the languages
    each account reads and may review in (comma-separated codes from
    `sms.languages.LANGUAGES`; every existing account reads English)."""
    db.execute("ALTER TABLE contacts ADD COLUMN language TEXT")
    db.execute("ALTER TABLE users ADD COLUMN languages TEXT NOT NULL DEFAULT 'en'")


@migrations()
def m051_template_languages(db):
    """Templates in several languages, and who recorded a person's language (issue 18).

    - `template_versions.language`: the language a version is written in (every
      existing version is English). Version numbers stay per template, across
      languages; "the version in use" is the newest approved one in each language.
    - `template_versions.needs_fluent_review`: a starter translation loaded from a
      file; like every version it starts as a draft, and only a reviewer who reads
      its language can approve it.
    - The database refuses an approval by a reviewer whose account does not have the
      version's language (as it refuses one by the version's author).
    - `contacts.language_recorded_at` and `_by`: when and by whom the person's language
      was recorded (the audit event says so too, without the language).
    - `messages.language`: the language(s) of a text, in order ("cy+en" for bilingual;
      NULL: English, written before languages); `other_version_id`: a bilingual
      text's second template version.
    - `translation_requests`: a worker asked reviewers for a template in a language.
      It names no person.
    """
    for statement in (
        "ALTER TABLE template_versions ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",
        "ALTER TABLE template_versions ADD COLUMN needs_fluent_review INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX template_versions_by_language"
        " ON template_versions (template_id, language, version)",
        """CREATE TRIGGER template_versions_reviewer_reads_language
           BEFORE UPDATE OF status ON template_versions
           WHEN NEW.status = 'approved' AND NOT EXISTS (
               SELECT 1 FROM users u WHERE u.id = NEW.reviewed_by
                 AND instr(',' || replace(u.languages, ' ', '') || ',',
                           ',' || NEW.language || ',') > 0)
           BEGIN SELECT RAISE(ABORT, 'a version must be approved by a reviewer who reads its language');
           END""",
        "ALTER TABLE contacts ADD COLUMN language_recorded_at TEXT",
        "ALTER TABLE contacts ADD COLUMN language_recorded_by INTEGER REFERENCES users (id)",
        "ALTER TABLE messages ADD COLUMN language TEXT",
        "ALTER TABLE messages ADD COLUMN other_version_id INTEGER"
        " REFERENCES template_versions (id)",
        """CREATE TABLE translation_requests (
            id INTEGER PRIMARY KEY,
            template_id TEXT NOT NULL REFERENCES sms_templates (id),
            language TEXT NOT NULL,
            requested_by INTEGER NOT NULL REFERENCES users (id),
            requested_at TEXT NOT NULL
        )""",
        "CREATE INDEX translation_requests_by_template"
        " ON translation_requests (template_id, language)",
    ):
        db.execute(statement)


@migrations()
def m065_day_written_for(db):
    """The date (on the service's clock) a text's {day} words were written for: the
    dispatcher never sends it on another date, where "today" would be wrong."""
    db.execute("ALTER TABLE messages ADD COLUMN day_written_for TEXT")


# New migrations go here, at the end, numbered after the last one.


def upgrade(db):
    """Apply pending migrations; safe to run any number of times."""
    db.enable_wal()
    migrations.apply(db)


def pending_migrations(db):
    return [migration.name for migration in migrations.pending(db)]
