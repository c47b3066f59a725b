"""test_embed_cli — `earshot embed` and text-encoder selection.

Checks: vectors from the CLI (-o .npy and --json) equal those of the API
tool on a synthetic BERT directory; --input reads one text per line; --json
names the encoder and its identity; the models directory decides the
encoder (minilm when installed, else word vectors, else a clear error that
names the install commands); usage errors exit 2.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import bert_synth  # noqa: E402

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, max_position_embeddings=40,
            type_vocab_size=2, layer_norm_eps=1e-12, max_seq_length=32)


def es(args, env=None, stdin=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([reflib.earshot(), *args], capture_output=True, text=True,
                          env=e, input=stdin)


def main():
    c = reflib.Checks()
    vocab = reflib.shared("models/minilm-tokenizer/vocab.txt")
    tmp = reflib.tmpdir()
    model = os.path.join(tmp, "tiny")
    bert_synth.write_model_dir(model, vocab, cfg=TINY, seed=5, name="tiny")
    texts = ["dog barking", "church bells ringing", "Café ☕ at 9", ""]
    tf = os.path.join(tmp, "t.bin")
    open(tf, "wb").write(b"\0".join(t.encode() for t in texts))
    reflib.run([reflib.tool("bert_embed"), model, tf, os.path.join(tmp, "api.npy")])
    api = np.load(os.path.join(tmp, "api.npy"))

    out = os.path.join(tmp, "cli.npy")
    r = es(["embed", "--model", model, *texts, "-o", out])
    c.check("embed -o exits 0", r.returncode == 0, r.stderr.strip())
    cli = np.load(out)
    c.check("CLI .npy equals the API", cli.shape == api.shape and np.abs(cli - api).max() < 1e-6,
            f"{cli.shape}")
    c.check("stderr names the encoder", "encoder: bert tiny (32-d" in r.stderr, r.stderr.strip())

    r = es(["embed", "--model", model, "--json", *texts])
    j = json.loads(r.stdout)
    c.check("--json has encoder, identity, dim",
            j["encoder"].startswith("bert tiny") and j["identity"].startswith("bert:tiny:32:")
            and j["dim"] == 32, f"{j['encoder']} {j['identity']}")
    vec = np.array([v["vector"] for v in j["vectors"]], dtype=np.float32)
    c.check("--json vectors and texts match", [v["text"] for v in j["vectors"]] == texts
            and np.abs(vec - api).max() < 1e-6)

    lines = os.path.join(tmp, "lines.txt")
    open(lines, "w", encoding="utf-8").write("dog barking\r\nchurch bells ringing\n")
    r = es(["embed", "--model", model, "--input", lines, "-o", out])
    c.check("--input reads lines (CRLF too)", r.returncode == 0 and
            np.abs(np.load(out) - api[:2]).max() < 1e-6, r.stderr.strip())
    r = es(["embed", "--model", model, "--input", "-", "-o", out], stdin="dog barking\n")
    c.check("--input - reads stdin", r.returncode == 0 and np.abs(np.load(out) - api[:1]).max() < 1e-6)
    r = es(["embed", "--model", model, "--int8", "dog barking", "-o", out])
    c.check("--int8 runs and says so", r.returncode == 0 and "int8" in r.stderr, r.stderr.strip())

    # ---- selection from the models directory
    models = os.path.join(tmp, "models")
    os.makedirs(models)
    r = es(["embed", "dog", "-o", out], env={"EARSHOT_MODELS": models})
    c.check("no encoder installed: exit 1 naming both install commands",
            r.returncode == 1 and "earshot models pull minilm" in r.stderr
            and "install-wordvectors.sh" in r.stderr, r.stderr.strip()[:200])
    r = es(["embed", "--model", "minilm", "dog", "-o", out], env={"EARSHOT_MODELS": models})
    c.check("--model minilm when absent: exit 1", r.returncode == 1 and "models pull minilm" in r.stderr)
    # word vectors only: a small synthetic source through the real converter
    import test_wordvec
    src = os.path.join(tmp, "wink.json")
    test_wordvec.make_source(src)
    os.makedirs(os.path.join(models, "wordvec"))
    r = test_wordvec.convert(src, os.path.join(models, "wordvec", "wink-sg-100d.eswv"))
    c.check("synthetic word vectors converted", r.returncode == 0, r.stderr.strip()[:200])
    r = es(["embed", "dog barking", "--json"], env={"EARSHOT_MODELS": models})
    j = json.loads(r.stdout or "{}")
    c.check("auto picks the word vectors when no BERT model is installed",
            r.returncode == 0 and j.get("identity", "").startswith("wordvec:") and j.get("dim") == 100,
            r.stderr.strip())
    shutil.copytree(model, os.path.join(models, "minilm"))
    r = es(["embed", "dog barking", "-o", out], env={"EARSHOT_MODELS": models})
    c.check("auto picks the installed BERT model", r.returncode == 0 and "encoder: bert tiny" in r.stderr
            and np.abs(np.load(out) - api[:1]).max() < 1e-6, r.stderr.strip())

    # ---- usage errors
    for args, what in ((["embed"], "no text"), (["embed", "x"], "no output"),
                       (["embed", "--threads", "0", "x", "--json"], "bad threads"),
                       (["embed", "--bogus", "x", "--json"], "unknown option")):
        r = es(args)
        c.check(f"usage error ({what}) exits 2", r.returncode == 2, r.stderr.strip()[:120])
    r = es(["embed", "--model", os.path.join(tmp, "nope"), "x", "--json"])
    c.check("missing model path exits 1 with its name", r.returncode == 1 and "nope" in r.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    main()
