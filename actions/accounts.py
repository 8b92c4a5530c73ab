"""Staff accounts: create one, deactivate one, passwords (change your own, an admin's
temporary one, the command line's), and the demo accounts.

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
MAX_PASSWORD_LENGTH = 1024
# Two reviewers, so four-eyes approval can be tried: one writes, the other approves.
DEMO_ACCOUNTS = (("admin", "admin@example.org", "Demo Admin"),
                 ("reviewer", "reviewer@example.org", "Demo Reviewer"),
                 ("reviewer", "reviewer2@example.org", "Demo Second Reviewer"),
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


def _insert(db, *, email, name, role, password_hash, by, demo=False):
    user_id = users.create(db, email=email, name=name, role=role, password_hash=password_hash,
                           demo=demo)
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
    """On a database with no accounts but demo ones, create the demo accounts missing
    (an admin, two reviewers and a worker), marked as demo accounts.

    Returns the accounts created with their passwords (to show once), or an empty
    tuple when a real account exists or every demo account exists already.
    """
    if not users.has_only_demo_accounts(db):
        return ()
    missing = [account for account in DEMO_ACCOUNTS if not users.by_email(db, account[1])]
    passwords = {email: new_password() for _, email, _ in missing}
    hashes = {email: hash_password(password) for email, password in passwords.items()}
    created = []
    with write_transaction(db):
        if not users.has_only_demo_accounts(db):  # someone got there before the lock
            return ()
        for role, email, name in missing:
            if users.by_email(db, email):
                continue
            user_id = _insert(db, email=email, name=name, role=role,
                              password_hash=hashes[email], by=by, demo=True)
            created.append(CreatedAccount(user_id=user_id, email=email, name=name, role=role,
                                          generated_password=passwords[email]))
    return tuple(created)


def _checked_password(password):
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters.")
    return password


def change_own_password(db, user_id, *, current, new):
    """A person changes their own password (and so ends a temporary one).

    Raises AccountError, for the person, when the current password is wrong or the new
    one is too short or the same.
    """
    row = users.get(db, user_id)
    if row is None or not row["active"]:
        raise AccountError("This account cannot change its password.")
    if not password_matches(row["password_hash"], current or ""):
        raise AccountError("That is not your current password. Check it and try again.")
    _checked_password(new)
    if password_matches(row["password_hash"], new):
        raise AccountError("Choose a password different from the one you have now.")
    new_hash = hash_password(new)
    with write_transaction(db):
        users.set_password_hash(db, user_id, new_hash, must_change=False)
        events.record(db, action="user.password_changed", subject_type="user",
                      subject_id=user_id, actor_type="user", actor_id=user_id,
                      detail={"by": "themselves", "was_temporary": bool(
                          row["must_change_password"])})


@dataclass(frozen=True)
class TemporaryPassword:
    user_id: int
    email: str
    password: str  # shown once to the admin; it must be changed at the next login


def reset_password(db, user_id, *, admin_id):
    """An admin issues a temporary password; the account must change it at its next
    login. Raises AccountError for an unknown or deactivated account, or the admin's own
    (they change theirs themselves)."""
    row = users.get(db, user_id)
    if row is None:
        raise AccountError("There is no such account.")
    if not row["active"]:
        raise AccountError(f"{row['email']} is deactivated, so it cannot log in anyway.")
    if row["id"] == admin_id:
        raise AccountError("To change your own password, use “Change your password”.")
    temporary = new_password()
    temporary_hash = hash_password(temporary)
    with write_transaction(db):
        users.set_password_hash(db, user_id, temporary_hash, must_change=True)
        events.record(db, action="user.password_reset", subject_type="user",
                      subject_id=user_id, actor_type="user", actor_id=admin_id,
                      detail={"by": "admin", "must_change": True})
    return TemporaryPassword(user_id=row["id"], email=row["email"], password=temporary)


def set_password(db, email, password, *, by="command line"):
    """The command line sets an account's password (for example a lost demo password).
    Raises AccountError for an unknown account or a password that is too short."""
    _checked_password(password)
    new_hash = hash_password(password)
    with write_transaction(db):
        row = users.by_email(db, email)
        if row is None:
            raise AccountError(f"No account for {email.strip().lower()}.")
        users.set_password_hash(db, row["id"], new_hash, must_change=False)
        events.record(db, action="user.password_changed", subject_type="user",
                      subject_id=row["id"], detail={"by": by})
    return row["email"]


def set_languages(db, user_id, codes, *, admin_id):
    """An admin sets the languages an account reads: a reviewer approves versions only
    in these. Raises AccountError for an unknown account or no language at all.
    Returns the codes saved."""
    from sms.languages import parse_codes

    chosen = parse_codes(",".join(codes))
    if not chosen:
        raise AccountError("Choose at least one language the account reads.")
    with write_transaction(db):
        if users.get(db, user_id) is None:
            raise AccountError("There is no such account.")
        users.set_languages(db, user_id, chosen)
        events.record(db, action="user.languages_changed", subject_type="user",
                      subject_id=user_id, actor_type="user", actor_id=admin_id,
                      detail={"languages": chosen})
    return chosen
