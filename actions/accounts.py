"""Staff accounts: create one, deactivate one, set up the demo accounts.

Each account's row and its audit event are written in one transaction. Passwords are
hashed (argon2, slow on purpose) before the write lock is taken.
"""
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage import events, users
from storage.connection import write_transaction

ROLES = ("worker", "reviewer", "admin")
MIN_PASSWORD_LENGTH = 12
DEMO_ACCOUNTS = (("admin", "admin@example.org", "Demo Admin"),
                 ("reviewer", "reviewer@example.org", "Demo Reviewer"),
                 ("worker", "worker@example.org", "Sam Worker"))

password_hasher = PasswordHasher()


class AccountError(ValueError):
    """The account cannot be created or changed; the message says why, for a person."""


@dataclass(frozen=True)
class CreatedAccount:
    user_id: int
    email: str
    name: str
    role: str
    generated_password: str | None  # shown once; None when the caller chose the password


@dataclass(frozen=True)
class Deactivation:
    user_id: int
    email: str
    already_deactivated: bool


def hash_password(password):
    return password_hasher.hash(password)


def password_matches(password_hash, password):
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_password():
    return secrets.token_urlsafe(12)


def _checked(email, name, role, password):
    email, name = email.strip().lower(), name.strip()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"{email!r} is not an email address, such as kay@example.org.")
    if not name:
        raise AccountError("Give the account a name, such as \"Kay Lead\".")
    if role not in ROLES:
        raise AccountError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    return email, name


def _insert(db, *, email, name, role, password_hash, by):
    user_id = users.create(db, email=email, name=name, role=role, password_hash=password_hash)
    events.record(db, action="user.created", subject_type="user", subject_id=user_id,
                  detail={"role": role, "by": by})
    return user_id


def create_user(db, *, email, name, role, password=None, by="command line"):
    """Create an active account with `password`, or a random one that is returned once.

    Raises AccountError when an input is wrong or the email already has an account.
    """
    email, name = _checked(email, name, role, password)
    generated = None if password is not None else new_password()
    password_hash = hash_password(password if password is not None else generated)
    with write_transaction(db):
        if users.by_email(db, email):
            raise AccountError(f"An account for {email} already exists.")
        user_id = _insert(db, email=email, name=name, role=role,
                          password_hash=password_hash, by=by)
    return CreatedAccount(user_id=user_id, email=email, name=name, role=role,
                          generated_password=generated)


def deactivate_user(db, email, *, by="command line"):
    """Stop an account from logging in; its history is kept. Raises AccountError if unknown."""
    with write_transaction(db):
        row = users.by_email(db, email)
        if row is None:
            raise AccountError(f"No account for {email.strip().lower()}.")
        if not row["active"]:
            return Deactivation(user_id=row["id"], email=row["email"],
                                already_deactivated=True)
        users.set_active(db, row["id"], False)
        events.record(db, action="user.deactivated", subject_type="user",
                      subject_id=row["id"], detail={"by": by})
    return Deactivation(user_id=row["id"], email=row["email"], already_deactivated=False)


def create_demo_users(db, *, by="demo set-up"):
    """On a database with no accounts, create a demo admin, reviewer and worker.

    Returns the accounts created with their passwords (to show once), or an empty
    tuple when any account exists already.
    """
    if users.count(db):
        return ()
    passwords = {email: new_password() for _, email, _ in DEMO_ACCOUNTS}
    hashes = {email: hash_password(password) for email, password in passwords.items()}
    created = []
    with write_transaction(db):
        if users.count(db):  # someone else got there between the check and the lock
            return ()
        for role, email, name in DEMO_ACCOUNTS:
            user_id = _insert(db, email=email, name=name, role=role,
                              password_hash=hashes[email], by=by)
            created.append(CreatedAccount(user_id=user_id, email=email, name=name, role=role,
                                          generated_password=passwords[email]))
    return tuple(created)
