# The lecture's client, with two changes: the port, which the book's program passes in, and a
# longer greeting than the lecture's b"hello".
import socket
import sys

port = int(sys.argv[1])

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(('127.0.0.1', port))  # connect to server
client.sendall(b"hello from Python\n")
data = client.recv(512)
print(data)
client.close()  # close connection
