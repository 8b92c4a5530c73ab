"""A load run's database: one account per simulated worker and, for each, people who
agreed to texts (their numbers checked today)."""
from storage import contacts, events
from storage.connection import connect, to_db_time, utc_now
from tests.harness.database import prepare_database

CONTACTS_PER_WORKER = 3


def make_people(database_path, workers):
    """Returns the accounts (key -> (email, name, role)) and {contact id: phone}."""
    accounts = {f"w{n}": (f"worker{n}@example.org", f"Worker{n} Load", "worker")
                for n in range(workers)}
    ids = prepare_database(database_path, accounts=accounts)
    db = connect(database_path)
    phones = {}
    with db.atomic():
        for n in range(workers):
            for k in range(CONTACTS_PER_WORKER):
                phone = f"+4479115{n:03d}{k:02d}"
                contact_id = contacts.create(
                    db, preferred_name=f"Person {n}-{k}", phone=phone,
                    key_worker_id=ids[f"w{n}"], created_by=ids[f"w{n}"],
                    number_confirmed_on=to_db_time(utc_now()))
                contacts.record_consent(db, contact_id=contact_id, state="granted",
                                        method="in_person", recorded_by=ids[f"w{n}"])
                events.record(db, action="contact.created", subject_type="contact",
                              subject_id=contact_id, actor_type="user",
                              actor_id=ids[f"w{n}"])
                phones[contact_id] = phone
    db.close()
    return accounts, phones
