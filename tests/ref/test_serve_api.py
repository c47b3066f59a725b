"""test_serve_api — `earshot serve`'s HTTP API end to end (docs/API.md).

The library of serve_fixture.py is indexed, then served on a free loopback
port, and every endpoint is exercised with http.client:

1. /healthz; /api/status (counts, models, the failed file, idle run, server).
2. /api/search: the expected file first by each path, the documented fields,
   k / path / moments / min_score, and 400s for every bad parameter.
3. /api/search/like: a siren clip finds a siren file; 415 for a non-audio
   Content-Type or bytes, 400 for a corrupt or empty clip and a bad span, 413
   over --max-upload (by Content-Length, and a body streamed without one is
   411 without Content-Length, the temporary upload is removed; uploads held
   at once stay within a budget (503 beyond, freed when clients leave).
4. /api/audio/{id}: the bytes of the file, Range (A-B, A-, -N; 416 outside),
   HEAD, ?format=wav decoding; a failed file and unknown ids are 404; path
   traversal attempts (.., encoded slashes, absolute paths, on /api/audio and
   on the page's paths) never return a file outside the index.
5. errors: 404 and 405 (with Allow) as JSON; a foreign Host header is 400.
6. POST /api/index: 415 / 400 for bad bodies, relative, missing paths and a
   bad mode; a run on the fixture's extra folder while 50 clients search
   concurrently (every search answered 200 with results), 409 for a second
   run, progress with ETA, then done: the new files are searchable.
7. overload: --workers 1 --queue 1 and 12 concurrent searches by example:
   some 503 with Retry-After, none failing otherwise, the server still up.
8. --token: 401 without or with a wrong token, 200 with the header or
   ?token=; /healthz and the page need none.
9. --host 0.0.0.0 prints a warning; an empty index answers searches with no
   results and a note; DELETE /api/index stops a run ('interrupted' before
   all its files) and the next run resumes the rest; SIGTERM during a run
   exits 0 and leaves the index intact (PRAGMA integrity_check).
10. the page and its assets are served with a CSP and load nothing external.
Under ASan the server's stderr must hold no sanitizer report.
"""
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reflib  # noqa: E402
import serve_fixture  # noqa: E402

ASAN = os.environ.get("EARSHOT_ASAN") == "1"
SLOW = 3 if ASAN else 1
SANITIZER = ("AddressSanitizer", "LeakSanitizer", "runtime error:")


class Checks(reflib.Checks):
    def check(self, ok, name, detail=""):
        super().check(name, bool(ok), "" if ok else f"-- {detail}"[:700])


