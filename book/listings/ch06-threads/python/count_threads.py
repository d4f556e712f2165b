# Counts Collatz steps for 1..=LIMIT on WORKERS threads, started and joined
# the lecture's way, and prints the seconds it took and the total:
# `python3 count_threads.py WORKERS LIMIT`.
import sys
import threading
import time

from collatz import chunks, total_steps


# ANCHOR: main
def fun(start, end, results, slot):
    results[slot] = total_steps(start, end)


workers, limit = int(sys.argv[1]), int(sys.argv[2])
results = [0] * workers
began = time.perf_counter()
threads = []
for slot, (start, end) in enumerate(chunks(limit, workers)):
    t = threading.Thread(target=fun, args=(start, end, results, slot))
    t.start()
    threads.append(t)

for t in threads:
    t.join()  # block until thread ends
elapsed = time.perf_counter() - began
print(elapsed, sum(results))
# ANCHOR_END: main
