#!/usr/bin/python3
"""tb-read.py: an independent reader of TensorBoard event files, to check
what `optbench tensorboard` and `optbench run --tensorboard` write.

    scripts/tb-read.py FILE

It shares no code with optbench's writer: the messages come from
harness/tb/tb_event.proto compiled by protoc (Debian's protobuf-compiler)
into Python for Python's protobuf package (python3-protobuf), and the
record checksums are checked with the crc32c package (python3-crc32c).
Prints "file_version V" for the version event, then one line per scalar:
"STEP<TAB>TAG<TAB>VALUE" (VALUE with repr, a float32 widened to double).
Exit 0; 1 with a message naming the record on a bad length or data CRC,
a truncated record or an undecodable event; 2 if a tool is missing.
"""
import os
import struct
import subprocess
import sys
import tempfile

try:
    import crc32c
    import google.protobuf  # noqa: F401
except ImportError as e:
    print(f"tb-read: {e} (apt-get install python3-protobuf python3-crc32c)", file=sys.stderr)
    sys.exit(2)


def masked(data):
    c = crc32c.crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def load_messages():
    here = os.path.dirname(os.path.abspath(__file__))
    proto_dir = os.path.join(here, "..", "harness", "tb")
    out = tempfile.mkdtemp(prefix="tb-read-")
    try:
        subprocess.run(["protoc", f"--proto_path={proto_dir}", f"--python_out={out}", "tb_event.proto"],
                       check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"tb-read: protoc failed: {e} (apt-get install protobuf-compiler)", file=sys.stderr)
        sys.exit(2)
    sys.path.insert(0, out)
    import tb_event_pb2
    return tb_event_pb2


def main():
    if len(sys.argv) != 2:
        print("usage: tb-read.py FILE", file=sys.stderr)
        return 2
    pb = load_messages()
    with open(sys.argv[1], "rb") as f:
        buf = f.read()
    at, n = 0, 0
    while at < len(buf):
        if len(buf) - at < 12:
            print(f"tb-read: record {n} at byte {at}: truncated header", file=sys.stderr)
            return 1
        head = buf[at:at + 8]
        (length,) = struct.unpack("<Q", head)
        (lcrc,) = struct.unpack("<I", buf[at + 8:at + 12])
        if lcrc != masked(head):
            print(f"tb-read: record {n} at byte {at}: bad length CRC", file=sys.stderr)
            return 1
        data = buf[at + 12:at + 12 + length]
        if len(data) != length or len(buf) < at + 16 + length:
            print(f"tb-read: record {n} at byte {at}: truncated data", file=sys.stderr)
            return 1
        (dcrc,) = struct.unpack("<I", buf[at + 12 + length:at + 16 + length])
        if dcrc != masked(data):
            print(f"tb-read: record {n} at byte {at}: bad data CRC", file=sys.stderr)
            return 1
        ev = pb.Event()
        try:
            ev.ParseFromString(data)
        except Exception as e:  # the protobuf package's DecodeError
            print(f"tb-read: record {n}: cannot decode: {e}", file=sys.stderr)
            return 1
        if ev.WhichOneof("what") == "file_version":
            print(f"file_version {ev.file_version}")
        elif ev.WhichOneof("what") == "summary":
            for v in ev.summary.value:
                print(f"{ev.step}\t{v.tag}\t{v.simple_value!r}")
        at += 16 + length
        n += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
