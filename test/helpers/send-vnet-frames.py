# Transmits frames, each behind a virtio_net_hdr of the caller's choosing, on one network
# device through an AF_PACKET socket with PACKET_VNET_HDR: the kernel takes the header as
# given (checking only what virtio_net_hdr_to_skb and the GSO layers check) and, on a TAP
# device that advertises TSO, hands a GSO frame to the TAP's reader unsegmented.
# Input file: records of a 4-byte big-endian length, then that many bytes (10-byte header + frame).
# Prints a JSON list: per record 0 when the kernel took it, else the errno it refused with.
# Usage: python3 send-vnet-frames.py <device> <records-file>
import json
import socket
import struct
import sys

# linux/socket.h (the socket module has no name for it) and linux/if_packet.h: the
# option that puts a struct virtio_net_hdr (10 bytes) in front of every frame.
SOL_PACKET = 263
PACKET_VNET_HDR = 15

device, path = sys.argv[1], sys.argv[2]
with open(path, 'rb') as source:
    data = source.read()
sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
sender.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
sender.bind((device, 0))
results = []
at = 0
while at < len(data):
    (length,) = struct.unpack_from('>I', data, at)
    record = data[at + 4 : at + 4 + length]
    at += 4 + length
    try:
        sender.send(record)
        results.append(0)
    except OSError as error:
        results.append(error.errno)
print(json.dumps(results))
