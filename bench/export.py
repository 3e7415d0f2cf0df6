"""The export benchmark: `make bench-export` (or `python bench/export.py`).

Streams the facility list as CSV (`/facilities/?export=csv`, every facility) through the
production server (gunicorn, DEBUG off, as bench/run.py starts it) from the generated database
supervision_bench_<size> (made and filled by bench/run.py's prepare() when missing, reused
otherwise), and prints the time to the first byte, the total time, the rows received and the
serving worker's resident memory (VmRSS from /proc, sampled every 50 ms) before and at its peak:
a streamed export should keep it flat whatever the size.

Settings (environment): BENCH_EXPORT_SIZE=1000000  BENCH_EXPORT_QUERY (extra query string, e.g.
`ordering=-deposit`)  BENCH_EXPORT_WORKER_CLASS=gthread (as `make serve`; `sync` shows what a
sync worker does: gunicorn kills it after --timeout 60 s, mid-stream)  BENCH_WORKERS (default 2
here)  BENCH_PG: see bench/run.py.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import requests

os.environ.setdefault("BENCH_WORKERS", "2")
WORKER_CLASS = os.environ.get("BENCH_EXPORT_WORKER_CLASS", "gthread")
if WORKER_CLASS != "sync":
    # Read by gunicorn itself: bench/run.py starts it with the environment it is given.
    os.environ["GUNICORN_CMD_ARGS"] = f"--worker-class {WORKER_CLASS} --threads 4"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  bench/run.py: the databases, the server, signing in

SIZE = int(os.environ.get("BENCH_EXPORT_SIZE", "1000000"))
QUERY = os.environ.get("BENCH_EXPORT_QUERY", "")
SAMPLE_SECONDS = 0.05


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def workers_of(port: int) -> list[int]:
    """The gunicorn workers serving port: the processes bound to it, less their master."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if "gunicorn" in cmdline and f"127.0.0.1:{port}" in cmdline:
            found.append((int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])))
    pids = {pid for pid, _ in found}
    return [pid for pid, parent in found if parent in pids]  # children of the master


class Sampler(threading.Thread):
    """Peak VmRSS of each worker while the export runs."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = {pid: rss_kb(pid) for pid in pids}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_kb(pid))
            time.sleep(SAMPLE_SECONDS)


def main() -> None:
    sample = run.prepare(SIZE)
    with run.server(SIZE) as base:
        port = int(base.rsplit(":", 1)[1])
        session = run.sign_in(base, *sample["reader"])
        # Warm each worker (imports, connections) so that the figure is the export's own.
        for _ in range(4):
            session.get(f"{base}/facilities/").raise_for_status()
        pids = workers_of(port)
        before = {pid: rss_kb(pid) for pid in pids}
        sampler = Sampler(pids)
        sampler.start()
        url = f"{base}/facilities/?export=csv" + (f"&{QUERY}" if QUERY else "")
        started = time.perf_counter()
        first_byte = None
        size = lines = 0
        cut = False
        with session.get(url, stream=True, timeout=3600) as response:
            response.raise_for_status()
            try:
                for block in response.iter_content(chunk_size=65536):
                    if first_byte is None:
                        first_byte = time.perf_counter() - started
                    size += len(block)
                    lines += block.count(b"\r\n")
            except requests.RequestException:
                cut = True  # the server closed the stream before its end
        total = time.perf_counter() - started
        time.sleep(0.2)
        sampler.stop.set()
        sampler.join()
    served = max(pids, key=lambda pid: sampler.peak[pid] - before[pid])
    print(f"export of {SIZE:,} facilities as CSV ({url.split('?', 1)[1]}), {WORKER_CLASS} workers")
    if cut:
        print("  CUT SHORT: the server ended the stream before the last row")
    print(f"  time to first byte  {first_byte or 0:8.2f} s")
    print(f"  total time          {total:8.2f} s")
    print(f"  rows                {lines - 1:>11,}")
    print(f"  size                {size / 1e6:8.1f} MB")
    print(
        f"  worker RSS          {before[served] / 1024:8.1f} MB before, "
        f"{sampler.peak[served] / 1024:.1f} MB at peak "
        f"(+{(sampler.peak[served] - before[served]) / 1024:.1f} MB)"
    )


if __name__ == "__main__":
    main()
