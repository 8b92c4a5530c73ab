"""gunicorn settings for Mend's web process: `gunicorn 'app:create_app()'`.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
The dispatcher is NOT started here: run `flask --app app scheduler run` once, apart.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# SQLite takes one writer at a time: a few sync workers with threads is plenty for a team.
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("WEB_THREADS", 4))
worker_class = "gthread"
timeout = 30
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