class Server:
    """An `earshot serve` child on a free port; stop() returns its exit code."""

    def __init__(self, args, tmp=None):
        self.tmp = tmp or os.path.join(reflib.tmpdir(), "serve-tmp")
        os.makedirs(self.tmp, exist_ok=True)
        e = dict(os.environ, TMPDIR=self.tmp)
        self.p = subprocess.Popen([reflib.earshot(), "serve", "--port", "0", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=e)
        self.err = []
        threading.Thread(target=self._drain, daemon=True).start()
        line = self.p.stdout.readline()
        m = re.search(r"http://(127\.0\.0\.1|0\.0\.0\.0):(\d+)/", line)
        if not m:
            self.p.kill()
            raise RuntimeError(f"serve did not start: {line!r} {''.join(self.err)[-500:]}")
        self.port = int(m.group(2))
        self.first_line = line

    def _drain(self):
        for line in self.p.stderr:
            self.err.append(line)

    def stderr(self):
        return "".join(self.err)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            return self.p.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return "timeout"


def request(port, method, path, body=None, headers=None, timeout=60):
    """(status, headers dict (lower-case), body bytes); the path is sent as is."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def get_json(port, path, **kw):
    st, h, b = request(port, "GET", path, **kw)
    try:
        return st, h, json.loads(b)
    except ValueError:
        return st, h, {"_raw": b[:200]}


def q(s):
    from urllib.parse import quote
    return quote(s)


def is_error(st, h, b, want):
    try:
        j = json.loads(b)
    except ValueError:
        return False
    return (st == want and h.get("content-type", "").startswith("application/json")
            and j.get("status") == want and isinstance(j.get("error"), str) and j["error"])


# ------------------------------------------------------------------ parts
def part_status(c, port, fx):
    st, h, j = get_json(port, "/healthz")
    c.check(st == 200 and j.get("ok") is True and j.get("version"), "/healthz", j)
    st, h, j = get_json(port, "/api/status")
    c.check(st == 200, "/api/status 200", j)
    c.check(j.get("files") == 7 and j.get("files_failed") == 1,
            "status: 7 files, 1 failed", {k: j.get(k) for k in ("files", "files_failed")})
    c.check(any(f["path"].endswith("broken.mp3") and f["error"] for f in j.get("failed", [])),
            "status lists the corrupt file with its error", j.get("failed"))
    m = j.get("models", {})
    c.check(m.get("mode") == "lightweight" and "word vectors" in m.get("text_describe", "")
            and "bridge" in m.get("bridge_describe", "") and m.get("asr"),
            "status names the mode and models", m)
    c.check(j.get("roots") == [fx["library"]], "status: the folder the index covers",
            j.get("roots"))
    run = j.get("indexing", {})
    c.check(run.get("state") == "idle" and run.get("eta_s") is None,
            "no indexing run yet: idle", run)
    c.check(j.get("server", {}).get("workers") == 2, "server: 2 workers", j.get("server"))


def part_search(c, port, fx):
    sq, sfile = fx["queries"]["speech"]
    st, h, j = get_json(port, f"/api/search?q={q(sq)}")
    res = j.get("results", [])
    c.check(st == 200 and res and res[0]["name"] == sfile,
            f"{sq!r}: {sfile} first", [r.get("name") for r in res])
    if res:
        m = res[0]["moments"][0]
        c.check(m["matched"] == "speech" and "tax" in (m["snippet"] or ""),
                "speech result matched by the speech path, with its transcript", m)
        for key in ("file_id", "path", "name", "duration", "score", "moments"):
            c.check(key in res[0], f"result has '{key}'", list(res[0]))
        c.check(abs(res[0]["duration"] - 0) > 1, "duration is the file's", res[0]["duration"])
        for key in ("start", "end", "score", "matched", "speech_sim", "sound_sim",
                    "lexical", "speech_score", "snippet"):
            c.check(key in m, f"moment has '{key}'", m)
    for key in ("query", "index", "encoder", "mode", "chunks_searched", "took_ms",
                "kernel", "results"):
        c.check(key in j, f"search answer has '{key}'", list(j))
    c.check(h.get("content-type") == "application/json; charset=utf-8",
            "JSON content type", h.get("content-type"))
    snd = fx["queries"]["sound"]
    st, h, j = get_json(port, f"/api/search?q={q(snd[0])}&k=3")
    names = [r["name"] for r in j.get("results", [])]
    c.check(st == 200 and names and names[0] in snd[1:] and len(names) <= 3,
            f"{snd[0]!r}: a siren file first, k=3 honoured", names)
    mix = [r for r in j.get("results", []) if r["name"] == fx["moment_file"]]
    c.check(mix and mix[0]["moments"][0]["start"] >= fx["moment_min_start"],
            "the siren moment of the mixed file is its second half",
            mix[0]["moments"] if mix else names)
    for path in ("speech", "sound"):
        st, h, j = get_json(port, f"/api/search?q={q(snd[0])}&path={path}")
        ms = [m for r in j.get("results", []) for m in r["moments"]]
        c.check(st == 200 and ms and all(m["matched"] == path for m in ms),
                f"path={path}: every moment matched by that path", ms[:2])
    st, h, j = get_json(port, f"/api/search?q={q(snd[0])}&k=1&moments=1")
    c.check(len(j.get("results", [])) == 1 and len(j["results"][0]["moments"]) == 1,
            "k=1&moments=1", j.get("results"))
    st, h, j = get_json(port, "/api/search?q=zzqxv+qqzzk")
    c.check(st == 200 and j.get("results") == [] and "known" in j.get("note", ""),
            "a query of unknown words: no results and a note", j)
    st, h, j = get_json(port, f"/api/search?q={q(snd[0])}&min_score=5")
    c.check(st == 200 and j.get("results") == [], "min_score above every score", j)
    bad = [("", "no q"), ("?q=", "empty q"), ("?q=%20%20", "blank q"),
           (f"?q={'a' * 1001}", "q over 1000 bytes"), ("?q=x&k=0", "k=0"),
           ("?q=x&k=101", "k=101"), ("?q=x&k=ten", "k not a number"),
           ("?q=x&path=both2", "unknown path"), ("?q=x&moments=0", "moments=0"),
           ("?q=x&min_score=high", "min_score not a number")]
    for query, why in bad:
        st, h, b = request(port, "GET", "/api/search" + query)
        c.check(is_error(st, h, b, 400), f"400 for {why}", (st, b[:200]))


def part_like(c, port, fx, work):
    clip = open(fx["like_clip"], "rb").read()
    st, h, b = request(port, "POST", "/api/search/like?name=like_siren.wav&k=3", clip,
                       {"Content-Type": "audio/wav"})
    j = json.loads(b) if st == 200 else {}
    names = [r["name"] for r in j.get("results", [])]
    c.check(st == 200 and names and names[0] in fx["queries"]["sound"][1:],
            "like: a siren clip finds a siren file first", (st, names, b[:200]))
    c.check(j.get("like") == "like_siren.wav" and "query" not in j,
            "like: the answer names the clip", {k: j.get(k) for k in ("like", "query")})
    st, h, b = request(port, "POST", "/api/search/like?start=0&end=3", clip,
                       {"Content-Type": "application/octet-stream"})
    c.check(st == 200, "like with start/end and application/octet-stream", (st, b[:200]))
    tax = open(os.path.join(fx["library"], "taxes.wav"), "rb").read()
    st, h, b = request(port, "POST", "/api/search/like?path=speech", tax,
                       {"Content-Type": "audio/x-wav"})
    names = [r["name"] for r in json.loads(b).get("results", [])] if st == 200 else []
    c.check(names[:1] == ["taxes.wav"], "like by speech: the spoken passage finds itself",
            (st, names, b[:200]))
    cases = [
        (clip, {"Content-Type": "text/plain"}, 415, "a text Content-Type"),
        (clip, {}, 415, "no Content-Type"),
        (b"hello, this is not audio at all", {"Content-Type": "audio/wav"}, 415,
         "bytes that are no audio container"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt \x00garbage" * 4, {"Content-Type": "audio/wav"},
         400, "a corrupt WAV"),
        (b"", {"Content-Type": "audio/wav"}, 400, "an empty body"),
    ]
    for body, hdr, want, why in cases:
        st, h, b = request(port, "POST", "/api/search/like", body, hdr)
        c.check(is_error(st, h, b, want), f"like: {want} for {why}", (st, b[:200]))
    st, h, b = request(port, "POST", "/api/search/like?start=4&end=2", clip,
                       {"Content-Type": "audio/wav"})
    c.check(is_error(st, h, b, 400), "like: 400 for end before start", (st, b[:200]))
    st, h, b = request(port, "POST", "/api/search/like?k=0", clip,
                       {"Content-Type": "audio/wav"})
    c.check(is_error(st, h, b, 400), "like: 400 for k=0", (st, b[:200]))
    # 413 is answered from the headers, before the body: send only them (a
    # client still sending would race the server's close)
    cn = http.client.HTTPConnection("127.0.0.1", port, timeout=30 * SLOW)
    cn.putrequest("POST", "/api/search/like")
    cn.putheader("Content-Type", "audio/wav")
    cn.putheader("Content-Length", str(3 * 1000 * 1000))
    cn.endheaders()
    cn.send(b"RIFF" + b"\0" * 1000)
    r = cn.getresponse()
    st, h, b = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    cn.close()
    c.check(is_error(st, h, b, 413), "like: 413 over --max-upload (2 MB), before the body",
            (st, b[:200]))
    # a body streamed without Content-Length: refused from the headers
    cn = http.client.HTTPConnection("127.0.0.1", port, timeout=30 * SLOW)
    cn.putrequest("POST", "/api/search/like")
    cn.putheader("Content-Type", "audio/wav")
    cn.putheader("Transfer-Encoding", "chunked")
    cn.endheaders()
    r = cn.getresponse()
    st, b = r.status, r.read()
    cn.close()
    c.check(st == 411 and b"Content-Length" in b,
            "like: a body without Content-Length is refused (411)", (st, b[:200]))
    st, h, j = get_json(port, "/healthz")
    c.check(st == 200, "the server is up after the oversized uploads", st)
    left = os.listdir(os.path.join(work, "serve-tmp"))
    c.check(left == [], "uploads are removed after the search", left)


def file_ids(index):
    db = sqlite3.connect(index)
    rows = {os.path.basename(p): (i, s) for i, p, s in
            db.execute("SELECT id, path, status FROM files")}
    db.close()
    return rows


def part_audio(c, port, fx):
    ids = file_ids(fx["index"])
    fid = ids["taxes.wav"][0]
    data = open(os.path.join(fx["library"], "taxes.wav"), "rb").read()
    n = len(data)
    st, h, b = request(port, "GET", f"/api/audio/{fid}")
    c.check(st == 200 and b == data and h.get("content-type") == "audio/wav"
            and h.get("accept-ranges") == "bytes",
            "audio: the whole file, audio/wav, Accept-Ranges", (st, len(b), h))
    for rng, a, z in (("bytes=0-99", 0, 99), ("bytes=100-", 100, n - 1),
                      ("bytes=-50", n - 50, n - 1), (f"bytes=10-{n + 999}", 10, n - 1)):
        st, h, b = request(port, "GET", f"/api/audio/{fid}", headers={"Range": rng})
        c.check(st == 206 and b == data[a:z + 1] and h.get("content-range") == f"bytes {a}-{z}/{n}",
                f"audio: Range {rng}", (st, len(b), h.get("content-range")))
    st, h, b = request(port, "GET", f"/api/audio/{fid}", headers={"Range": f"bytes={n}-"})
    c.check(st == 416 and h.get("content-range") == f"bytes */{n}",
            "audio: 416 for a range past the end", (st, h))
    st, h, b = request(port, "HEAD", f"/api/audio/{fid}")
    c.check(st == 200 and b == b"" and h.get("content-length") == str(n),
            "audio: HEAD gives the length and no body", (st, h))
    mp = ids["rain_then_siren.wav"][0]
    st, h, b = request(port, "GET", f"/api/audio/{mp}?format=wav")
    c.check(st == 200 and b[:4] == b"RIFF" and b[8:12] == b"WAVE"
            and int.from_bytes(b[24:28], "little") == 16000
            and abs((len(b) - 44) / 32000 - 20.0) < 0.1,
            "audio: ?format=wav is 20 s of 16 kHz mono PCM", (st, b[:44], len(b)))
    st, h, b = request(port, "GET", f"/api/audio/{mp}?format=wav", headers={"Range": "bytes=44-143"})
    c.check(st == 206 and len(b) == 100, "audio: Range on ?format=wav", (st, len(b)))
    st, h, b = request(port, "GET", f"/api/audio/{fid}?format=mp3")
    c.check(is_error(st, h, b, 400), "audio: 400 for format=mp3", (st, b[:200]))
    st, h, b = request(port, "GET", f"/api/audio/{ids['broken.mp3'][0]}")
    c.check(is_error(st, h, b, 404), "audio: a failed file is not served", (st, b[:200]))
    secret = "/etc/passwd"
    attempts = ["/api/audio/..%2F..%2F..%2Fetc%2Fpasswd", "/api/audio/../../../etc/passwd",
                "/api/audio/%2Fetc%2Fpasswd", "/api/audio//etc/passwd",
                "/api/audio/" + q(fx["library"] + "/taxes.wav"),
                f"/api/audio/{fid}/../../etc/passwd", f"/api/audio/{fid}%2F..%2F..",
                "/api/audio/0", "/api/audio/-1", "/api/audio/1e3", "/api/audio/999999",
                "/api/audio/", "/static/../../../etc/passwd", "/static/..%2F..%2Fetc%2Fpasswd",
                "/..%2F..%2F..%2Fetc%2Fpasswd", "/%2Fetc%2Fpasswd", "//etc/passwd",
                "/static/" + q(fx["library"] + "/taxes.wav")]
    passwd = open(secret, "rb").read()[:16]
    for path in attempts:
        st, h, b = request(port, "GET", path)
        c.check(st == 404 and passwd not in b and data[:64] not in b,
                f"traversal {path[:60]} -> 404, nothing read", (st, b[:120]))


def part_errors(c, port):
    st, h, b = request(port, "GET", "/api/nothing")
    c.check(is_error(st, h, b, 404), "404 JSON for an unknown endpoint", (st, b[:200]))
    st, h, b = request(port, "POST", "/api/search?q=x", b"")
    c.check(is_error(st, h, b, 405) and "GET" in h.get("allow", ""),
            "405 with Allow for POST /api/search", (st, h.get("allow")))
    st, h, b = request(port, "GET", "/api/search/like")
    c.check(is_error(st, h, b, 405) and h.get("allow") == "POST",
            "405 with Allow for GET /api/search/like", (st, h.get("allow")))
    st, h, b = request(port, "PUT", "/api/index", b"{}")
    c.check(is_error(st, h, b, 405), "405 for PUT /api/index", (st, b[:200]))
    st, h, b = request(port, "GET", "/api/status", headers={"Host": "evil.example:80"})
    c.check(is_error(st, h, b, 400), "a foreign Host header is refused", (st, b[:200]))
    st, h, b = request(port, "GET", "/api/status", headers={"Host": f"localhost:{port}"})
    c.check(st == 200, "Host localhost is fine", st)
    st, h, b = request(port, "GET", "/")
    csp = h.get("content-security-policy", "")
    c.check(st == 200 and h.get("content-type", "").startswith("text/html")
            and b"earshot" in b and "default-src 'self'" in csp,
            "the page: HTML with a same-origin CSP", (st, h))
    assets = [b]
    for path, ctype in (("/static/app.js", "text/javascript"), ("/static/style.css", "text/css")):
        st, h, body = request(port, "GET", path)
        c.check(st == 200 and h.get("content-type", "").startswith(ctype) and body,
                f"{path} served as {ctype}", (st, h.get("content-type")))
        assets.append(body)
    ext = [m for a in assets for m in re.findall(rb"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", a)]
    ext += [m for a in assets for m in re.findall(rb"""(?:url\(|import\s|fetch\()\s*["']?(?:https?:)?//""", a)]
    c.check(not ext, "the page references nothing external", ext[:3])
    st, h, b = request(port, "DELETE", "/api/index")
    c.check(is_error(st, h, b, 409), "DELETE /api/index with no run: 409", (st, b[:200]))


def part_index_bad(c, port):
    jh = {"Content-Type": "application/json"}
    cases = [(b'{"paths": []}', {"Content-Type": "text/plain"}, 415, "text/plain body"),
             (b"{not json", jh, 400, "bad JSON"), (b"[1, 2]", jh, 400, "not an object"),
             (b'{"paths": "/tmp"}', jh, 400, "paths not an array"),
             (b'{"paths": [3]}', jh, 400, "a path not a string"),
             (b'{"paths": ["relative/dir"]}', jh, 400, "a relative path"),
             (b'{"paths": ["/no/such/folder"]}', jh, 400, "a missing path"),
             (b'{"mode": "turbo"}', jh, 400, "an unknown mode"),
             (b'{"retry_failed": "yes"}', jh, 400, "retry_failed not a boolean")]
    for body, hdr, want, why in cases:
        st, h, b = request(port, "POST", "/api/index", body, hdr)
        c.check(is_error(st, h, b, want), f"index: {want} for {why}", (st, b[:200]))


def part_index_run(c, port, fx):
    before = get_json(port, "/api/status")[2]
    body = json.dumps({"paths": [fx["extra"]]}).encode()
    st, h, b = request(port, "POST", "/api/index", body, {"Content-Type": "application/json"})
    j = json.loads(b) if st == 202 else {}
    c.check(st == 202 and j.get("started") is True
            and j.get("indexing", {}).get("state") == "running",
            "POST /api/index: 202, running", (st, b[:300]))
    st, h, b = request(port, "POST", "/api/index", body, {"Content-Type": "application/json"})
    c.check(is_error(st, h, b, 409), "a second run while one runs: 409", (st, b[:200]))
    results, lock, states = [], threading.Lock(), []
    deadline = time.time() + 240 * SLOW
    queries = ["a siren", "dog barking", "the part about taxes", "heavy rain",
               "flowers in the garden"]

    def client(i):
        for n in range(40):
            st, h, b = request(port, "GET", f"/api/search?q={q(queries[(i + n) % 5])}&k=3")
            ok = st == 200 and bool(json.loads(b).get("results"))
            with lock:
                results.append((st, ok, b[:160] if not ok else b""))
            if time.time() > deadline:
                return
            s = get_json(port, "/api/status")[2].get("indexing", {}).get("state")
            with lock:
                states.append(s)
            if s not in ("running", "stopping"):
                return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [r for r in results if not r[1]]
    c.check(len(results) >= 50 and not bad,
            f"50 concurrent clients searching during indexing: {len(results)} searches, "
            f"all 200 with results", bad[:3])
    c.check(states.count("running") >= 50,
            "the run was going on while they searched", states[:10])
    eta_seen = False
    while time.time() < deadline:
        run = get_json(port, "/api/status")[2].get("indexing", {})
        eta_seen |= run.get("eta_s") is not None
        if run.get("state") not in ("running", "stopping"):
            break
        time.sleep(0.2)
    st, h, j = get_json(port, "/api/status")
    run = j.get("indexing", {})
    c.check(run.get("state") == "done" and run.get("files_done") == fx["extra_files"]
            and run.get("files_total") == fx["extra_files"] and run.get("failed") == 0
            and run.get("finished_at") and run.get("seconds_done") > 20,
            "the run is done: 3 files, ~24 s of audio", run)
    c.check(j.get("files") == before.get("files", 0) + fx["extra_files"],
            "status counts the new files", (before.get("files"), j.get("files")))
    c.check(fx["extra"] in j.get("roots", []), "the new folder is recorded", j.get("roots"))
    st, h, j = get_json(port, f"/api/search?q={q('cooking pasta with tomato sauce')}")
    names = [r["name"] for r in j.get("results", [])]
    c.check(names[:1] == ["cooking.wav"], "a file indexed by the run is found",
            names)


def part_overload(c, fx):
    srv = Server(["--index", fx["index"], "--workers", "1", "--queue", "1", "--quiet"])
    clip = open(os.path.join(fx["library"], "rain_then_siren.wav"), "rb").read()
    codes, lock = [], threading.Lock()

    def one():
        try:
            st, h, b = request(srv.port, "POST", "/api/search/like", clip,
                               {"Content-Type": "audio/wav"})
            ok = st == 200 or (is_error(st, h, b, 503) and h.get("retry-after") == "1")
        except OSError as e:
            st, ok = f"error {e}", False
        with lock:
            codes.append((st, ok))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c.check(all(ok for _, ok in codes), "overload: every answer is 200 or 503 + Retry-After",
            codes)
    n503 = sum(1 for s, _ in codes if s == 503)
    c.check(n503 >= 1 and sum(1 for s, _ in codes if s == 200) >= 2,
            f"overload: {n503} of 12 got 503, the rest were searched", codes)
    c.check(get_json(srv.port, "/healthz")[0] == 200, "overload: the server is still up")
    rc = srv.stop()
    c.check(rc == 0, "overload server stops with 0", rc)
    return srv.stderr()


def part_upload_budget(c, fx):
    """--max-upload 1 --workers 1: 5 MB of uploads may be held at once."""
    srv = Server(["--index", fx["index"], "--workers", "1", "--max-upload", "1", "--quiet"])
    held = []
    for _ in range(5):
        cn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30 * SLOW)
        cn.putrequest("POST", "/api/search/like")
        cn.putheader("Content-Type", "audio/wav")
        cn.putheader("Content-Length", str(1000 * 1000))
        cn.endheaders()
        cn.send(b"RIFF")
        held.append(cn)
    time.sleep(0.5 * SLOW)   # the server has read their headers
    clip = open(fx["like_clip"], "rb").read()
    st, h, b = request(srv.port, "POST", "/api/search/like", clip, {"Content-Type": "audio/wav"})
    c.check(is_error(st, h, b, 503), "uploads: 503 while 5 MB of uploads are held", (st, b[:200]))
    for cn in held:
        cn.close()
    time.sleep(0.5 * SLOW)
    st, h, b = request(srv.port, "POST", "/api/search/like", clip, {"Content-Type": "audio/wav"})
    c.check(st == 200, "uploads: the budget is back once those clients left", (st, b[:200]))
    c.check(srv.stop() == 0, "upload-budget server stops with 0")
    return srv.stderr()


def part_token(c, fx):
    srv = Server(["--index", fx["index"], "--token", "s3cret", "--quiet"])
    c.check("#token=s3cret" in srv.first_line, "the printed address carries the token",
            srv.first_line)
    p = srv.port
    st, h, b = request(p, "GET", "/api/status")
    c.check(is_error(st, h, b, 401) and h.get("www-authenticate") == "Bearer",
            "token: 401 without it", (st, h, b[:100]))
    st, h, b = request(p, "GET", "/api/status", headers={"Authorization": "Bearer wrong"})
    c.check(is_error(st, h, b, 401), "token: 401 with a wrong one", st)
    st, h, b = request(p, "GET", "/api/status", headers={"Authorization": "Bearer s3cret1"})
    c.check(is_error(st, h, b, 401), "token: 401 with a longer one", st)
    st, h, b = request(p, "GET", "/api/status", headers={"Authorization": "Bearer s3cret"})
    c.check(st == 200, "token: 200 with the bearer header", st)
    st, h, b = request(p, "GET", "/api/search?q=siren&token=s3cret")
    c.check(st == 200, "token: 200 with ?token=", st)
    st, h, b = request(p, "GET", "/api/audio/1")
    c.check(st == 401, "token: audio needs it too", st)
    c.check(request(p, "GET", "/healthz")[0] == 200 and request(p, "GET", "/")[0] == 200,
            "token: /healthz and the page need none")
    c.check(srv.stop() == 0, "token server stops with 0")
    return srv.stderr()


def wait_run(port, limit=240):
    """The run's status once it is neither running nor stopping."""
    deadline = time.time() + limit * SLOW
    run = {}
    while time.time() < deadline:
        run = get_json(port, "/api/status")[2].get("indexing", {})
        if run.get("state") not in ("running", "stopping"):
            break
        time.sleep(0.2)
    return run


def part_misc(c, fx, work):
    errs = []
    srv = Server(["--index", fx["index"], "--host", "0.0.0.0", "--quiet"])
    time.sleep(0.3 * SLOW)
    c.check("warning" in srv.stderr() and "--token" in srv.stderr(),
            "--host 0.0.0.0 warns and suggests --token", srv.stderr()[-300:])
    c.check(srv.stop() == 0, "0.0.0.0 server stops with 0")
    errs.append(srv.stderr())

    empty = os.path.join(work, "empty.earshot")
    srv = Server(["--index", empty, "--quiet"])
    st, h, j = get_json(srv.port, "/api/search?q=anything")
    c.check(st == 200 and j.get("results") == [] and "note" in j,
            "an empty index: no results and a note", j)
    st, h, j = get_json(srv.port, "/api/status")
    c.check(st == 200 and j.get("files") == 0, "an empty index: status 0 files", j)
    c.check(srv.stop() == 0, "empty-index server stops with 0")
    errs.append(srv.stderr())

    # DELETE /api/index stops a run; the next run resumes
    copy = os.path.join(work, "stop.earshot")
    subprocess.run(["cp", fx["pristine"], copy], check=True)
    srv = Server(["--index", copy, "--jobs", "1", "--quiet"])
    body = json.dumps({"paths": [fx["extra"]]}).encode()
    jh = {"Content-Type": "application/json"}
    st1 = request(srv.port, "POST", "/api/index", body, jh)[0]
    st, h, b = request(srv.port, "DELETE", "/api/index")
    j = json.loads(b) if st == 202 else {}
    c.check(st1 == 202 and st == 202 and j.get("stopping") is True
            and j.get("indexing", {}).get("state") == "stopping",
            "DELETE /api/index during a run: 202, stopping", (st1, st, b[:300]))
    run = wait_run(srv.port)
    c.check(run.get("state") == "interrupted" and run.get("files_done", 9) < fx["extra_files"],
            "the stopped run ends 'interrupted' before all its files", run)
    done_before = run.get("files_done", 0)
    st = request(srv.port, "POST", "/api/index", body, jh)[0]
    run = wait_run(srv.port)
    files = get_json(srv.port, "/api/status")[2].get("files")
    c.check(st == 202 and run.get("state") == "done"
            and run.get("files_done") == fx["extra_files"] - done_before
            and files == 7 + fx["extra_files"],
            "the next run resumes: the rest of the files, then done", (st, run, files))
    c.check(srv.stop() == 0, "stop/resume server stops with 0")
    errs.append(srv.stderr())

    # SIGTERM during a run: clean exit, the index intact
    copy = os.path.join(work, "term.earshot")
    subprocess.run(["cp", fx["pristine"], copy], check=True)
    srv = Server(["--index", copy, "--jobs", "1", "--quiet"])
    body = json.dumps({"paths": [fx["extra"]]}).encode()
    st, h, b = request(srv.port, "POST", "/api/index", body, {"Content-Type": "application/json"})
    state = get_json(srv.port, "/api/status")[2].get("indexing", {}).get("state")
    c.check(state == "running", "SIGTERM: sent while the run is running", state)
    t0 = time.time()
    rc = srv.stop(signal.SIGTERM, timeout=120)
    c.check(st == 202 and rc == 0, "SIGTERM during a run: exit 0", (st, rc, srv.stderr()[-300:]))
    c.check(time.time() - t0 < 60 * SLOW, "SIGTERM: stopped within the file in flight",
            time.time() - t0)
    db = sqlite3.connect(copy)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    c.check(ok == "ok", "SIGTERM: the index passes integrity_check", ok)
    errs.append(srv.stderr())
    return "".join(errs)


def main():
    c = Checks()
    work = reflib.tmpdir()
    os.environ["XDG_STATE_HOME"] = os.path.join(work, "state")
    t0 = time.time()
    fx = serve_fixture.build(os.path.join(work, "fx"))
    print(f"fixture built in {time.time() - t0:.0f} s")
    # the index before part_index_run adds the extra folder to it
    fx["pristine"] = os.path.join(work, "pristine.earshot")
    subprocess.run(["cp", fx["index"], fx["pristine"]], check=True)
    srv = Server(["--index", fx["index"], "--workers", "2", "--max-upload", "2",
                  "--jobs", "1", fx["library"]], tmp=os.path.join(work, "serve-tmp"))
    logs = []
    try:
        part_status(c, srv.port, fx)
        part_search(c, srv.port, fx)
        part_like(c, srv.port, fx, work)
        part_audio(c, srv.port, fx)
        part_errors(c, srv.port)
        part_index_bad(c, srv.port)
        part_index_run(c, srv.port, fx)
    finally:
        rc = srv.stop()
        logs.append(srv.stderr())
    c.check(rc == 0, "the server stops on SIGTERM with exit 0", rc)
    log = logs[0]
    c.check(re.search(r"^GET /api/search 200 [\d.]+ ms$", log, re.M),
            "the request log has one line per request", log[:300])
    logs.append(part_overload(c, fx))
    logs.append(part_upload_budget(c, fx))
    logs.append(part_token(c, fx))
    logs.append(part_misc(c, fx, work))
    reports = [line for s in logs for line in s.splitlines() if any(k in line for k in SANITIZER)]
    c.check(not reports, "no sanitizer report from any server", reports[:5])
    if c.failed == 0:
        subprocess.run(["rm", "-rf", work])
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
