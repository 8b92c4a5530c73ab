"""Staff accounts and the login throttle."""
from .connection import to_db_time, utc_now


def create(db, *, email, name, role, password_hash, demo=False):
    table = db.table("users")
    table.insert({
        "email": email.strip().lower(),
        "name": name.strip(),
        "role": role,
        "password_hash": password_hash,
        "active": 1,
        "demo": 1 if demo else 0,
        "created_at": to_db_time(utc_now()),
    })
    return table.last_pk


def get(db, user_id):
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def by_email(db, email):
    rows = list(db.query("SELECT * FROM users WHERE email = ?", [email.strip().lower()]))
    return rows[0] if rows else None


def all_users(db):
    return list(db.query("SELECT * FROM users ORDER BY role, email"))


def count(db):
    return db.execute("SELECT count(*) FROM users").fetchone()[0]


def set_active(db, user_id, active):
    db.execute("UPDATE users SET active = ? WHERE id = ?", [1 if active else 0, user_id])


def set_password_hash(db, user_id, password_hash, *, must_change=False):
    """A new password; `must_change` when it is a temporary one an admin issued."""
    db.execute("UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?",
               [password_hash, 1 if must_change else 0, user_id])


def has_only_demo_accounts(db):
    return db.execute("SELECT count(*) FROM users WHERE demo = 0").fetchone()[0] == 0


def demo_reviewer(db):
    """The first active demo reviewer, or None."""
    rows = list(db.query("SELECT * FROM users WHERE demo = 1 AND role = 'reviewer'"
                         " AND active = 1 ORDER BY id LIMIT 1"))
    return rows[0] if rows else None


def record_login_attempt(db, *, email, remote_addr, succeeded, at=None):
    db.table("login_attempts").insert({
        "email": email.strip().lower(),
        "remote_addr": remote_addr,
        "attempted_at": to_db_time(at or utc_now()),
        "succeeded": 1 if succeeded else 0,
    })


def recent_failures(db, *, email, since):
    """Failed attempts for `email` since `since` and since its last success, oldest first."""
    rows = db.query(
        """
        SELECT attempted_at FROM login_attempts
        WHERE email = ? AND succeeded = 0 AND attempted_at >= ?
          AND attempted_at > coalesce((SELECT max(attempted_at) FROM login_attempts
                                       WHERE email = ? AND succeeded = 1), '')
        ORDER BY attempted_at
        """,
        [email.strip().lower(), to_db_time(since), email.strip().lower()],
    )
    return [row["attempted_at"] for row in rows]


def set_languages(db, user_id, codes):
    """The languages an account reads and reviews in (comma-separated codes)."""
    db.execute("UPDATE users SET languages = ? WHERE id = ?", [",".join(codes), user_id])
