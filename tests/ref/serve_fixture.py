"""serve_fixture — a small indexed library for the `earshot serve` tests.

    /usr/bin/python3 tests/ref/serve_fixture.py WORKDIR

prints, as the last line of stdout, one JSON object:

    {"index":     WORKDIR/lib.earshot (indexed: 6 audio files + 1 corrupt),
     "library":   WORKDIR/lib, the folder indexed,
     "extra":     WORKDIR/extra, 3 files not indexed yet (2 sounds, 1 speech),
     "extra_files": 3,
     "like_clip": WORKDIR/like_siren.wav, a siren not in the index (6 s),
     "bridge":    the bridge the index uses,
     "queries": {"speech": ["the part about taxes", "taxes.wav"],
                 "sound":  ["a siren", "siren.wav", "rain_then_siren.wav"]},
     "moment_file": "rain_then_siren.wav", "moment_min_start": 5.0}

"queries.sound": the query, then the files either of which must come first
(the mixed file holds 10 s of siren too). "moment_file": its best moment for
the sound query starts at or after moment_min_start (the siren half).

The library: dog.wav, rain.wav, siren.wav (12 s of test_train_cli's synthetic
classes each), rain_then_siren.wav (10 s + 10 s), taxes.wav and garden.wav
(espeak-ng passages, transcribed by PocketSphinx), broken.mp3 (random bytes:
a failed file). The bridge is trained on test_train_cli's classes; the text
encoder is the offline word vectors. Exits 77 when they are not installed
(1 with EARSHOT_REQUIRE_DATA=1), like the other tests that need them.
Takes ~40 s in Release on 2 cores (PocketSphinx is most of it).
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import test_train_cli as TC  # noqa: E402

TAXES = ("I am calling about your tax return. The tax office needs your income "
         "statements and receipts before the deadline, or you may pay a penalty "
         "and interest on the tax you owe.")
GARDEN = ("In the garden this spring we planted tomatoes, roses and tulips. Water "
          "the flowers every morning and pull the weeds from the soil.")
COOKING = ("To cook the pasta, boil the water, add salt, and stir the spaghetti "
           "into the tomato sauce with garlic and cheese.")


def long_clip(label, seconds, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([TC.synth_clip(label, k, rng) for k in range(seconds // 2)])


def speak(path, text, voice="en-us+f2"):
    r = subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", path, text],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"serve_fixture: espeak-ng failed: {r.stderr.strip()}")


def run(args):
    r = subprocess.run([reflib.earshot(), *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"serve_fixture: earshot {' '.join(map(str, args))} -> "
                 f"{r.returncode}: {r.stderr.strip()[-800:]}")
    return r


def build(work):
    TC.require_wordvec()
    os.makedirs(work, exist_ok=True)
    manifest, _ = TC.write_dataset(os.path.join(work, "train"))
    bridge = os.path.join(work, "b.esbridge")
    run(["train", "--manifest", manifest, "--out", bridge, *TC.TRAIN])

    lib = os.path.join(work, "lib")
    extra = os.path.join(work, "extra")
    os.makedirs(lib, exist_ok=True)
    os.makedirs(extra, exist_ok=True)
    for i, lab in enumerate(TC.LABELS):
        reflib.write_wav_s16(os.path.join(lib, f"{lab}.wav"), long_clip(lab, 12, 100 + i))
    mix = np.concatenate([long_clip("rain", 10, 200), long_clip("siren", 10, 201)])
    reflib.write_wav_s16(os.path.join(lib, "rain_then_siren.wav"), mix)
    speak(os.path.join(lib, "taxes.wav"), TAXES)
    speak(os.path.join(lib, "garden.wav"), GARDEN, "en-us+m3")
    with open(os.path.join(lib, "broken.mp3"), "wb") as f:
        f.write(np.random.default_rng(5).integers(0, 256, 4000, dtype=np.uint8).tobytes())

    reflib.write_wav_s16(os.path.join(extra, "dog_again.wav"), long_clip("dog", 8, 300))
    reflib.write_wav_s16(os.path.join(extra, "rain_again.wav"), long_clip("rain", 8, 301))
    speak(os.path.join(extra, "cooking.wav"), COOKING)
    like = os.path.join(work, "like_siren.wav")
    reflib.write_wav_s16(like, long_clip("siren", 6, 400))

    index = os.path.join(work, "lib.earshot")
    run(["index", lib, "--index", index, "--bridge", bridge, "--text-model", "wordvec",
         "--jobs", "2", "--quiet"])
    return {
        "index": index, "library": lib, "extra": extra, "extra_files": 3,
        "like_clip": like, "bridge": bridge,
        "queries": {"speech": ["the part about taxes", "taxes.wav"],
                    "sound": ["a siren", "siren.wav", "rain_then_siren.wav"]},
        "moment_file": "rain_then_siren.wav", "moment_min_start": 5.0,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: serve_fixture.py WORKDIR")
    info = build(os.path.abspath(sys.argv[1]))
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
