"""How fast this machine is at what the benchmarks do, printed beside their figures.

.venv/bin/python -m bench.machine
"""

from __future__ import annotations

import os
import threading
import time


def machine_speed() -> str:
    """How fast this machine is at what the benchmarks do, to compare figures from different days.

    The same 2-core VM type has run the load benchmark at half the speed on some days while a
    pure-Python loop ran as fast: what differed was the cost of handing the CPU from one thread
    to another (nested virtualisation), which every request pays many times.
    """
    loop = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(5_000_000):
            total += i
        loop = min(loop, time.process_time() - started)
    return f"{loop:.2f} s for a 5M-step Python loop, {handoff_microseconds():.0f} us per thread handoff round trip"


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


if __name__ == "__main__":
    print(machine_speed())
