"""Who may see what: the caseload rule (`sms.people.in_caseload`) applied to the
current user, as helpers that answer 404 for anything outside it."""
from flask import abort, current_app, g
from flask_login import current_user

from sms import people
from sms.service import Service
from storage import contacts, inbound, messages, team

from .database import get_db


def service():
    """The service's settings the rules need, from the app's config."""
    return Service.from_config(current_app.config)


def covering():
    """The key workers the current user covers today (cover widens the caseload)."""
    if "covering" not in g:
        g.covering = team.covered_key_workers(get_db(), current_user.id,
                                              today=service().today())
    return g.covering


def sees(key_worker_id):
    return people.in_caseload(key_worker_id, user_id=current_user.id,
                              sees_everyone=current_user.sees_everyone,
                              covering=covering())


def visible(contact):
    """A person the current user may see: not erased, and in their caseload."""
    return contact is not None and not contact["erased_at"] and sees(contact["key_worker_id"])


def visible_contacts(db):
    """The people the current user may see: their caseload, or everyone."""
    if current_user.sees_everyone:
        return contacts.listing(db)
    return contacts.listing(db, key_worker_id=current_user.id, covering=covering())


def contact_or_404(contact_id):
    contact = contacts.get(get_db(), contact_id)
    if not visible(contact):
        abort(404)
    return contact


def message_or_404(message_id):
    message = messages.get(get_db(), message_id)
    if message is None or not sees(message["key_worker_id"]):
        abort(404)
    return message


def inbound_or_404(inbound_id):
    """A received text: their caseload's, or (unmatched numbers) for admins only."""
    row = inbound.get(get_db(), inbound_id)
    if row is None or row["erased_at"]:
        abort(404)
    if row["contact_id"] is None:
        if current_user.role != "admin":
            abort(403)
    else:
        contact_or_404(row["contact_id"])
    return row
