"""What every benchmark reports the same way: percentiles and the machine it ran on."""
import os
import platform
import sqlite3
from pathlib import Path


def percentile(values, fraction):
    """The nearest-rank value at `fraction` (0.5 = median), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def machine():
    """CPU model, cores, memory, Python, SQLite and OS, for the README's tables."""
    cpu = platform.processor() or platform.machine()
    memory = None
    try:
        cpu = next((line.split(":", 1)[1].strip()
                    for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), cpu)
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{round(kib / 2**20, 1)} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "system": f"{platform.system()} {platform.release()}"}
