"""Logging in and out: every attempt is kept (for throttling) and every login and
logout is an audit event."""
from storage import events, users
from storage.connection import write_transaction


def record_login_attempt(db, *, email, remote_addr, user_id):
    """`user_id` is the account that logged in, or None for a failed attempt. The attempt
    and the audit event are one write, made before the session is: nobody is logged in
    without a `user.login` event, even if the process dies."""
    with write_transaction(db):
        users.record_login_attempt(db, email=email, remote_addr=remote_addr,
                                   succeeded=user_id is not None)
        if user_id is not None:
            events.record(db, action="user.login", subject_type="user", subject_id=user_id,
                          actor_type="user", actor_id=user_id)


def record_logout(db, *, user_id):
    events.record(db, action="user.logout", subject_type="user", subject_id=user_id,
                  actor_type="user", actor_id=user_id)
