"""test_models_cli — `earshot models list|pull|path` against a local HTTP
server that can drop connections, answer 404, ignore Range requests and
redirect (as Hugging Face does to its CDN), with a test catalog
(EARSHOT_MODELS_CATALOG) of generated files and their sha256. Also: offline
mirrors (--from, flat and nested), list/--json states, hostile catalogs, a
progress bar on a terminal, and the built-in catalog with no network."""
import hashlib
import json
import os
import pty
import select
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import reflib

c = reflib.Checks()
es = reflib.earshot()
tmp = reflib.tmpdir()
rng = __import__("random").Random(20261124)


def blob(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def sha(b):
    return hashlib.sha256(b).hexdigest()


# --- the server -------------------------------------------------------------
class Server:
    files = {}        # url path -> bytes
    behaviour = {}    # url path -> dict(drop_after, drop_once, status, ignore_range,
                      #                  redirect_to, slow)
    log = []          # (path, Range header or None)
    lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, rng_h = self.path, self.headers.get("Range")
        with Server.lock:
            Server.log.append((path, rng_h))
            b = dict(Server.behaviour.get(path, {}))
            data = Server.files.get(path)
        if b.get("redirect_to"):
            return self._send(302, b"", [("Location", b["redirect_to"])])
        if b.get("status"):
            return self._send(b["status"], b"error page")
        if data is None:
            return self._send(404, b"not found")
        start, status = 0, 200
        if rng_h and not b.get("ignore_range"):
            assert rng_h.startswith("bytes=") and rng_h.endswith("-"), rng_h
            start = int(rng_h[6:-1])
            if start >= len(data):
                return self._send(416, b"", [("Content-Range", f"bytes */{len(data)}")])
            status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        drop = b.get("drop_after")
        if drop is not None and drop < len(body):
            if b.get("drop_once"):
                with Server.lock:
                    Server.behaviour[path].pop("drop_after", None)
            self.wfile.write(body[:drop])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        step = 65536
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            if b.get("slow"):
                self.wfile.flush()
                time.sleep(b["slow"])


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass   # clients hanging up (curl after a drop) are part of the test


httpd = QuietServer(("127.0.0.1", 0), Handler)
httpd.daemon_threads = True
port = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{port}"


def serve(path, data, **behaviour):
    with Server.lock:
        Server.files[path] = data
        Server.behaviour[path] = behaviour


def behave(path, **behaviour):
    with Server.lock:
        Server.behaviour[path] = behaviour


def requests_for(path):
    with Server.lock:
        return [r for p, r in Server.log if p == path]


def clear_log():
    with Server.lock:
        Server.log.clear()


# --- test files and catalog ---------------------------------------------------
W = blob(600_000)
SUB = json.dumps({"hidden_size": 384, "layers": 6}, indent=2).encode()
NOTES = b'{"unpinned": true}\n'
EXTRA = b"optional text\n"
BETA = blob(2_000_000)
BAD = blob(50_000)
NR = blob(1_000_000)
NOSIZE = blob(300_000)
TTYF = blob(1_500_000)
MINI = b'{"model_type": "bert"}'

# weights.bin comes through a redirect, like Hugging Face's resolve -> CDN.
serve("/resolve/alpha/weights.bin", b"", redirect_to="/cdn/alpha-weights")
serve("/cdn/alpha-weights", W)
serve("/alpha/sub/config.json", SUB)
serve("/alpha/notes.json", NOTES)
serve("/alpha/extra.txt", EXTRA)
serve("/resolve/beta.bin", b"", redirect_to="/cdn/beta")
serve("/cdn/beta", BETA)
serve("/bad.bin", BAD)
serve("/nr.bin", NR)
serve("/nosize.bin", NOSIZE)
serve("/loose.json", b'{"not": "closed"')
serve("/tty.bin", TTYF, slow=0.03)
serve("/minilm/config.json", MINI)


def f(path, url, data, pin=True, size=True, optional=False):
    e = {"path": path, "url": base + url, "size": len(data) if size else None,
         "sha256": sha(data) if pin else None}
    if optional:
        e["optional"] = True
    return e


CATALOG = {
    "version": 1,
    "comment": "generated by tests/ref/test_models_cli.py",
    "models": [
        {"name": "alpha", "description": "three files and an optional one",
         "files": [f("weights.bin", "/resolve/alpha/weights.bin", W),
                   f("sub/config.json", "/alpha/sub/config.json", SUB),
                   f("notes.json", "/alpha/notes.json", NOTES, pin=False, size=False),
                   f("extra.txt", "/alpha/extra.txt", EXTRA, optional=True)]},
        {"name": "beta", "files": [f("beta.bin", "/resolve/beta.bin", BETA)]},
        {"name": "bad", "files": [{"path": "bad.bin", "url": base + "/bad.bin",
                                   "size": len(BAD), "sha256": "0" * 64}]},
        {"name": "gone", "files": [f("gone.bin", "/gone.bin", b"x")]},
        {"name": "norange", "files": [f("nr.bin", "/nr.bin", NR)]},
        {"name": "nosize", "files": [f("nosize.bin", "/nosize.bin", NOSIZE, size=False)]},
        {"name": "loose", "files": [f("loose.json", "/loose.json", b"", pin=False, size=False)]},
        {"name": "tty", "dir": "tty-model", "files": [f("tty.bin", "/tty.bin", TTYF)]},
        {"name": "minilm", "files": [f("config.json", "/minilm/config.json", MINI)]},
    ],
}
catalog_path = os.path.join(tmp, "catalog.json")
with open(catalog_path, "w") as fh:
    json.dump(CATALOG, fh, indent=1)

models = os.path.join(tmp, "models")
env0 = {k: v for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
env0["NO_PROXY"] = "127.0.0.1,localhost"


def es_run(args, models_dir=None, catalog=catalog_path, timeout=120, extra_env=None):
    env = dict(env0)
    env["EARSHOT_MODELS"] = models_dir or models
    if catalog is None:
        env.pop("EARSHOT_MODELS_CATALOG", None)
    else:
        env["EARSHOT_MODELS_CATALOG"] = catalog
    env.update(extra_env or {})
    t0 = time.monotonic()
    r = subprocess.run([es, "models", *args], capture_output=True, text=True, env=env,
                       timeout=timeout)
    r.elapsed = time.monotonic() - t0
    if "Sanitizer" in r.stderr:
        print(r.stderr)
    return r


def sane(r):
    return "Sanitizer" not in r.stderr and "runtime error" not in r.stderr


def read(p):
    with open(p, "rb") as fh:
        return fh.read()


def list_json(models_dir=None, *extra, rc=0):
    r = es_run(["list", "--json", *extra], models_dir=models_dir)
    assert r.returncode == rc, (r.returncode, r.stderr)
    j = json.loads(r.stdout)
    return {m["name"]: m for m in j["models"]}, j


def staging(model_dir, name):
    return os.path.join(models, ".partial", model_dir, name + ".part")


def say(r):
    return (r.stderr.strip().splitlines() or [""])[-1][:200]


# --- help and usage --------------------------------------------------------------
r = reflib.run([es, "models", "--help"])
c.check("models --help", r.returncode == 0 and "Usage: earshot models" in r.stdout
        and "--from DIR" in r.stdout)
r = reflib.run([es, "--help"])
c.check("models in the command list", "models" in r.stdout)
r = es_run(["frobnicate"])
c.check("unknown subcommand exits 2", r.returncode == 2 and "list, pull or path" in r.stderr)
r = es_run(["pull"])
c.check("pull without a name exits 2 listing names",
        r.returncode == 2 and "alpha" in r.stderr and "all" in r.stderr, say(r))
r = es_run(["pull", "nosuch"])
c.check("unknown model exits 2 with the list of names",
        r.returncode == 2 and "unknown model 'nosuch'" in r.stderr and "alpha, beta" in r.stderr
        and "wordvec" in r.stderr, say(r))
r = es_run(["path", "nosuch"])
c.check("path of an unknown model exits 2", r.returncode == 2)
r = es_run(["pull", "alpha", "--retries", "x"])
c.check("bad --retries exits 2", r.returncode == 2)
r = es_run(["pull", "alpha", "--connect-timeout", "0"])
c.check("bad --connect-timeout exits 2", r.returncode == 2)

# --- empty models dir ------------------------------------------------------------
r = es_run(["list"])
c.check("list on an empty dir", r.returncode == 0 and "not installed" in r.stdout
        and "Text encoder: none" in r.stdout and "earshot models pull minilm" in r.stdout, say(r))
ms, j = list_json()
c.check("list --json: every model missing",
        all(m["state"] == "missing" and not m["installed"] for m in ms.values())
        and j["text_encoder"]["name"] is None and "install" in j["text_encoder"]
        and ms["wordvec"]["kind"] == "script")
c.check("list --json names the catalog", j["catalog"].startswith("EARSHOT_MODELS_CATALOG="))

# --- a full pull -----------------------------------------------------------------
clear_log()
r = es_run(["pull", "alpha"])
ok = r.returncode == 0
c.check("pull alpha", ok, say(r))
adir = os.path.join(models, "alpha")
c.check("alpha files match byte for byte",
        ok and read(os.path.join(adir, "weights.bin")) == W
        and read(os.path.join(adir, "sub/config.json")) == SUB
        and read(os.path.join(adir, "notes.json")) == NOTES
        and read(os.path.join(adir, "extra.txt")) == EXTRA)
c.check("redirect followed (resolve -> cdn)",
        requests_for("/resolve/alpha/weights.bin") and requests_for("/cdn/alpha-weights"))
c.check("no .part and no staging left", not os.path.exists(os.path.join(models, ".partial"))
        and not any(n.endswith(".part") for _, _, fs in os.walk(adir) for n in fs))
rec = read(os.path.join(adir, ".sha256sums")).decode()
c.check("pull record in sha256sum format", f"{sha(W)}  weights.bin" in rec
        and f"{sha(NOTES)}  notes.json" in rec)
c.check("per-file verification reported", "sha256 ok" in r.stderr
        and "structure ok (unpinned)" in r.stderr)
c.check("summary on stdout", "alpha: installed in" in r.stdout and "some files unpinned" in r.stdout,
        r.stdout.strip())
ms, _ = list_json()
a = ms["alpha"]
c.check("list --json: alpha installed, unpinned file flagged",
        a["state"] == "installed" and a["sha256_status"] == "unpinned"
        and a["sha256_checked"] == "at pull"
        and {x["path"]: x["state"] for x in a["files"]} ==
        {"weights.bin": "ok", "sub/config.json": "ok", "notes.json": "unpinned", "extra.txt": "ok"}
        and a["size_on_disk"] == len(W) + len(SUB) + len(NOTES) + len(EXTRA), json.dumps(a)[:300])
r = es_run(["list"])
c.check("list text: alpha installed", any(l.startswith("alpha") and "installed" in l
                                         and "ok, 1 unpinned" in l for l in r.stdout.splitlines()),
        r.stdout)
r = es_run(["path", "alpha"])
c.check("path of a multi-file model is its directory",
        r.returncode == 0 and r.stdout.strip() == adir, r.stdout.strip())
clear_log()
r = es_run(["pull", "alpha"])
c.check("second pull: already up to date, nothing fetched",
        r.returncode == 0 and "already up to date" in r.stdout and not Server.log, say(r))

# --- interrupted download, then resume -------------------------------------------
K = 700_000
behave("/cdn/beta", drop_after=K)
clear_log()
r = es_run(["pull", "beta", "--retries", "0"])
part = staging("beta", "beta.bin")
c.check("cut connection: exit 1 with a clear message",
        r.returncode == 1 and "interrupted" in r.stderr and "run the same command again" in r.stderr
        and part in r.stderr, say(r))
c.check("the .part is kept with the bytes received",
        os.path.exists(part) and os.path.getsize(part) == K and read(part) == BETA[:K])
c.check("nothing under the final name", not os.path.exists(os.path.join(models, "beta")))
ms, _ = list_json()
c.check("list --json shows the unfinished download",
        ms["beta"]["state"] == "missing" and ms["beta"]["partial_download_bytes"] == K)
r = es_run(["list"])
c.check("list text says pull resumes it", "unfinished download" in r.stdout
        and "earshot models pull beta` resumes it" in r.stdout)
behave("/cdn/beta")
clear_log()
r = es_run(["pull", "beta"])
c.check("second pull resumes and verifies", r.returncode == 0 and
        read(os.path.join(models, "beta", "beta.bin")) == BETA, say(r))
c.check("server saw a Range request from the .part's size",
        requests_for("/cdn/beta") == [f"bytes={K}-"]
        and requests_for("/resolve/beta.bin") == [f"bytes={K}-"], str(Server.log))
c.check("resume reported", f"resuming at {K} bytes" in r.stderr)
c.check("staging removed after install", not os.path.exists(os.path.join(models, ".partial")))
r = es_run(["path", "beta"])
c.check("path of a one-file model is the file",
        r.returncode == 0 and r.stdout.strip() == os.path.join(models, "beta", "beta.bin"))

# A dropped connection is resumed automatically within one run.
K2 = 1_234_567
behave("/cdn/beta", drop_after=K2, drop_once=True)
clear_log()
r = es_run(["pull", "beta", "--force"])
c.check("--force with a drop mid-way: resumed automatically",
        r.returncode == 0 and requests_for("/cdn/beta") == [None, f"bytes={K2}-"]
        and "connection dropped" in r.stderr
        and read(os.path.join(models, "beta", "beta.bin")) == BETA, say(r) + str(Server.log))

# --- sha256 mismatch, 404 ------------------------------------------------------------
r = es_run(["pull", "bad"])
c.check("sha256 mismatch: exit 1, clear message",
        r.returncode == 1 and "sha256 mismatch for bad.bin" in r.stderr and sha(BAD) in r.stderr
        and "download was deleted" in r.stderr, say(r))
c.check("mismatch: the .part is deleted, nothing installed",
        not os.path.exists(staging("bad", "bad.bin")) and not os.path.exists(os.path.join(models, "bad")))
r = es_run(["pull", "gone"])
c.check("404: exit 1 naming the status and URL",
        r.returncode == 1 and "HTTP 404" in r.stderr and base + "/gone.bin" in r.stderr, say(r))
c.check("404: no .part left", not os.path.exists(staging("gone", "gone.bin")))
behave("/gone.bin", status=503)
t0 = time.monotonic()
r = es_run(["pull", "gone", "--retries", "1"])
c.check("503: retried, then a clear error",
        r.returncode == 1 and "retrying" in r.stderr and "HTTP 503" in r.stderr, say(r))

# --- a server that ignores Range -------------------------------------------------------
behave("/nr.bin", drop_after=300_000)
r = es_run(["pull", "norange", "--retries", "0"])
c.check("norange: first attempt cut", r.returncode == 1
        and os.path.getsize(staging("norange", "nr.bin")) == 300_000)
behave("/nr.bin", ignore_range=True)
clear_log()
r = es_run(["pull", "norange"])
c.check("server ignoring Range: the file restarts and verifies",
        r.returncode == 0 and requests_for("/nr.bin") == ["bytes=300000-"]
        and "ignored the resume request" in r.stderr
        and read(os.path.join(models, "norange", "nr.bin")) == NR, say(r))

# --- unknown size: 416 on a complete .part, stale .part restarts -------------------------
os.makedirs(os.path.dirname(staging("nosize", "nosize.bin")), exist_ok=True)
with open(staging("nosize", "nosize.bin"), "wb") as fh:
    fh.write(NOSIZE)
clear_log()
r = es_run(["pull", "nosize"])
c.check("a complete .part of unknown size: 416, verified, installed",
        r.returncode == 0 and requests_for("/nosize.bin") == [f"bytes={len(NOSIZE)}-"]
        and read(os.path.join(models, "nosize", "nosize.bin")) == NOSIZE, say(r))
os.makedirs(os.path.dirname(staging("nosize", "nosize.bin")), exist_ok=True)
with open(staging("nosize", "nosize.bin"), "wb") as fh:
    fh.write(blob(len(NOSIZE)))
clear_log()
r = es_run(["pull", "nosize", "--force"])
c.check("--force discards a stale .part", r.returncode == 0 and requests_for("/nosize.bin") == [None])
shutil.rmtree(os.path.join(models, "nosize"))
os.makedirs(os.path.dirname(staging("nosize", "nosize.bin")), exist_ok=True)
with open(staging("nosize", "nosize.bin"), "wb") as fh:
    fh.write(blob(len(NOSIZE)))
clear_log()
r = es_run(["pull", "nosize"])
c.check("a stale full-length .part: detected after 416, fetched again",
        r.returncode == 0 and requests_for("/nosize.bin") == [f"bytes={len(NOSIZE)}-", None]
        and "starting over" in r.stderr
        and read(os.path.join(models, "nosize", "nosize.bin")) == NOSIZE, say(r))

# --- unpinned file that is not valid JSON ---------------------------------------------------
r = es_run(["pull", "loose"])
c.check("unpinned invalid JSON refused", r.returncode == 1 and "not valid JSON" in r.stderr
        and not os.path.exists(os.path.join(models, "loose")), say(r))

# --- progress bar on a terminal ---------------------------------------------------------------
master, slave = os.openpty()
env = dict(env0, EARSHOT_MODELS=models, EARSHOT_MODELS_CATALOG=catalog_path)
p = subprocess.Popen([es, "models", "pull", "tty"], stdout=subprocess.PIPE, stderr=slave, env=env)
os.close(slave)
chunks = []
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    rl, _, _ = select.select([master], [], [], 0.5)
    if rl:
        try:
            d = os.read(master, 65536)
        except OSError:
            break
        if not d:
            break
        chunks.append(d)
    elif p.poll() is not None:
        break
p.wait(timeout=60)
os.close(master)
tty_out = b"".join(chunks).decode(errors="replace")
c.check("terminal: a redrawn progress bar with %, rate and ETA",
        p.returncode == 0 and "\r" in tty_out and "100%" in tty_out and "ETA" in tty_out
        and "/s" in tty_out and tty_out.count("\r") >= 2, repr(tty_out[-300:]))
r = es_run(["pull", "tty", "--force"])
c.check("plain progress lines when stderr is not a terminal",
        r.returncode == 0 and "%  " in r.stderr and "ETA" in r.stderr and "\r" not in r.stderr
        and "\033" not in r.stderr, r.stderr[:300])
# Two pulls at once: the second one finds the .part locked.
behave("/tty.bin", slow=0.1)
env = dict(env0, EARSHOT_MODELS=models, EARSHOT_MODELS_CATALOG=catalog_path)
first = subprocess.Popen([es, "models", "pull", "tty", "--force"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
tpart = staging("tty-model", "tty.bin")
deadline = time.monotonic() + 20
while time.monotonic() < deadline and not (os.path.exists(tpart) and os.path.getsize(tpart) > 0):
    time.sleep(0.02)
r = es_run(["pull", "tty", "--force"])
out1, err1 = first.communicate(timeout=60)
c.check("a second pull of the same file is refused while the first runs",
        r.returncode == 1 and "another earshot is downloading" in r.stderr
        and first.returncode == 0 and read(os.path.join(models, "tty-model", "tty.bin")) == TTYF,
        say(r) + " | " + err1[-200:])
behave("/tty.bin", slow=0.03)
r = es_run(["path", "tty"])
c.check("a model whose dir differs from its name",
        r.returncode == 0 and r.stdout.strip() == os.path.join(models, "tty-model", "tty.bin"))

# --- --from DIR ----------------------------------------------------------------------------------
flat = os.path.join(tmp, "mirror-flat")
nested = os.path.join(tmp, "mirror-nested")
for d, prefix in ((flat, ""), (nested, "alpha")):
    for name, data in (("weights.bin", W), ("sub/config.json", SUB), ("notes.json", NOTES),
                       ("extra.txt", EXTRA)):
        p_ = os.path.join(d, prefix, name)
        os.makedirs(os.path.dirname(p_), exist_ok=True)
        with open(p_, "wb") as fh:
            fh.write(data)
clear_log()
m2 = os.path.join(tmp, "models-flat")
r = es_run(["pull", "alpha", "--from", flat], models_dir=m2)
c.check("--from a flat mirror", r.returncode == 0 and not Server.log
        and read(os.path.join(m2, "alpha", "weights.bin")) == W
        and read(os.path.join(m2, "alpha", "sub", "config.json")) == SUB, say(r))
m3 = os.path.join(tmp, "models-nested")
r = es_run(["pull", "all", "--from", nested], models_dir=m3)
c.check("--from a nested mirror with `all`: alpha copied, the rest skipped",
        r.returncode == 0 and read(os.path.join(m3, "alpha", "weights.bin")) == W
        and "beta: not in" in r.stderr and not Server.log, say(r))
ms, _ = list_json(m3)
c.check("list after --from", ms["alpha"]["state"] == "installed" and ms["beta"]["state"] == "missing")
os.remove(os.path.join(flat, "extra.txt"))
m4 = os.path.join(tmp, "models-noopt")
r = es_run(["pull", "alpha", "--from", flat], models_dir=m4)
c.check("--from without an optional file", r.returncode == 0 and "optional, skipped" in r.stderr
        and not os.path.exists(os.path.join(m4, "alpha", "extra.txt")), say(r))
ms, _ = list_json(m4)
c.check("a missing optional file keeps the model installed", ms["alpha"]["state"] == "installed")
corrupt = bytearray(W)
corrupt[12345] ^= 0xFF
with open(os.path.join(flat, "weights.bin"), "wb") as fh:
    fh.write(corrupt)
m5 = os.path.join(tmp, "models-corrupt")
r = es_run(["pull", "alpha", "--from", flat], models_dir=m5)
c.check("--from a corrupted mirror file is refused",
        r.returncode == 1 and "sha256 mismatch for weights.bin" in r.stderr
        and os.path.join(flat, "weights.bin") in r.stderr
        and not os.path.exists(os.path.join(m5, "alpha")), say(r))
c.check("refused copy leaves no .part",
        not any(n.endswith(".part") for _, _, fs in os.walk(m5) for n in fs))
with open(os.path.join(flat, "weights.bin"), "wb") as fh:
    fh.write(W)
os.remove(os.path.join(flat, "sub", "config.json"))
r = es_run(["pull", "alpha", "--from", flat], models_dir=m5)
c.check("--from missing a required file names what it looked for",
        r.returncode == 1 and "looked for" in r.stderr and "sub/config.json" in r.stderr, say(r))
r = es_run(["pull", "alpha", "--from", os.path.join(tmp, "no-such-dir")], models_dir=m5)
c.check("--from a missing directory", r.returncode == 1 and "not a directory" in r.stderr)

# --- list reflects damage ----------------------------------------------------------------------------
wpath = os.path.join(adir, "weights.bin")
with open(wpath, "r+b") as fh:
    fh.seek(100)
    fh.write(b"\x00\x01\x02")
ms, _ = list_json()
wf = {x["path"]: x for x in ms["alpha"]["files"]}["weights.bin"]
c.check("a modified file: list --json says mismatch",
        ms["alpha"]["state"] == "mismatch" and ms["alpha"]["sha256_status"] == "mismatch"
        and wf["state"] == "sha256 mismatch" and wf["expected_sha256"] == sha(W))
r = es_run(["list"])
c.check("list text shows the mismatch", "MISMATCH" in r.stdout and "weights.bin: sha256 mismatch" in r.stdout)
r = es_run(["pull", "alpha"])
c.check("pull repairs it", r.returncode == 0 and "installed copy is wrong" in r.stderr
        and read(wpath) == W, say(r))
# A change that keeps the size and the old mtime is only seen by --verify.
st = os.stat(wpath)
with open(wpath, "r+b") as fh:
    fh.seek(100)
    fh.write(b"\x07")
os.utime(wpath, ns=(st.st_atime_ns, st.st_mtime_ns))
ms, _ = list_json()
c.check("list trusts the pull record for an unchanged-looking file",
        ms["alpha"]["state"] == "installed")
ms, _ = list_json(None, "--verify", rc=1)
c.check("list --verify re-hashes, finds it and exits 1", ms["alpha"]["state"] == "mismatch"
        and ms["alpha"]["sha256_checked"] == "now")
with open(wpath, "wb") as fh:
    fh.write(W[:1000])
ms, _ = list_json()
c.check("a truncated file: size mismatch",
        {x["path"]: x["state"] for x in ms["alpha"]["files"]}["weights.bin"] == "size mismatch")
r = es_run(["path", "alpha"])
c.check("path of a damaged model exits 1", r.returncode == 1
        and "damaged (weights.bin: size mismatch)" in r.stderr, say(r))
ms, _ = list_json(None, "--verify", rc=1)
r = es_run(["pull", "alpha"])
c.check("pull repairs it again", r.returncode == 0 and read(wpath) == W)
os.remove(os.path.join(adir, "sub", "config.json"))
ms, _ = list_json()
c.check("a deleted file: incomplete, missing_files",
        ms["alpha"]["state"] == "incomplete" and ms["alpha"]["sha256_status"] == "missing_files")
r = es_run(["path", "alpha"])
c.check("path of an incomplete model exits 1 naming the file", r.returncode == 1
        and "incomplete (sub/config.json: missing)" in r.stderr, say(r))
r = es_run(["pull", "alpha"])
c.check("pull completes it", r.returncode == 0 and read(os.path.join(adir, "sub", "config.json")) == SUB)

# --- word vectors and the text encoder rule ---------------------------------------------------------
r = es_run(["pull", "wordvec"])
c.check("pull wordvec prints the install command", r.returncode == 1
        and f"scripts/install-wordvectors.sh --models {models}" in r.stderr, say(r))
r = es_run(["path", "wordvec"])
c.check("path wordvec when absent exits 1", r.returncode == 1)
wv = os.path.join(models, "wordvec", "wink-sg-100d.eswv")
os.makedirs(os.path.dirname(wv))
with open(wv, "wb") as fh:
    fh.write(b"ESWV fake vectors")
r = es_run(["path", "wordvec"])
c.check("path wordvec", r.returncode == 0 and r.stdout.strip() == wv)
ms, j = list_json()
c.check("list: wordvec installed, the text encoder is wordvec",
        ms["wordvec"]["state"] == "installed" and j["text_encoder"]["name"] == "wordvec"
        and j["text_encoder"]["path"] == wv)
r = es_run(["pull", "wordvec"])
c.check("pull wordvec when installed", r.returncode == 0 and "already installed" in r.stdout)
r = es_run(["pull", "minilm"])
ms, j = list_json()
c.check("minilm installed: it is the text encoder",
        r.returncode == 0 and j["text_encoder"]["name"] == "minilm"
        and j["text_encoder"]["path"] == os.path.join(models, "minilm"))
r = es_run(["list"])
c.check("list text names the encoder", "Text encoder: minilm" in r.stdout)

# --- hostile catalogs -------------------------------------------------------------------------------
good_file = {"path": "a.bin", "url": "https://example.org/a.bin", "size": 1, "sha256": "a" * 64}


def model(**kw):
    m = {"name": "m", "files": [dict(good_file)]}
    m.update(kw)
    return m


def with_file(**kw):
    fe = dict(good_file)
    fe.update(kw)
    return {"models": [{"name": "m", "files": [fe]}]}


hostile = [
    ("not JSON", "{models: [", "not valid JSON"),
    ("truncated JSON", '{"models": [{"name": "m"', "not valid JSON"),
    ("a top-level array", "[]", "JSON object"),
    ("models not an array", '{"models": {}}', "must be an array"),
    ("no models", '{"models": []}', "1 to"),
    ("version 2", json.dumps({"version": 2, "models": [model()]}), "version"),
    ("unknown top-level key", json.dumps({"modles": [], "models": [model()]}), "unknown key"),
    ("path traversal", json.dumps(with_file(path="../../etc/passwd")), "starting with '.'"),
    ("absolute path", json.dumps(with_file(path="/etc/passwd")), "absolute"),
    ("dir traversal", json.dumps({"models": [model(dir="../outside")]}), "dir"),
    ("name with a slash", json.dumps({"models": [model(name="a/b")]}), "name"),
    ("name not a string", json.dumps({"models": [model(name=123)]}), "must be a string"),
    ("reserved name", json.dumps({"models": [model(name="all")]}), "reserved"),
    ("wordvec name", json.dumps({"models": [model(name="wordvec")]}), "reserved"),
    ("short sha256", json.dumps(with_file(sha256="abc")), "64 hex"),
    ("sha256 not hex", json.dumps(with_file(sha256="z" * 64)), "64 hex"),
    ("negative size", json.dumps(with_file(size=-5)), "whole number"),
    ("fractional size", json.dumps(with_file(size=1.5)), "whole number"),
    ("huge size", json.dumps(with_file(size=1e300)), "whole number"),
    ("size as a string", json.dumps(with_file(size="12")), "whole number"),
    ("ftp URL", json.dumps(with_file(url="ftp://example.org/a")), "https://"),
    ("URL with spaces", json.dumps(with_file(url="https://example.org/a b")), "spaces"),
    ("typo in a key", json.dumps(with_file(sha265="a" * 64)), "unknown key"),
    ("duplicate key", '{"models": [{"name": "m", "name": "n", "files": []}]}', "twice"),
    ("two models with one name", json.dumps({"models": [model(), model()]}), "two models"),
    ("two models sharing a dir", json.dumps({"models": [model(), model(name="n", dir="m")]}), "share"),
    ("a .part path", json.dumps(with_file(path="a.bin.part")), ".part"),
    ("colliding files", json.dumps({"models": [model(files=[dict(good_file), dict(good_file)])]}),
     "collide"),
    ("no files", json.dumps({"models": [model(files=[])]}), "1 to"),
    ("only optional files", json.dumps(with_file(optional=True)), "optional"),
    ("optional not a bool", json.dumps(with_file(optional="yes")), "true or false"),
    ("deep nesting", "[" * 200000 + "]" * 200000, "not valid JSON"),
    ("a NUL byte", '{"models": []}\x00', "NUL"),
    ("larger than 1 MiB", '{"models": [], "comment": "' + "x" * (1 << 20) + '"}', "larger than"),
]
for name, text, expect in hostile:
    p_ = os.path.join(tmp, "hostile.json")
    with open(p_, "w") as fh:
        fh.write(text)
    r = es_run(["list"], catalog=p_)
    c.check(f"hostile catalog ({name}): exit 1, clear error",
            r.returncode == 1 and sane(r) and "EARSHOT_MODELS_CATALOG=" in r.stderr
            and expect in r.stderr, r.stderr.strip()[:200])
r = es_run(["list"], catalog=os.path.join(tmp, "no-such-catalog.json"))
c.check("missing catalog file", r.returncode == 1 and "cannot read the catalog" in r.stderr)
r = es_run(["pull", "m"], catalog=p_)
c.check("pull refuses with a hostile catalog too", r.returncode == 1 and sane(r))

# --- unreachable hosts -------------------------------------------------------------------------------
closed = socket.socket()
closed.bind(("127.0.0.1", 0))
closed_port = closed.getsockname()[1]
closed.close()   # nothing listens there now
cat_closed = os.path.join(tmp, "closed.json")
with open(cat_closed, "w") as fh:
    json.dump({"models": [{"name": "m", "files": [{
        "path": "a.bin", "url": f"http://127.0.0.1:{closed_port}/a.bin", "size": 1,
        "sha256": "a" * 64}]}]}, fh)
r = es_run(["pull", "m"], catalog=cat_closed, models_dir=os.path.join(tmp, "m-closed"))
c.check("connection refused: exit 1, 'cannot reach', suggests --from",
        r.returncode == 1 and "cannot reach 127.0.0.1" in r.stderr and "--from DIR" in r.stderr
        and not os.path.exists(os.path.join(tmp, "m-closed", "m")), say(r))


def hf_reachable():
    try:
        socket.create_connection(("huggingface.co", 443), timeout=3).close()
        return True
    except OSError:
        return False


if hf_reachable():
    print("note: huggingface.co is reachable from here; the no-network check of the "
          "built-in catalog is not meaningful and was left out")
else:
    mreal = os.path.join(tmp, "models-real")
    r = es_run(["pull", "whisper-tiny", "--connect-timeout", "3"], catalog=None,
               models_dir=mreal, timeout=60)
    c.check("built-in catalog, no network: exit 1 quickly, message mentions --from",
            r.returncode == 1 and r.elapsed < 20 and "huggingface.co" in r.stderr
            and "--from DIR" in r.stderr
            and "earshot models pull whisper-tiny --from DIR" in r.stderr,
            f"{r.elapsed:.1f} s: " + r.stderr.strip()[:300])
    c.check("no network: no model directory and no .part left",
            not os.path.exists(os.path.join(mreal, "whisper-tiny"))
            and not any(n.endswith(".part") for _, _, fs in os.walk(mreal) for n in fs))
    r = es_run(["pull", "all"], catalog=None, models_dir=mreal, timeout=60,
               extra_env={"EARSHOT_CONNECT_TIMEOUT": "3"})
    c.check("pull all with no network stops at the first model",
            r.returncode == 1 and r.stderr.count("earshot: cannot reach") == 1 and r.elapsed < 20, say(r))

# --- the built-in catalog ------------------------------------------------------------------------------
mreal = os.path.join(tmp, "models-builtin")
r = es_run(["list", "--json"], catalog=None, models_dir=mreal)
j = json.loads(r.stdout) if r.returncode == 0 else {"models": []}
names = [m["name"] for m in j["models"]]
c.check("built-in catalog lists whisper-tiny, whisper-tiny.en, minilm, wordvec",
        names == ["whisper-tiny", "whisper-tiny.en", "minilm", "wordvec"] and j["catalog"] == "built-in",
        str(names))
pins = {m["name"]: all(fl["expected_sha256"] and fl["expected_size"] for fl in m["files"])
        for m in j["models"] if m["kind"] == "download"}
c.check("every built-in file is pinned with a size", pins and all(pins.values()), str(pins))
urls = [fl["url"] for m in j["models"] if m["kind"] == "download" for fl in m["files"]]
c.check("built-in URLs name fixed revisions",
        urls and all("/resolve/" in u and "/resolve/main/" not in u for u in urls))
mfiles = {fl["path"]: fl for m in j["models"] if m["name"] == "minilm" for fl in m["files"]}
c.check("minilm: the sentence-transformers layout",
        set(mfiles) >= {"config.json", "vocab.txt", "model.safetensors", "1_Pooling/config.json",
                        "sentence_bert_config.json", "modules.json", "tokenizer_config.json",
                        "special_tokens_map.json"} and mfiles.get("tokenizer.json", {}).get("optional"))
# The real vocab.txt in the shared folder (when there) must match the pin.
vocab = os.path.join(reflib.SHARED, "models", "minilm-tokenizer", "vocab.txt")
if os.path.exists(vocab) and "vocab.txt" in mfiles:
    c.check("the vocab.txt pin matches the real file in ../shared",
            sha(read(vocab)) == mfiles["vocab.txt"]["expected_sha256"]
            and os.path.getsize(vocab) == mfiles["vocab.txt"]["expected_size"])
    # A real mirror holding other bytes (Xenova's config.json) is refused.
    r = es_run(["pull", "minilm", "--from", os.path.dirname(vocab)], catalog=None, models_dir=mreal)
    c.check("--from with the real tokenizer folder: Xenova's config.json is not the pinned one",
            r.returncode == 1 and "mismatch for config.json" in r.stderr
            and not os.path.exists(os.path.join(mreal, "minilm")), say(r))

httpd.shutdown()
if not c.failed:
    shutil.rmtree(tmp, ignore_errors=True)
c.finish()
