"""test_bridge_onnx — the bridge's ONNX export and .esbridge file against
independent Python readers.

For tanh and l2 heads, f32 and int8 weights, small (5-d), full (128-d) and
hybrid inputs, and 1- to 3-layer nets:
1. tests/tools/bridge_tool makes a random bridge and exports it to ONNX;
2. the .esbridge file is parsed here from docs/FORMATS.md alone (magic,
   version, CRC-32, header, strings, arrays), so the documentation and the
   writer must agree;
3. onnx.checker.check_model(full_check=True) accepts the model; IR 8,
   opset 13, the input/output names and shapes, the metadata and the exact
   list of operators are checked; the initializers equal the file's weights
   (int8: exactly q × scale);
4. the node list is evaluated by a small NumPy interpreter written here
   (Sub, Div, Gemm, Relu, Tanh, Mul, ReduceSum, Sqrt) and compared with the
   C forward pass on random inputs (max abs difference < 1e-5), and the C
   es_bridge_embed with the row-normalised ONNX output;
5. exporting twice gives the same bytes.
"""
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402

try:
    import onnx
    from onnx import helper, numpy_helper
except ImportError as e:  # a missing dependency must fail, not skip
    print(f"FAIL: the onnx Python package is not importable ({e}); "
          "scripts/install-deps.sh installs python3-onnx")
    sys.exit(1)

TOOL = reflib.tool("bridge_tool")
HEADER = 88
INPUTS = {0: "full", 1: "small", 2: "hybrid"}


