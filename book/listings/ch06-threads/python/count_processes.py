# Counts Collatz steps for 1..=LIMIT on WORKERS processes, the usual way
# around the GIL, and prints the seconds it took and the total:
# `python3 count_processes.py WORKERS LIMIT`.
import multiprocessing
import sys
import time

from collatz import chunks, total_steps


# ANCHOR: main
def fun(start, end, results):
    results.put(total_steps(start, end))


if __name__ == "__main__":
    workers, limit = int(sys.argv[1]), int(sys.argv[2])
    results = multiprocessing.Queue()
    began = time.perf_counter()
    processes = []
    for start, end in chunks(limit, workers):
        p = multiprocessing.Process(target=fun, args=(start, end, results))
        p.start()
        processes.append(p)

    total = sum(results.get() for _ in processes)
    for p in processes:
        p.join()  # returns once that process has exited
    elapsed = time.perf_counter() - began
    print(elapsed, total)
# ANCHOR_END: main
