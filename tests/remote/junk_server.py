# junk_server.py PORTFILE — listens on 127.0.0.1 (a free port, written to
# PORTFILE) and answers every connection with an HTTP error, like a web
# server on the port a Redis server was expected on.
import socket, sys, threading

def serve(conn):
    try:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        conn.recv(4096)
    except OSError:
        pass
    finally:
        conn.close()

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