def read_esbridge(path):
    """Parses a .esbridge file following docs/FORMATS.md."""
    data = open(path, "rb").read()
    assert data[:8] == b"ESBRIDGE", "magic"
    assert zlib.crc32(data[:-4]) == struct.unpack("<I", data[-4:])[0], "CRC"
    (version, inp, layout, feat, whisper, head, wtype, n_layers) = \
        struct.unpack_from("<8I", data, 8)
    dims = list(struct.unpack_from("<9I", data, 40))
    wlen, tlen, nlen = struct.unpack_from("<3I", data, 76)
    assert version == 1 and 1 <= n_layers <= 8
    assert all(d == 0 for d in dims[n_layers + 1:])
    dims = dims[:n_layers + 1]
    p = HEADER
    whisper_id = data[p:p + wlen].decode(); p += wlen
    text_id = data[p:p + tlen].decode(); p += tlen
    notes = data[p:p + nlen].decode(); p += nlen

    def f32(n):
        nonlocal p
        a = np.frombuffer(data, "<f4", n, p).astype(np.float32)
        p += 4 * n
        return a

    mean, std = f32(dims[0]), f32(dims[0])
    layers = []
    for l in range(n_layers):
        o, i = dims[l + 1], dims[l]
        if wtype == 1:
            scale = f32(o)
            q = np.frombuffer(data, "i1", o * i, p).reshape(o, i); p += o * i
            assert q.min() >= -127
            w = (q.astype(np.float32) * scale[:, None]).astype(np.float32)
        else:
            w = f32(o * i).reshape(o, i)
        layers.append((w, f32(o)))
    assert p == len(data) - 4, "file size matches the header"
    return dict(input=INPUTS[inp], layout=layout, feature_dim=feat,
                whisper_dim=whisper, head=("tanh", "l2")[head],
                int8=wtype == 1, dims=dims, whisper_id=whisper_id,
                text_id=text_id, notes=notes, mean=mean, std=std,
                layers=layers)


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def run_graph(model, x):
    """Evaluates the model's node list in float64 with NumPy."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for n in model.graph.node:
        a = attrs(n)
        ins = [env[i] for i in n.input]
        op = n.op_type
        if op == "Sub":
            y = ins[0].astype(np.float64) - ins[1]
        elif op == "Div":
            y = ins[0].astype(np.float64) / ins[1]
        elif op == "Mul":
            y = ins[0].astype(np.float64) * ins[1]
        elif op == "Gemm":
            A = ins[0].astype(np.float64)
            B = ins[1].astype(np.float64)
            A = A.T if a.get("transA", 0) else A
            B = B.T if a.get("transB", 0) else B
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2:
                y = y + a.get("beta", 1.0) * ins[2]
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Tanh":
            y = np.tanh(ins[0])
        elif op == "Sqrt":
            y = np.sqrt(ins[0])
        elif op == "ReduceSum":
            assert ins[1].dtype == np.int64
            y = np.sum(ins[0], axis=tuple(int(v) for v in ins[1]),
                       keepdims=bool(a.get("keepdims", 1)))
        else:
            raise AssertionError(f"unexpected operator {op}")
        assert len(n.output) == 1
        env[n.output[0]] = y
    return env[model.graph.output[0].name]


def expected_ops(n_layers, head):
    ops = ["Sub", "Div"] + ["Gemm", "Relu"] * (n_layers - 1) + ["Gemm"]
    return ops + (["Tanh"] if head == "tanh" else ["Mul", "ReduceSum", "Sqrt", "Div"])


def shape_of(vi):
    return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]


def load_npy(path):
    return np.load(path).astype(np.float64)


CASES = [
    # dims, head, int8
    ("5,32,64,100", "tanh", False),
    ("5,32,64,100", "tanh", True),
    ("5,32,64,100", "l2", False),
    ("5,32,64,100", "l2", True),
    ("128,256,512,100", "tanh", False),
    ("128,256,512,100", "tanh", True),
    ("128,256,512,100", "l2", False),
    ("128,256,512,100", "l2", True),
    ("128,384", "l2", True),             # one layer: no Relu
    ("896,64,384", "l2", False),         # hybrid: 128 + 2 x 384
]


def check_case(c, tdir, k, dims, head, int8):
    name = f"{dims.replace(',', '-')} {head} {'int8' if int8 else 'f32'}"
    b = os.path.join(tdir, f"b{k}.esbridge")
    args = ["make", b, "--dims", dims, "--head", head, "--seed", str(100 + k),
            "--notes", '{"case": %d}' % k]
    reflib.run([TOOL, *args, *(["--int8"] if int8 else [])])
    ref = read_esbridge(b)
    d = [int(v) for v in dims.split(",")]
    c.check(f"{name}: file header", ref["dims"] == d and ref["head"] == head and
            ref["int8"] == int8 and ref["text_id"] == "test:space:0" and
            ref["notes"] == '{"case": %d}' % k,
            f"{ref['dims']} {ref['head']} int8={ref['int8']}")

    onnx_path = os.path.join(tdir, f"b{k}.onnx")
    reflib.run([TOOL, "onnx", b, onnx_path])
    model = onnx.load(onnx_path)
    try:
        onnx.checker.check_model(model, full_check=True)
        ok, why = True, ""
    except Exception as e:  # noqa: BLE001
        ok, why = False, str(e)[:300]
    c.check(f"{name}: onnx.checker full_check", ok, why)
    c.check(f"{name}: IR 8, opset 13, producer earshot",
            model.ir_version == 8 and len(model.opset_import) == 1 and
            model.opset_import[0].domain == "" and
            model.opset_import[0].version == 13 and
            model.producer_name == "earshot")
    ops = [n.op_type for n in model.graph.node]
    c.check(f"{name}: operators", ops == expected_ops(len(d) - 1, head), str(ops))
    gi, go = model.graph.input, model.graph.output
    c.check(f"{name}: input/output", len(gi) == 1 and len(go) == 1 and
            gi[0].name == "features" and go[0].name == "embedding" and
            shape_of(gi[0]) == ["N", d[0]] and shape_of(go[0]) == ["N", d[-1]],
            f"{shape_of(gi[0])} -> {shape_of(go[0])}")
    meta = {p.key: p.value for p in model.metadata_props}
    want_meta = {"earshot.head": head, "earshot.text_identity": "test:space:0",
                 "earshot.input": ref["input"], "earshot.features_layout": "1"}
    if ref["input"] == "hybrid":
        want_meta["earshot.whisper_identity"] = ref["whisper_id"]
    c.check(f"{name}: metadata", meta == want_meta, str(meta))

    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    same = (np.array_equal(init["in_mean"], ref["mean"]) and
            np.array_equal(init["in_std"], ref["std"]))
    for l, (w, bias) in enumerate(ref["layers"]):
        same = same and init[f"W{l}"].dtype == np.float32 and \
            np.array_equal(init[f"W{l}"], w) and np.array_equal(init[f"B{l}"], bias)
    c.check(f"{name}: initializers equal the file's weights", same)
    if int8:
        # every row is an integer multiple of max|row| / 127
        w = init["W0"].astype(np.float64)
        s = np.abs(w).max(axis=1, keepdims=True) / 127.0
        q = np.divide(w, s, out=np.zeros_like(w), where=s > 0)
        c.check(f"{name}: int8 weights are q x scale",
                np.abs(q - np.round(q)).max() < 1e-3)

    rng = np.random.default_rng(k)
    n = 64
    x = (ref["mean"] + ref["std"] * rng.standard_normal((n, d[0]))).astype(np.float32)
    x[0] = ref["mean"]  # a row that standardises to exactly zero
    xin = os.path.join(tdir, f"x{k}.npy")
    np.save(xin, x)
    yraw, ynorm = os.path.join(tdir, f"y{k}.npy"), os.path.join(tdir, f"n{k}.npy")
    reflib.run([TOOL, "embed", b, xin, yraw])
    reflib.run([TOOL, "embed", b, xin, ynorm, "--normalized"])
    y_c, n_c = load_npy(yraw), load_npy(ynorm)
    y_onnx = run_graph(model, x)
    diff = np.abs(y_c - y_onnx).max()
    c.check(f"{name}: C forward == ONNX graph", diff < 1e-5, f"max diff {diff:.2e}")
    y_unit = y_onnx / np.linalg.norm(y_onnx, axis=1, keepdims=True)
    diff = np.abs(n_c - y_unit).max()
    c.check(f"{name}: es_bridge_embed == normalised ONNX output", diff < 1e-5,
            f"max diff {diff:.2e}")

    again = os.path.join(tdir, f"b{k}_again.onnx")
    reflib.run([TOOL, "onnx", b, again])
    c.check(f"{name}: export is deterministic",
            open(again, "rb").read() == open(onnx_path, "rb").read())


def main():
    c = reflib.Checks()
    tdir = reflib.tmpdir()
    for k, (dims, head, int8) in enumerate(CASES):
        check_case(c, tdir, k, dims, head, int8)

    # A damaged file is refused by every command, with the file named.
    b = os.path.join(tdir, "b0.esbridge")
    data = bytearray(open(b, "rb").read())
    data[HEADER + 40] ^= 0x10
    bad = os.path.join(tdir, "bad.esbridge")
    open(bad, "wb").write(bytes(data))
    r = reflib.run([TOOL, "onnx", bad, os.path.join(tdir, "bad.onnx")], check=False)
    c.check("damaged file refused by the export", r.returncode == 1 and
            "checksum mismatch" in r.stderr and bad in r.stderr and
            not os.path.exists(os.path.join(tdir, "bad.onnx")), r.stderr.strip())
    c.finish()


if __name__ == "__main__":
    main()
