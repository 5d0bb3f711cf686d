"""CPU seconds spent by the server, the load generator and the database during a measured window.

Latency on a 2-core machine depends on whatever else runs on it; CPU time per request does much
less, so the load benchmarks print both. Read from /proc (Linux): a process's user + system time,
summed over the server's process tree, this (client) process, and every PostgreSQL process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds) of one process, or None if it has gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _snapshot(server_pid: int) -> dict[str, dict[int, float]]:
    stats = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit()
             if (s := _stat(int(p.name))) is not None}
    server: set[int] = {server_pid}
    grew = True
    while grew:  # the server's descendants (uvicorn workers)
        grown = {pid for pid, (_, parent, _) in stats.items() if parent in server} - server
        server |= grown
        grew = bool(grown)
    return {
        "server": {pid: stats[pid][2] for pid in server if pid in stats},
        "client": {os.getpid(): stats[os.getpid()][2]} if os.getpid() in stats else {},
        "database": {pid: cpu for pid, (name, _, cpu) in stats.items() if name.startswith("postgres")},
    }


@dataclass
class CpuMeter:
    """``start()`` before the load, ``stop()`` after: CPU seconds per part over the window."""

    server_pid: int
    _start: dict[str, dict[int, float]] | None = None

    def start(self) -> None:
        self._start = _snapshot(self.server_pid)

    def stop(self) -> dict[str, float]:
        if self._start is None:
            raise RuntimeError("CpuMeter.stop() before start()")
        end = _snapshot(self.server_pid)
        return {part: sum(cpu - self._start[part].get(pid, 0.0) for pid, cpu in end[part].items())
                for part in end}
