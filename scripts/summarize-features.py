"""Prints a readable summary of the feature files written by scripts/demo.sh:
per file, the chunks and a few named components of the 128-d layout
(docs/FEATURES.md): spectral centroid, tempo and the three strongest pitch classes."""
import glob
import os
import sys

import numpy as np

PITCH = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
CENTROID, TEMPO, CHROMA = 73, 126, slice(99, 111)

out = sys.argv[1] if len(sys.argv) > 1 else "out"
files = sorted(glob.glob(os.path.join(out, "*.features.npy")))
print(f"{'file':28} {'chunks':>6} {'seconds':>8} {'centroid Hz':>11} {'tempo BPM':>9}  strongest pitch classes")
for f in files:
    x = np.load(f)
    t = np.load(f.replace(".features.npy", ".times.npy"))
    if x.ndim != 2 or x.shape[1] != 128 or len(x) == 0:
        print(f"{os.path.basename(f):28} unexpected shape {x.shape}")
        continue
    chroma = x[:, CHROMA].mean(axis=0)
    print(f"{os.path.basename(f)[:-13]:28} {len(x):6d} {t[-1, 1]:8.1f} "
          f"{x[:, CENTROID].mean():11.0f} {np.median(x[:, TEMPO]):9.1f}  "
          + " ".join(PITCH[i] for i in np.argsort(-chroma)[:3]))
