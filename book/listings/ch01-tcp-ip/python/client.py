# The lecture's client, in the lecture's Python calls.
# It sends a greeting, prints what the server sent, and closes.
# The port comes from the command line.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5555

conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
conn.connect(('127.0.0.1', port))
conn.sendall(b"hello")
got = conn.recv(512)  # whatever has arrived, up to 512 bytes
print("client received", got)
conn.close()
