# A Python client for the Rust echo server, with the calls of
# the lecture's client. The book's program passes the port in; the
# greeting is longer than the lecture's b"hello".
import socket
import sys

port = int(sys.argv[1])

conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
conn.connect(('127.0.0.1', port))
conn.sendall(b"hello from Python\n")
echo = conn.recv(512)  # whatever has arrived, up to 512 bytes
print(echo)
conn.close()
