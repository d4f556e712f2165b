# Three workers, each greeting five times; the main thread waits for all of
# them before it ends.
import threading


def greet(worker):
    for _ in range(5):
        print(f"worker {worker}: hello")


workers = [threading.Thread(target=greet, args=(n,)) for n in range(3)]
for worker in workers:
    worker.start()  # a Thread object does nothing until it is started
for worker in workers:
    worker.join()  # returns once greet has returned in that thread
