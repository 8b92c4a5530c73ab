"""What the simulated workers and Twilio saw during a load run, under one lock."""
import threading
from collections import defaultdict

LOCKED = "database is locked"  # in any response or log: a problem


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.confirmed = []   # (message id, contact id)
        self.refused = 0      # a compose the app refused (e.g. the person texted STOP)
        self.repeats = 0      # the same text confirmed again within minutes: kept as one
        self.problems = []

    def time(self, page, seconds):
        with self.lock:
            self.times[page].append(seconds)

    def problem(self, text):
        with self.lock:
            if len(self.problems) < 200:
                self.problems.append(text)
