"""serve_load — latency and throughput of `earshot serve`'s search API.

    /usr/bin/python3 bench/serve_load.py EARSHOT INDEX [EXTRA_DIR]

Starts `EARSHOT serve --index INDEX` on a free loopback port and measures
GET /api/search (text queries from the demo's topics):
  1. one client, 300 searches in a row: p50 / p95 / p99 latency;
  2. 8 and 50 concurrent clients, 40 searches each: throughput, p50 / p95;
  3. with EXTRA_DIR: the same 50 clients while POST /api/index indexes
     EXTRA_DIR in the background (a copy of INDEX is used): latency then.
Prints one Markdown table row per measurement, and the server's peak RSS.
Loopback only; every loop is bounded.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

QUERIES = ["dog barking", "police siren", "thunder and heavy rain", "church bells",
           "birds singing", "people clapping", "the part about taxes",
           "a recipe with garlic and tomatoes", "who scored the goal", "rocket launch"]


def start(earshot, index, extra_args=()):
    p = subprocess.Popen([earshot, "serve", "--index", index, "--port", "0", "--quiet",
                          *extra_args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", p.stdout.readline())
    if not m:
        p.kill()
        sys.exit("serve did not start")
    return p, int(m.group(1))


def search(port, q):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t = time.perf_counter()
    c.request("GET", "/api/search?k=10&q=" + urllib.parse.quote(q))
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, 1e3 * (time.perf_counter() - t)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def clients(port, n, each, until=None):
    lat, codes, lock = [], [], threading.Lock()

    def run(i):
        for k in range(each):
            st, ms = search(port, QUERIES[(i + k) % len(QUERIES)])
            with lock:
                lat.append(ms)
                codes.append(st)
            if until and not until():
                return

    t0 = time.perf_counter()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return lat, codes, time.perf_counter() - t0


def rss_peak_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0


def row(name, lat, codes, secs):
    bad = sum(1 for c in codes if c != 200)
    print(f"| {name} | {len(lat)} | {len(lat) / secs:.0f}/s | {pct(lat, 50):.1f} | "
          f"{pct(lat, 95):.1f} | {pct(lat, 99):.1f} | {bad} |")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    earshot, index = sys.argv[1], sys.argv[2]
    extra = sys.argv[3] if len(sys.argv) == 4 else None
    p, port = start(earshot, index)
    try:
        search(port, "warm up")
        print("| load | searches | throughput | p50 ms | p95 ms | p99 ms | non-200 |")
        print("|---|---|---|---|---|---|---|")
        lat, codes = [], []
        t0 = time.perf_counter()
        for i in range(300):
            st, ms = search(port, QUERIES[i % len(QUERIES)])
            lat.append(ms)
            codes.append(st)
        row("1 client", lat, codes, time.perf_counter() - t0)
        for n in (8, 50):
            lat, codes, secs = clients(port, n, 40)
            row(f"{n} clients", lat, codes, secs)
        print(f"\nserver peak RSS: {rss_peak_mb(p.pid):.0f} MB")
    finally:
        p.terminate()
        p.wait()
    if not extra:
        return
    work = tempfile.mkdtemp(prefix="serve-load-")
    copy = os.path.join(work, "copy.earshot")
    shutil.copy(index, copy)
    p, port = start(earshot, copy, ["--jobs", "1"])
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("POST", "/api/index", body=json.dumps({"paths": [os.path.abspath(extra)]}),
                  headers={"Content-Type": "application/json"})
        st = c.getresponse().status
        c.close()
        if st != 202:
            sys.exit(f"POST /api/index: {st}")

        def running():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("GET", "/api/status")
            s = json.loads(c.getresponse().read())["indexing"]["state"]
            c.close()
            return s == "running"

        lat, codes, secs = clients(port, 50, 40, until=running)
        row("50 clients during indexing", lat, codes, secs)
        print(f"\nserver peak RSS (with the indexing run): {rss_peak_mb(p.pid):.0f} MB")
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
