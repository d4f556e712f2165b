# The lecture's server, in the lecture's Python calls.
# It greets one client, prints what the client says, and ends.
# The port comes from the command line (0: let the system choose);
# the server prints the port it listens on before it waits.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', port))  # 1024 and up: no privileges needed
listener.listen()
print("listening on port", listener.getsockname()[1], flush=True)

conn, peer = listener.accept()  # waits here until a client connects
conn.sendall(b"hello")
got = conn.recv(512)  # whatever has arrived, up to 512 bytes
print("server received", got)
conn.close()
listener.close()
