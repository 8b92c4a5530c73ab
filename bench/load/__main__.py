"""Load benchmark (not a test): `python -m bench.load [--seconds 60] [--workers 30]`,
from the project root. Prints a table, then the figures as one JSON line, last; exits 1
if the run found a problem."""
import argparse
import json
import sys

from bench.load.report import print_table
from bench.load.run import run_load
from bench.measure import machine


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.load",
                                     description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=30)
    parser.add_argument("--web-workers", type=int, default=None,
                        help="gunicorn workers (default: as gunicorn.conf.py sets them)")
    parser.add_argument("--web-threads", type=int, default=None,
                        help="threads per gunicorn worker (default: gunicorn.conf.py's)")
    parser.add_argument("--fake-latency", type=float, default=0.05)
    args = parser.parse_args()
    result = run_load(args.seconds, args.workers, fake_latency=args.fake_latency,
                      web_workers=args.web_workers, web_threads=args.web_threads)
    result["machine"] = machine()
    print_table(result)
    print(json.dumps(result))
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
