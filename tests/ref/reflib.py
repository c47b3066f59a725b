"""reflib — shared helpers for the NumPy reference tests in tests/ref.

Each test_*.py is run by CTest with /usr/bin/python3 (Debian's numpy/scipy).
Environment (set by tests/CMakeLists.txt):
  EARSHOT_BIN    the earshot CLI
  EARSHOT_TOOLS  directory of the test helper programs (tests/tools/*.c)
  EARSHOT_SHARED the shared data folder (default: <source>/../shared)
  EARSHOT_REQUIRE_DATA=1  missing shared data fails instead of skipping
Exit codes: 0 pass, 1 fail, 77 skipped (CTest SKIP_RETURN_CODE).
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77
SRC = os.environ.get("EARSHOT_SRC",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SHARED = os.environ.get("EARSHOT_SHARED") or os.path.join(SRC, "..", "shared")


def shared(relative):
    """Path of a file in the shared folder; skip (or fail in CI) if missing."""
    p = os.path.join(SHARED, relative)
    if os.path.exists(p):
        return p
    if os.environ.get("EARSHOT_REQUIRE_DATA") == "1":
        print(f"FAIL: required shared file {p} is missing (set EARSHOT_SHARED)")
        sys.exit(1)
    print(f"SKIPPED: shared file {p} is missing (set EARSHOT_SHARED to run this test)")
    sys.exit(SKIP)


def models_dir():
    """earshot's models directory, found as es_models_dir does."""
    env = os.environ
    if env.get("EARSHOT_MODELS"):
        return env["EARSHOT_MODELS"]
    if env.get("XDG_DATA_HOME"):
        return os.path.join(env["XDG_DATA_HOME"], "earshot", "models")
    return os.path.join(env.get("HOME", "/nonexistent"), ".local", "share", "earshot", "models")


def tool(name):
    """Path of a helper program built from tests/tools/<name>.c."""
    d = os.environ.get("EARSHOT_TOOLS")
    if not d:
        print("FAIL: EARSHOT_TOOLS is not set; run through ctest")
        sys.exit(1)
    return os.path.join(d, name)


def earshot():
    b = os.environ.get("EARSHOT_BIN")
    if not b:
        print("FAIL: EARSHOT_BIN is not set; run through ctest")
        sys.exit(1)
    return b


def run(args, check=True):
    """Runs a command, returns CompletedProcess; prints output on failure."""
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if check and r.returncode != 0:
        print("command failed:", " ".join(map(str, args)))
        print(r.stdout)
        print(r.stderr)
        raise AssertionError(f"exit {r.returncode}")
    return r


def tmpdir():
    base = os.environ.get("EARSHOT_TEST_TMP") or None
    if base:
        os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="ref-", dir=base)


def write_wav_s16(path, x, sr=16000):
    """Writes float samples in [-1,1] as mono s16 WAV (numpy only)."""
    import numpy as np
    import wave
    s = np.clip(np.round(np.asarray(x, dtype=np.float64) * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(s.tobytes())
    return s.astype(np.float64) / 32768.0


def read_wav_s16(path):
    import numpy as np
    import wave
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2, "expected 16-bit WAV"
        ch = w.getnchannels()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        sr = w.getframerate()
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return x, sr


class Checks:
    """Collects named checks and ends with the plain 'N passed, N failed' line."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        status = "ok  " if ok else "FAIL"
        print(f"{status} {name} {detail}".rstrip())
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)
