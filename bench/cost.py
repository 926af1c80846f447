"""What a benchmark's figure cost besides wall time, for a shared machine: the database
server's CPU seconds for this connection, and the load average."""

import os

from django.db import connection


def server_cpu() -> float | None:
    """CPU seconds this connection's database server process has used so far, when the
    server runs on this machine (``/proc``): unlike wall time, hardly moved by the other
    work on a shared machine. None otherwise (SQLite, or a server elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def load_average() -> str:
    """The three load averages, as a benchmark line prints them."""
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
