# Counts Collatz steps for 1..=LIMIT on WORKERS threads, and prints the
# seconds it took and the total: `python3 count_threads.py WORKERS LIMIT`.
import sys
import threading
import time

from collatz import chunks, total_steps


# ANCHOR: main
def count_into(totals, slot, start, end):
    totals[slot] = total_steps(start, end)  # each thread has its own slot


workers, limit = int(sys.argv[1]), int(sys.argv[2])
totals = [0] * workers
began = time.perf_counter()
counters = [
    threading.Thread(target=count_into, args=(totals, slot, start, end))
    for slot, (start, end) in enumerate(chunks(limit, workers))
]
for counter in counters:
    counter.start()
for counter in counters:
    counter.join()  # its slot of totals is filled once this returns
elapsed = time.perf_counter() - began
print(elapsed, sum(totals))
# ANCHOR_END: main
