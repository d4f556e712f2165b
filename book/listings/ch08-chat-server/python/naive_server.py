# The naive chat server: a thread per client, a shared list, a lock.
# Every line a client sends goes to all the others.
# It works, until one client stops reading.
import socket
import threading

clients = []  # every connected client's socket
lock = threading.Lock()


def handle(client):
    buffer = b""
    while True:
        data = client.recv(512)
        if len(data) == 0:  # disconnect
            break
        buffer += data  # grows without bound if no b"\n" ever comes
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            with lock:
                for other in clients:
                    if other is not client:
                        # blocks while that client is not reading
                        other.sendall(line + b"\n")
    with lock:
        clients.remove(client)
    client.close()


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 5555))
sock.listen()
while True:
    client, addr = sock.accept()
    with lock:
        clients.append(client)
    threading.Thread(target=handle, args=(client,)).start()
