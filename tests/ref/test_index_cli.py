"""test_index_cli — `earshot index`, `search` and `status` end to end.

Needs the installed word vectors (the offline text space; see
test_train_cli.py): skipped (exit 77) without them unless
EARSHOT_REQUIRE_DATA=1, where it fails.

A bridge is trained here on test_train_cli's synthetic classes (dog: low-pass
noise bursts, rain: broadband noise, siren: a swept tone), then a folder is
generated: 12 s of each class, a file of rain then siren (to check the moment
found), a nested folder, a corrupt .mp3, a hidden file and a text file.

1. index: exit 0; the corrupt file is reported (stdout) and recorded
   (status --json: 1 failed with its error); hidden and non-audio files are
   not indexed; the summary names the models.
2. search: each class's query finds its file first; "siren" finds the
   rain-then-siren file at its second half; --json has the documented
   fields; --path sound/speech filter; -k limits files; --min-score hides.
3. incremental: a rerun analyses nothing; a touched file (same bytes) is not
   re-analysed; a changed file is; a moved file is renamed without
   analysis; a deleted file is removed and no longer found.
4. interruption: EARSHOT_INDEX_KILL_AT=3 kills the process inside the third
   file's transaction (SIGKILL): the index then holds exactly 2 files and
   passes PRAGMA integrity_check; a rerun completes, and the result equals a
   clean index (same files, chunks and vector bytes). Ctrl-C (SIGINT)
   during a run: exit 130, "interrupted", and a rerun finishes the rest.
5. query by example: --like FILE:START-END finds the matching class first
   and never returns the example's own span.
6. bad input: an index that is random bytes or another program's SQLite
   database, a missing index, an empty query, a missing example file, a
   folder that does not exist: exit 1 (usage: 2) with a message, no crash.
7. hybrid mode (a small synthetic Whisper model in the real ggml format,
   tests/ref/whisper_synth.py, and a bridge trained on its states): every
   chunk gets a sound vector, the mode is recorded; a non-hybrid bridge, a
   bridge of another Whisper model, or no Whisper at all is refused with a
   message naming the problem.
8. progressive loading: with --asr naming a file that does not exist, a
   folder of rain noise indexes without a word about the recogniser (it is
   never loaded), while a folder with speech warns that there is no
   transcript and still indexes the sound path.
9. on a terminal (a pty), stderr shows a progress bar redrawn in place with
   files, hours of audio and an ETA, instead of one line per file.
10. speech (shared data: jfk.wav and LJ Speech clips; EARSHOT_REQUIRE_DATA=1
   fails if missing, else skipped): PocketSphinx transcribes the speech-like
   chunks; a query made of words said in jfk.wav finds it first through
   the speech path, with a transcript snippet; sound-only files get no
   transcript.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import test_train_cli as TC  # noqa: E402  (synthetic classes, es(), wordvec)

SR = 16000


class Checks(reflib.Checks):
    """check(condition, name, detail): the detail is printed on failure only."""

    def check(self, ok, name, detail=""):
        super().check(name, bool(ok), "" if ok else f"-- {detail}"[:600])


def es(args, env=None, cwd=None):
    r = subprocess.run([reflib.earshot(), *map(str, args)], capture_output=True,
                       text=True, env=env, cwd=cwd)
    if TC.crashed(r) and r.returncode != -signal.SIGKILL:
        TC.CRASHES.append(f"earshot {' '.join(map(str, args))[:120]} -> exit "
                          f"{r.returncode}: {r.stderr.strip()[-300:]}")
    return r


def long_clip(label, seconds, seed):
    rng = np.random.default_rng(seed)
    parts = [TC.synth_clip(label, k, rng) for k in range(seconds // 2)]
    return np.concatenate(parts)


def make_library(d):
    os.makedirs(os.path.join(d, "nested", "deeper"), exist_ok=True)
    for i, lab in enumerate(TC.LABELS):
        reflib.write_wav_s16(os.path.join(d, f"{lab}.wav"), long_clip(lab, 12, 100 + i))
    mix = np.concatenate([long_clip("rain", 10, 200), long_clip("siren", 10, 201)])
    reflib.write_wav_s16(os.path.join(d, "nested", "deeper", "rain_then_siren.wav"), mix)
    with open(os.path.join(d, "broken.mp3"), "wb") as f:
        f.write(np.random.default_rng(5).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    reflib.write_wav_s16(os.path.join(d, ".hidden.wav"), long_clip("dog", 4, 9))
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("not audio\n")


def search(c, index, query, *extra):
    """query None: the extra arguments hold --like."""
    r = es(["search", "--index", index, "--json", *extra, *([query] if query else [])])
    c.check(r.returncode == 0, f"search {query!r} exit 0", r.stderr.strip()[-300:])
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError:
        c.check(False, f"search {query!r} prints JSON", r.stdout[:200])
        return {"results": []}


def status(c, index):
    r = es(["status", "--index", index, "--json"])
    c.check(r.returncode == 0, "status exit 0", r.stderr[-300:])
    return json.loads(r.stdout) if r.returncode == 0 else {}


def planned(r):
    """The counts of the 'earshot index: N file(s) to analyse ...' line."""
    for line in r.stderr.splitlines():
        if line.startswith("earshot index:"):
            w = line.replace(",", " ").replace(";", " ").split()
            n = int(w[2])
            get = {w[i + 1]: int(w[i]) for i in range(len(w) - 1) if w[i].isdigit()}
            return n, get
    return None, {}


def index_rows(path):
    db = sqlite3.connect(path)
    files = sorted(db.execute("SELECT path, status, duration FROM files"))
    chunks = sorted(db.execute(
        "SELECT f.path, c.idx, c.start, c.end, c.paths FROM chunks c "
        "JOIN files f ON f.id = c.file_id"))
    vecs = sorted(db.execute(
        "SELECT f.path, c.idx, v.path, v.f32, v.i8 FROM vectors v JOIN chunks c "
        "ON c.id = v.chunk_id JOIN files f ON f.id = c.file_id"))
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    return files, chunks, vecs, ok


def part_index_and_search(c, work, bridge):
    lib = os.path.join(work, "lib")
    make_library(lib)
    idx = os.path.join(work, "lib.earshot")
    r = es(["index", lib, "--index", idx, "--bridge", bridge, "--text-model", "wordvec",
            "--jobs", "2"])
    c.check(r.returncode == 0, "index exit 0", r.stderr[-500:])
    c.check("broken.mp3" in r.stdout and "failed" in r.stdout,
            "the corrupt file is reported at the end", r.stdout[-400:])
    c.check("bridge full 128" in r.stdout and "word vectors" in r.stdout,
            "the summary names the models", r.stdout[:300])
    st = status(c, idx)
    c.check(st.get("files") == 5 and st.get("files_failed") == 1,
            "status: 5 files, 1 failed (hidden and .txt skipped)", st)
    c.check(any("broken.mp3" in f["path"] and f["error"] for f in st.get("failed", [])),
            "status lists the failed file with its error", st.get("failed"))
    c.check(st.get("models", {}).get("mode") == "lightweight", "mode recorded", st.get("models"))
    c.check(st.get("vectors_sound") == st.get("chunks") and st.get("chunks", 0) >= 9,
            "one sound vector per chunk", st)

    for lab, q in (("dog", "dog barking"), ("rain", "heavy rain"), ("siren", "a siren")):
        j = search(c, idx, q)
        res = j.get("results", [])
        first = os.path.basename(res[0]["path"]) if res else None
        want = {f"{lab}.wav"} | ({"rain_then_siren.wav"} if lab != "dog" else set())
        c.check(first in want, f"{q!r}: the {lab} file first", [x["path"] for x in res])
    j = search(c, idx, "a siren")
    mix = [x for x in j["results"] if x["path"].endswith("rain_then_siren.wav")]
    c.check(mix and mix[0]["moments"][0]["start"] >= 5.0,
            "'a siren' points into the siren half of rain_then_siren.wav",
            mix[0]["moments"] if mix else j["results"])
    j = search(c, idx, "heavy rain")
    mix = [x for x in j["results"] if x["path"].endswith("rain_then_siren.wav")]
    c.check(mix and mix[0]["moments"][0]["end"] <= 15.0,
            "'heavy rain' points into the rain half", mix[0]["moments"] if mix else None)
    m = j["results"][0]["moments"][0]
    for key in ("start", "end", "score", "matched", "speech_sim", "sound_sim", "lexical",
                "speech_score", "snippet"):
        c.check(key in m, f"--json moment has '{key}'", m)
    for key in ("query", "index", "encoder", "took_ms", "chunks_searched", "results"):
        c.check(key in j, f"--json has '{key}'", list(j))
    c.check(m["matched"] == "sound", "no transcripts: matched by the sound path", m)
    j1 = search(c, idx, "dog barking", "-k", "1")
    c.check(len(j1["results"]) == 1, "-k 1 gives one file", len(j1["results"]))
    for path in ("speech", "sound"):
        jp = search(c, idx, "a siren", "--path", path)
        ms = [mo for x in jp["results"] for mo in x["moments"]]
        c.check(all(mo["matched"] == path and mo[f"{path}_sim"] is not None for mo in ms),
                f"--path {path}: every moment matched by the {path} path", ms[:2])
    c.check(len([1 for x in search(c, idx, "a siren", "--path", "sound")["results"]]) == 4,
            "--path sound: all four audio files have sound vectors")
    jhi = search(c, idx, "dog barking", "--min-score", "2")
    c.check(jhi["results"] == [], "--min-score above every score hides all", jhi["results"][:1])
    exact = search(c, idx, "dog barking", "--exact")
    c.check(exact["results"][0]["path"] == search(c, idx, "dog barking")["results"][0]["path"],
            "--exact (f32) and int8 agree on the first file")
    r = es(["search", "--index", idx, "dog barking"])
    c.check(r.returncode == 0 and "dog.wav" in r.stdout.splitlines()[0],
            "text output: the first line names dog.wav", r.stdout[:200])

    # ---- query by example
    j = search(c, idx, None, "--like", os.path.join(lib, "nested", "deeper",
                                                   "rain_then_siren.wav") + ":12-20")
    res = j.get("results", [])
    c.check(res and res[0]["path"].endswith("siren.wav") and
            not res[0]["path"].endswith("rain_then_siren.wav"),
            "--like the siren half finds siren.wav first", [x["path"] for x in res])
    own = [mo for x in res if x["path"].endswith("rain_then_siren.wav")
           for mo in x["moments"] if mo["start"] < 20 and mo["end"] > 12]
    c.check(not own, "--like never returns the example's own span", own)
    j = search(c, idx, None, "--like", os.path.join(lib, "dog.wav"))
    c.check(j["results"] and not j["results"][0]["path"].endswith("dog.wav"),
            "--like a whole indexed file excludes that file", j["results"][:1])

    # ---- incremental
    r = es(["index", lib, "--index", idx])
    n, got = planned(r)
    c.check(r.returncode == 0 and n == 0 and got.get("unchanged") == 4,
            "rerun: nothing to analyse, 4 unchanged", r.stderr[-300:])
    c.check("1 file(s) failed in an earlier run" in r.stdout,
            "rerun: the earlier failure is mentioned", r.stdout[-300:])
    dog = os.path.join(lib, "dog.wav")
    st0 = os.stat(dog)
    os.utime(dog, ns=(st0.st_atime_ns, st0.st_mtime_ns + 5_000_000_000))
    r = es(["index", lib, "--index", idx])
    n, got = planned(r)
    c.check(n == 0 and got.get("touched") == 1, "touched file: not re-analysed", r.stderr[-300:])
    reflib.write_wav_s16(os.path.join(lib, "rain.wav"), long_clip("rain", 14, 300))
    r = es(["index", lib, "--index", idx])
    n, got = planned(r)
    c.check(n == 1, "changed file: re-analysed", r.stderr[-300:])
    os.rename(os.path.join(lib, "siren.wav"), os.path.join(lib, "nested", "siren_moved.wav"))
    r = es(["index", lib, "--index", idx])
    n, got = planned(r)
    c.check(n == 0 and got.get("moved") == 1, "moved file: renamed, not analysed", r.stderr[-300:])
    j = search(c, idx, "a siren")
    c.check(any(x["path"].endswith("siren_moved.wav") for x in j["results"]),
            "the moved file is found at its new path", [x["path"] for x in j["results"]])
    os.remove(dog)
    r = es(["index", lib, "--index", idx])
    n, got = planned(r)
    c.check(got.get("removed") == 1, "deleted file: removed", r.stderr[-300:])
    j = search(c, idx, "dog barking")
    c.check(not any(x["path"].endswith("/dog.wav") for x in j["results"]),
            "the deleted file is no longer found", [x["path"] for x in j["results"]])
    st = status(c, idx)
    c.check(st.get("files") == 4, "status after the changes: 4 files", st.get("files"))
    return lib


def part_interrupt(c, work, bridge):
    lib = os.path.join(work, "many")
    os.makedirs(lib)
    for i in range(8):
        lab = TC.LABELS[i % 3]
        reflib.write_wav_s16(os.path.join(lib, f"f{i:02d}_{lab}.wav"), long_clip(lab, 12, 400 + i))
    base = ["--bridge", bridge, "--text-model", "wordvec", "--jobs", "2", "--asr", "none"]
    clean = os.path.join(work, "clean.earshot")
    r = es(["index", lib, "--index", clean, *base])
    c.check(r.returncode == 0, "clean index of 8 files", r.stderr[-300:])

    killed = os.path.join(work, "killed.earshot")
    env = dict(os.environ, EARSHOT_INDEX_KILL_AT="3")
    r = es(["index", lib, "--index", killed, *base], env=env)
    c.check(r.returncode == -signal.SIGKILL, "EARSHOT_INDEX_KILL_AT=3: killed by SIGKILL",
            r.returncode)
    files, chunks, vecs, ok = index_rows(killed)
    c.check(ok == "ok", "after the kill: PRAGMA integrity_check ok", ok)
    c.check(len(files) == 2, "after the kill: exactly the 2 committed files", files)
    c.check(len({ch[0] for ch in chunks}) == 2, "no chunk of the file in flight",
            len({ch[0] for ch in chunks}))
    r = es(["index", lib, "--index", killed, *base])
    n, got = planned(r)
    c.check(r.returncode == 0 and n == 6 and got.get("unchanged") == 2,
            "rerun resumes: 6 to analyse, 2 unchanged", r.stderr[-300:])
    a, b = index_rows(killed), index_rows(clean)
    c.check(a[0] == b[0] and a[1] == b[1], "resumed index = clean index (files, chunks)")
    c.check(a[2] == b[2], "resumed index = clean index (vector bytes)")

    # Ctrl-C: one job, a file at a time; SIGINT once the first is committed
    sig = os.path.join(work, "sigint.earshot")
    p = subprocess.Popen([reflib.earshot(), "index", lib, "--index", sig, *base[:4],
                          "--jobs", "1", "--asr", "none"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        try:
            db = sqlite3.connect(f"file:{sig}?mode=ro", uri=True, timeout=1)
            n_files = db.execute("SELECT count(*) FROM files").fetchone()[0]
            db.close()
        except sqlite3.Error:
            n_files = 0
        if n_files >= 1:
            break
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    if p.returncode == 0:
        print("note: the run finished before SIGINT arrived")
    else:
        c.check(p.returncode == 130 and "interrupted" in out,
                "SIGINT: exit 130 and 'interrupted'", (p.returncode, out[-300:], err[-300:]))
    files, _, _, ok = index_rows(sig)
    c.check(ok == "ok" and 1 <= len(files) <= 8, "after SIGINT: a consistent index",
            (ok, len(files)))
    r = es(["index", lib, "--index", sig, *base])
    c.check(r.returncode == 0 and len(index_rows(sig)[0]) == 8,
            "rerun after SIGINT: all 8 files", r.stderr[-300:])


def part_bad_input(c, work, bridge):
    junk = os.path.join(work, "junk.earshot")
    with open(junk, "wb") as f:
        f.write(os.urandom(3000))
    other = os.path.join(work, "other.db")
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t(x)")
    db.commit()
    db.close()
    empty_dir = os.path.join(work, "emptydir")
    os.makedirs(empty_dir)
    cases = [
        (["search", "--index", junk, "dog"], 1, "not an earshot index"),
        (["status", "--index", junk], 1, "not an earshot index"),
        (["index", empty_dir, "--index", junk], 1, "not an earshot index"),
        (["search", "--index", other, "dog"], 1, "another program"),
        (["search", "--index", os.path.join(work, "missing.earshot"), "dog"], 1, "no index"),
        (["search", "--index", os.path.join(work, "lib.earshot"), "   "], 2, "empty"),
        (["search", "--index", os.path.join(work, "lib.earshot"), "--like",
          os.path.join(work, "nope.wav")], 1, "nope.wav"),
        (["search", "--index", os.path.join(work, "lib.earshot"), "--like",
          os.path.join(work, "lib", "rain.wav") + ":9-3"], 2, "START-END"),
        (["index", os.path.join(work, "no_such_dir"), "--index",
          os.path.join(work, "x.earshot")], 1, "no_such_dir"),
        (["index", empty_dir, "--index", os.path.join(work, "y.earshot"), "--mode", "full"],
         2, "mode"),
        (["index", empty_dir, "--index", os.path.join(work, "z.earshot"), "--bridge",
          os.path.join(work, "junk.earshot")], 1, "junk.earshot"),
    ]
    for args, code, words in cases:
        r = es(args)
        c.check(r.returncode == code and words in r.stderr,
                f"{' '.join(os.path.basename(a) for a in args)[:70]}: exit {code} naming "
                f"'{words}'", (r.returncode, r.stderr.strip()[-200:]))
    # a damaged vector cache is rebuilt, never trusted
    idx = os.path.join(work, "lib.earshot")
    want = search(c, idx, "a siren")["results"]
    cache = idx + ".vcache"
    size = os.path.getsize(cache)
    for name, data in (("random bytes", os.urandom(size)),
                       ("cut in half", open(cache, "rb").read()[: size // 2]),
                       ("right magic, huge row count",
                        b"ESVCACH1" + (1).to_bytes(4, "little") + (100).to_bytes(4, "little")
                        + (1 << 39).to_bytes(8, "little") + open(cache, "rb").read()[24:])):
        with open(cache, "wb") as f:
            f.write(data)
        got = search(c, idx, "a siren")["results"]
        c.check([x["path"] for x in got] == [x["path"] for x in want] and
                os.path.getsize(cache) == size,
                f"vector cache {name}: rebuilt, same results")
    # a damaged index: an error naming it, no crash
    cut = os.path.join(work, "cut.earshot")
    with open(idx, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[: len(data) // 2])
    for args in (["search", "--index", cut, "dog"], ["status", "--index", cut]):
        r = es(args)
        c.check(r.returncode == 1 and "cut.earshot" in r.stderr,
                f"{args[0]} on an index cut in half: exit 1 naming it",
                (r.returncode, r.stderr[-300:]))
    r = es(["index", empty_dir, "--index", os.path.join(work, "e.earshot"), "--bridge", bridge])
    c.check(r.returncode == 0, "an empty folder indexes to an empty index", r.stderr[-200:])
    j = search(c, os.path.join(work, "e.earshot"), "dog")
    c.check(j["results"] == [], "searching an empty index: no results", j["results"])


def part_hybrid(c, work, bridge):
    import whisper_synth as ws
    vocab = reflib.shared("models/whisper-aux/for-tests-ggml-tiny.bin")
    w1, w2 = os.path.join(work, "w1.bin"), os.path.join(work, "w2.bin")
    ws.write_model(w1, vocab, ws.SMALL, "f32", seed=5)
    ws.write_model(w2, vocab, ws.SMALL, "f32", seed=6)
    manifest = os.path.join(work, "train", "m.csv")
    hb = os.path.join(work, "hybrid.esbridge")
    r = es(["train", "--manifest", manifest, "--out", hb, "--features", "hybrid",
            "--whisper", w1, *TC.TRAIN])
    c.check(r.returncode == 0, "train a hybrid bridge on synthetic Whisper states",
            r.stderr[-300:])
    lib = os.path.join(work, "hyb")
    os.makedirs(lib)
    for i, lab in enumerate(TC.LABELS):
        reflib.write_wav_s16(os.path.join(lib, f"{lab}.wav"), long_clip(lab, 12, 600 + i))
    idx = os.path.join(work, "hyb.earshot")
    r = es(["index", lib, "--index", idx, "--mode", "hybrid", "--asr", w1, "--bridge", hb,
            "--text-model", "wordvec"])
    c.check(r.returncode == 0 and "mode: hybrid" in r.stdout, "hybrid index exit 0",
            (r.stdout[-300:], r.stderr[-300:]))
    st = status(c, idx)
    c.check(st.get("models", {}).get("mode") == "hybrid", "status: mode hybrid", st.get("models"))
    c.check(st.get("files") == 3 and st.get("vectors_sound") == st.get("chunks") > 0,
            "hybrid: a sound vector for every chunk", st)
    j = search(c, idx, "a siren", "--path", "sound")
    c.check(len(j["results"]) == 3, "hybrid index is searchable", j["results"][:1])
    bad = [
        (["--mode", "hybrid", "--asr", w1, "--bridge", bridge], "hybrid inputs"),
        (["--mode", "hybrid", "--asr", w2, "--bridge", hb], "trained on the states"),
        (["--mode", "lightweight", "--bridge", hb], "--mode hybrid"),
    ]
    for extra, words in bad:
        r = es(["index", lib, "--index", os.path.join(work, "hyb2.earshot"),
                "--text-model", "wordvec", *extra])
        c.check(r.returncode == 1 and words in r.stderr,
                f"refused: {' '.join(os.path.basename(x) for x in extra)}",
                (r.returncode, r.stderr[-300:]))
    empty_models = os.path.join(work, "nomodels")
    os.makedirs(empty_models)
    env = dict(os.environ, EARSHOT_MODELS=empty_models)
    r = es(["index", lib, "--index", os.path.join(work, "hyb3.earshot"), "--mode", "hybrid",
            "--bridge", hb, "--text-model", TC.require_wordvec()], env=env)
    c.check(r.returncode == 1 and "whisper" in r.stderr.lower(),
            "hybrid without any Whisper model: refused, naming Whisper",
            (r.returncode, r.stderr[-300:]))


def part_tty(c, work, bridge):
    """On a terminal, stderr carries a redrawn bar with files, hours and ETA."""
    import pty
    lib = os.path.join(work, "many")   # from part_interrupt
    master, slave = pty.openpty()
    p = subprocess.Popen([reflib.earshot(), "index", lib, "--index",
                          os.path.join(work, "tty.earshot"), "--bridge", bridge,
                          "--text-model", "wordvec", "--asr", "none"],
                         stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:
            break
        if not b:
            break
        chunks.append(b)
    p.wait(timeout=120)
    os.close(master)
    err = b"".join(chunks).decode("utf-8", "replace")
    c.check(p.returncode == 0, "index on a terminal: exit 0", err[-200:])
    c.check("\r[" in err and "ETA" in err and "8/8 files" in err and "h  ETA" in err,
            "a progress bar with files, hours and ETA, redrawn in place", err[-300:])
    c.check("[1/8] ok" not in err, "no per-file lines on a terminal", err[-300:])


def part_lazy_asr(c, work, bridge):
    d = os.path.join(work, "rainonly")
    os.makedirs(d)
    for i in range(2):
        reflib.write_wav_s16(os.path.join(d, f"rain{i}.wav"), long_clip("rain", 12, 700 + i))
    missing = os.path.join(work, "no-such-model.bin")
    r = es(["index", d, "--index", os.path.join(work, "lazy1.earshot"), "--bridge", bridge,
            "--text-model", "wordvec", "--asr", missing])
    c.check(r.returncode == 0 and "no-such-model" not in r.stderr,
            "sound only: the recogniser is never loaded", r.stderr[-300:])
    sp = os.path.join(work, "speechonly")
    os.makedirs(sp)
    shutil.copy(reflib.shared("models/test-audio/jfk.wav"), sp)
    r = es(["index", sp, "--index", os.path.join(work, "lazy2.earshot"), "--bridge", bridge,
            "--text-model", "wordvec", "--asr", missing])
    c.check(r.returncode == 0 and "no transcript" in r.stderr and "no-such-model" in r.stderr,
            "speech: loading the recogniser is tried, the failure is a warning",
            r.stderr[-300:])
    st = status(c, os.path.join(work, "lazy2.earshot"))
    c.check(st.get("files") == 1 and st.get("vectors_sound", 0) > 0 and
            st.get("vectors_speech") == 0, "… and the file keeps its sound path", st)


def part_speech(c, work, bridge):
    jfk = reflib.shared("models/test-audio/jfk.wav")
    lj = reflib.shared("data/ljspeech/manifest.csv")
    d = os.path.join(work, "speech")
    os.makedirs(d)
    shutil.copy(jfk, d)
    rows = open(lj).read().splitlines()[1:4]
    for row in rows:
        shutil.copy(os.path.join(os.path.dirname(lj), row.split(",")[0]), d)
    reflib.write_wav_s16(os.path.join(d, "rain.wav"), long_clip("rain", 12, 7))
    idx = os.path.join(work, "speech.earshot")
    r = es(["index", d, "--index", idx, "--bridge", bridge, "--text-model", "wordvec"])
    c.check(r.returncode == 0, "index speech + sound", r.stderr[-400:])
    st = status(c, idx)
    c.check(st.get("segments", 0) > 0 and st.get("vectors_speech", 0) >= 4,
            "transcript segments and speech vectors exist", st)
    j = search(c, idx, "ask what you can do for your country")
    res = j.get("results", [])
    c.check(res and res[0]["path"].endswith("jfk.wav"),
            "a paraphrase of jfk.wav's words finds it first", [x["path"] for x in res])
    if res:
        m = res[0]["moments"][0]
        c.check(m["matched"] == "speech" and m["snippet"],
                "matched by the speech path, with a snippet", m)
    db = sqlite3.connect(idx)
    n = db.execute("SELECT count(*) FROM segments s JOIN files f ON f.id = s.file_id "
                   "WHERE f.path LIKE '%rain.wav'").fetchone()[0]
    db.close()
    c.check(n == 0, "the rain file has no transcript", n)


def main():
    TC.require_wordvec()
    c = Checks()
    work = reflib.tmpdir()
    os.environ["XDG_STATE_HOME"] = os.path.join(work, "state")
    manifest, _ = TC.write_dataset(os.path.join(work, "train"))
    bridge = os.path.join(work, "b.esbridge")
    r = es(["train", "--manifest", manifest, "--out", bridge, *TC.TRAIN])
    c.check(r.returncode == 0, "train the test bridge", r.stderr[-300:])
    part_index_and_search(c, work, bridge)
    part_interrupt(c, work, bridge)
    part_bad_input(c, work, bridge)
    part_hybrid(c, work, bridge)
    part_lazy_asr(c, work, bridge)
    part_tty(c, work, bridge)
    part_speech(c, work, bridge)
    c.check(not TC.CRASHES, "no command crashed or printed a sanitizer report", TC.CRASHES)
    if c.failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
