"""CPU time of the server side, read from /proc (Linux): gunicorn, PostgreSQL, Redis, RQ."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    with open(f"/proc/{pid}/stat") as handle:
        text = handle.read()
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK  # comm, ppid, utime+stime


def _all():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield int(entry), *_stat(int(entry))
            except (OSError, ValueError):
                continue


def server_pids(gunicorn_pid):
    """The gunicorn master and its workers, every postgres and redis process, RQ workers."""
    pids = {gunicorn_pid}
    for pid, name, ppid, _ in _all():
        if ppid == gunicorn_pid or name.startswith(("postgres", "redis-server", "rq:", "flask")):
            pids.add(pid)
    return pids


def cpu_seconds(pids):
    """{kind: seconds} summed over the processes still alive."""
    totals = {}
    for pid in pids:
        try:
            name, _, seconds = _stat(pid)
        except (OSError, ValueError):
            continue
        kind = ("postgresql" if name.startswith("postgres") else "redis" if name.startswith("redis")
                else "gunicorn" if name.startswith("gunicorn") or "python" in name else "rq worker")
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals
