# A chat client: one thread prints what the server sends, the main thread
# sends what you type. Start your server first (cargo run -p ch08-chat-server
# --bin chat-server); it prints its port. Then: python3 client.py HOST PORT.
# Type your name, then messages; Ctrl-D (Ctrl-Z, Enter on Windows) leaves.
import socket
import sys
import threading

if len(sys.argv) != 3:
    sys.exit("usage: python3 client.py HOST PORT (the server printed PORT)")
host, port = sys.argv[1], int(sys.argv[2])

conn = socket.create_connection((host, port))  # a TCP socket, connected


def print_lines():
    pending = b""  # bytes received after the last line feed
    while True:
        chunk = conn.recv(4096)  # part of a line, one line, or several
        if not chunk:  # b"": the server ended its side
            print("(disconnected)")
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")  # TCP keeps no boundaries
        for line in lines:
            print(line.decode())  # whole lines only: never half a character


receiver = threading.Thread(target=print_lines)
receiver.start()
for typed in sys.stdin:  # each line keeps its "\n"
    conn.sendall(typed.encode())  # str to bytes, as UTF-8
conn.shutdown(socket.SHUT_WR)  # no more to send: the server reads the end
receiver.join()  # wait until the server has closed too
conn.close()
