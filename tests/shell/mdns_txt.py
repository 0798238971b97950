#!/usr/bin/env python3
"""mdns_txt.py <instance>.<_service>.<_proto>.local: asks the mDNS responder on 127.0.0.1:5353
for that TXT record (a legacy unicast query: from a port other than 5353, answered to it) and
prints its items in the record's order, one per line. Exit 1 when there is no answer within 2 s.
The zeroconf test reads the record itself with it, as on the wire; avahi-browse prints the items
in another order. Standard library only."""
import socket
import struct
import sys


def encode_name(name):
    out = b""
    # An instance name may hold dots only escaped; the test's names have none.
    for label in name.split("."):
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def skip_name(data, off):
    while True:
        n = data[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        if n == 0:
            return off + 1
        off += n + 1


def main():
    name = sys.argv[1]
    query = struct.pack(">HHHHHH", 0x5B0A, 0, 1, 0, 0, 0) + encode_name(name) + struct.pack(">HH", 16, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(query, ("127.0.0.1", 5353))
    try:
        data, _ = s.recvfrom(9000)
    except socket.timeout:
        sys.exit(1)
    _, _, qd, an, _, _ = struct.unpack(">HHHHHH", data[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(data, off) + 4
    for _ in range(an):
        off = skip_name(data, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[off:off + 10])
        off += 10
        if rtype == 16:
            rd, i = data[off:off + rdlen], 0
            while i < len(rd):
                print(rd[i + 1:i + 1 + rd[i]].decode(errors="replace"))
                i += 1 + rd[i]
            return
        off += rdlen
    sys.exit(1)


main()
