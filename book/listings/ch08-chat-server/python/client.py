# A chat client the lecture's way: connect, a thread that receives, and the
# main thread sends. Run your server first (cargo run -p ch08-chat-server
# --bin chat-server), which prints its port, then: python3 client.py HOST PORT
# (python3 client.py 127.0.0.1 PORT). Type your name, then messages; Ctrl-D
# (Ctrl-Z, Enter on Windows) to leave.
import socket
import sys
import threading

if len(sys.argv) != 3:
    sys.exit("usage: python3 client.py HOST PORT (the server printed PORT)")
host, port = sys.argv[1], int(sys.argv[2])

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))  # connect to server


def receive():
    buffer = b""
    while True:
        data = client.recv(512)  # at most 512 bytes: part of a line, or several
        if len(data) == 0:  # the server closed the connection
            print("(disconnected)")
            break
        buffer += data
        while b"\n" in buffer:  # you have to delimit messages by yourself
            line, buffer = buffer.split(b"\n", 1)
            print(line.decode())  # decode whole lines only


t = threading.Thread(target=receive)
t.start()
for line in sys.stdin:
    client.sendall(line.encode())  # by default uses UTF-8
client.shutdown(socket.SHUT_WR)  # "I am done": the server sees the end
t.join()  # block until the receiving thread ends
client.close()
