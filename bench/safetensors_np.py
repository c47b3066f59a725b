"""Minimal safetensors reader for the benchmarks (NumPy only)."""
import json
import struct

import numpy as np

DT = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        a = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=DT[t["dtype"]]).reshape(t["shape"])
        out[name[5:] if name.startswith("bert.") else name] = a.astype(np.float32) \
            if a.dtype != np.int64 else a
    return out
