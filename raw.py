# Cheap consumers (raw sockets: RFC 6455 handshake, one masked subscribe frame, then bytes are
# only counted), so that what is measured is the daemon's cost, not the clients' CPU.
import base64, json, os, socket, sys, threading
port, k = int(sys.argv[1]), int(sys.argv[2])
def frame(text):
    data, key = text.encode(), os.urandom(4)
    return bytes([0x81, 0x80 | len(data)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(data))
counts = [0] * k
def one(i):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    s.sendall(frame(json.dumps({"subscribe": ["E_UL_*"]})))
    print("ready", flush=True)
    s.settimeout(5)
    try:
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            counts[i] += b.count(b'{"event":')
    except socket.timeout:
        pass
ts = [threading.Thread(target=one, args=(i,)) for i in range(k)]
for t in ts: t.start()
for t in ts: t.join()
print("received", counts, flush=True)
