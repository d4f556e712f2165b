# The capstone's chat server, in Python, built from the lecture's calls, for the benchmark beside
# it: a thread per client, one lock around the shared dictionary of clients, and a broadcast that
# calls sendall on every other client with the lock held. No limits: a line is read until its
# b"\n", however long. Usage: python3 chat_server.py [port]   (port 0: any free port)
import socket
import sys
import threading

clients = {}  # name -> socket, the joined clients
lock = threading.Lock()


def broadcast(sender, text):
    data = (text + "\n").encode()  # encode() gives UTF-8 unless told otherwise
    with lock:
        for name, other in clients.items():
            if name != sender:
                try:
                    other.sendall(data)
                except OSError:
                    pass  # that client's own thread notices and cleans up


def handle(client):
    lines = client.makefile("rb")  # buffered: readline() keeps what follows the b"\n"
    name = None
    try:
        client.sendall(b"Welcome to budgetchat! What shall I call you?\n")
        line = lines.readline()
        if not line.endswith(b"\n"):
            return  # disconnect before a whole name
        wanted = line.rstrip(b"\r\n").decode("utf-8", "replace")
        if not (1 <= len(wanted) <= 16 and wanted.isascii() and wanted.isalnum()):
            client.sendall(b"* error: a name is 1 to 16 ASCII letters or digits\n")
            return
        with lock:
            if wanted in clients:
                client.sendall(b"* error: that name is taken\n")
                return
            others = ", ".join(sorted(clients))
            client.sendall(("* The room contains: " + others + "\n").encode())
            name = wanted
            clients[name] = client
        broadcast(name, "* " + name + " has entered the room")
        while True:
            line = lines.readline()
            if not line.endswith(b"\n"):  # b"" is a disconnect; a partial line is dropped
                break
            broadcast(name, "[" + name + "] " + line.rstrip(b"\r\n").decode("utf-8", "replace"))
    except OSError:
        pass
    finally:
        if name is not None:
            with lock:
                del clients[name]
            broadcast(name, "* " + name + " has left the room")
        client.close()


port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen(128)
print("chat server listening on 127.0.0.1:%d" % sock.getsockname()[1], flush=True)
while True:
    client, addr = sock.accept()
    threading.Thread(target=handle, args=(client,), daemon=True).start()
