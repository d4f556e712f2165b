# The CPU-bound work that the chapter "Threads" times: the total number of
# Collatz steps of every number in a range. Pure Python arithmetic, so a thread
# running it holds the GIL the whole time.


# ANCHOR: steps
def steps(n):
    count = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        count += 1
    return count


def total_steps(start, end):
    return sum(steps(n) for n in range(start, end))
# ANCHOR_END: steps


def chunks(limit, workers):
    """Splits 1..=limit into `workers` contiguous ranges whose lengths
    differ by at most one."""
    count = limit
    base, longer = divmod(count, workers)
    start = 1
    for i in range(workers):
        end = start + base + (1 if i < longer else 0)
        yield start, end
        start = end
