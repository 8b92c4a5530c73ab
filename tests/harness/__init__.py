"""What the tests and the benchmarks share, so that each is written once:

- `database`: a migrated database with the starter library and accounts (`PASSWORD`,
  `ACCOUNTS`, `prepare_database`), a light one for the dispatcher (`make_database`,
  `add_person`, `add_message`), and the invariants a run must leave behind (no text
  sent twice, every text with its event, valid statuses, a sound file and audit chain);
- `pages`: pages as a browser sees them, through the Flask test client or a `Site`
  session on a running server: CSRF tokens, forms, logging in, adding a person, reading
  hidden fields, choices and the text a confirmation made;
- `processes`: free ports, and one way each to start, wait for and stop the fake Twilio,
  the web app under gunicorn, the dispatcher process and the app in a thread;
- `delivery`: sending through the fake Twilio (the sender's number, the public URL,
  dispatcher settings, a gateway using the official client);
- `fake_twilio`: the fake Twilio HTTP server; `twilio_signing`: webhooks signed as
  Twilio signs them.

The dependency is one way: tests and `bench/` import from here; nothing here imports
from a test module, a conftest or `bench/`.
"""
