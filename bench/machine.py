"""How fast this machine is at what the benchmarks do, printed beside their figures.

.venv/bin/python -m bench.machine
"""

from __future__ import annotations

import os
import threading
import time
from array import array


def machine_speed() -> str:
    """How fast this machine is at what the benchmarks do, to compare figures from different days.

    VMs of the same 2-core type have run the load benchmark at a third of the speed on some days
    while a pure-Python loop ran as fast. The figure that tracked it was the memory read: where a
    read beyond the core's own caches costs about 200 ns instead of tens, Django's working set
    (many megabytes of objects and code) is read at that price, on every request.
    """
    loop = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(5_000_000):
            total += i
        loop = min(loop, time.process_time() - started)
    return (
        f"{loop:.2f} s for a 5M-step Python loop, {handoff_microseconds():.0f} us per thread handoff round trip, "
        f"{memory_read_nanoseconds():.0f} ns per random read in 8 MB"
    )


def handoff_microseconds(rounds: int = 5000) -> float:
    """Wall time of one round trip between two threads over pipes (two wake-ups)."""
    ping_read, ping_write = os.pipe()
    pong_read, pong_write = os.pipe()

    def echo() -> None:
        for _ in range(rounds):
            os.read(ping_read, 1)
            os.write(pong_write, b".")

    thread = threading.Thread(target=echo)
    thread.start()
    started = time.perf_counter()
    for _ in range(rounds):
        os.write(ping_write, b".")
        os.read(pong_read, 1)
    elapsed = time.perf_counter() - started
    thread.join()
    for fd in (ping_read, ping_write, pong_read, pong_write):
        os.close(fd)
    return elapsed / rounds * 1e6


def memory_read_nanoseconds(steps: int = 1_000_000) -> float:
    """What one dependent random read in an 8 MB table costs beyond the same read in a 64 KB one.

    8 MB is past a core's own L2 but within an ordinary server's shared L3.
    """

    def chase(size: int) -> float:
        entries = size // 8
        # Each entry names the next: i -> 5i + 1 visits every entry once (full-period LCG), in no
        # order a prefetcher can follow.
        table = array("q", [(5 * i + 1) % entries for i in range(entries)])
        best = float("inf")
        for _ in range(3):
            position = 0
            started = time.perf_counter()
            for _ in range(steps):
                position = table[position]
            best = min(best, time.perf_counter() - started)
        return best / steps * 1e9

    return chase(8 << 20) - chase(64 << 10)


if __name__ == "__main__":
    print(machine_speed())
