# The lecture's example: three threads, each printing its number five times.
import threading


def fun(num):
    for _ in range(5):
        print("Thread {}".format(num))


threads = []
for i in range(3):
    t = threading.Thread(target=fun, args=(i, ))
    t.start()
    threads.append(t)

for t in threads:
    t.join()  # block until thread ends
