"""gunicorn settings for Mend's web process: `gunicorn 'app:create_app()'`.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
The dispatcher is NOT started here: run `flask --app app scheduler run` once, apart.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sync workers, one request at a time each, as many as gunicorn advises (2 x cores + 1).
# A sync worker takes a connection only when it is free, so every request waits in the
# kernel's one queue for the first free worker. gthread workers take connections as they
# come and queue them behind their own threads: a worker whose threads were busy (one
# waiting for SQLite's write lock, others waiting for Python's GIL) held requests that an
# idle worker could have served. Under `bench.load` (30 simulated workers, 2 cores) p95
# was 224-268 ms with 2 gthread workers x 4 threads, 142-212 ms with sync workers.
# Sync workers need a reverse proxy that buffers requests and responses (nginx does by
# default) so that a slow client never holds a worker; Mend runs behind one.
# At most 9: each worker is a whole copy of the app, and SQLite takes one writer at a
# time however many there are. The cores this process may run on, not the host's (a
# container's CPU quota is not seen here: set WEB_CONCURRENCY there).
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * len(os.sched_getaffinity(0)) + 1, 9)))
# More than one thread makes gunicorn use gthread workers again.
threads = int(os.environ.get("WEB_THREADS", 1))
worker_class = "sync"
# A sync worker that has not finished its request in this many seconds is killed. The
# longest request is the history CSV download: exporting a million texts took 13-22 s
# on this project's 2-core machine (README, Audit); a download cut off at this limit is
# a truncated file, so a history of several million texts is exported with
# `flask --app app audit export` instead (docs/operations.md).
timeout = 120
graceful_timeout = 20
# No keep-alive: each request is a new connection, accepted by whichever worker is free
# first. With keep-alive, a client's connection stays with the worker that accepted
# it: under `bench.load` one of two workers served nine requests in ten (one core
# busy, the other idle). Mend runs behind a reverse proxy on the same machine, where
# a new connection per request costs a fraction of a millisecond.
keepalive = 0
# Workers are not recycled after N requests: with gthread, a worker that restarts for
# max_requests resets connections it has accepted but not served (gunicorn issue #3038),
# and a reset webhook is a lost STOP or delivery report. The load benchmark found it.
max_requests = 0
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
# Access lines carry the path and status only, never query strings or bodies.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
