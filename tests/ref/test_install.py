"""test_install — libearshot as another program uses it: `cmake --install`
into a scratch prefix, then compile examples/chunk_features.c with
`pkg-config --cflags --libs earshot`, against the shared and (with --static)
the static library, and run both on a generated file."""
import os
import subprocess

import reflib

c = reflib.Checks()
build = os.environ.get("EARSHOT_BUILD")
if not build:
    print("FAIL: EARSHOT_BUILD is not set; run through ctest")
    raise SystemExit(1)
tmp = reflib.tmpdir()
prefix = os.path.join(tmp, "prefix")
r = reflib.run(["cmake", "--install", build, "--prefix", prefix], check=False)
c.check("cmake --install", r.returncode == 0, r.stderr.strip())

libdir = next((os.path.join(prefix, d) for d in ("lib", "lib/x86_64-linux-gnu", "lib64")
               if os.path.exists(os.path.join(prefix, d, "pkgconfig", "earshot.pc"))), None)
c.check("earshot.pc installed", libdir is not None)
for f in ("include/earshot.h", "bin/earshot"):
    c.check(f"{f} installed", os.path.exists(os.path.join(prefix, f)))
if libdir:
    c.check("static and shared libraries installed",
            os.path.exists(os.path.join(libdir, "libearshot.a")) and
            os.path.exists(os.path.join(libdir, "libearshot.so")))

    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
    san = "-fsanitize=address,undefined" if os.environ.get("EARSHOT_ASAN") == "1" else ""
    wav = os.path.join(tmp, "tone.wav")
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", wav, "synth", "12", "sine", "1000"],
                   check=True)
    example = os.path.join(reflib.SRC, "examples", "chunk_features.c")
    for kind in ("shared", "static"):
        exe = os.path.join(tmp, f"example_{kind}")
        if kind == "shared":
            libs = "$(pkg-config --define-prefix --libs earshot)"
        else:
            # The archive, then the shared libraries it needs (Requires.private;
            # Debian ships FFmpeg for dynamic linking only) and -lm.
            libs = (f"-L{libdir} -Wl,-Bstatic -learshot -Wl,-Bdynamic "
                    "$(pkg-config --libs $(pkg-config --print-requires-private earshot)) -lm")
        cmd = (f"cc -std=c11 -Wall -Wextra -Werror {san} {example} -o {exe} "
               f"$(pkg-config --define-prefix --cflags earshot) {libs}")
        r = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True)
        c.check(f"example compiles against the {kind} library", r.returncode == 0,
                r.stderr.strip()[-400:])
        if r.returncode:
            continue
        r = subprocess.run([exe, wav], capture_output=True, text=True,
                           env=dict(env, LD_LIBRARY_PATH=libdir))
        lines = r.stdout.strip().splitlines()
        # 12 s at 10 s / 5 s: chunks 0-10 and 5-12; a pure 1 kHz tone has its
        # centroid at 1 kHz.
        ok = r.returncode == 0 and len(lines) == 2 and all(
            abs(float(l.split("centroid ")[1].split()[0]) - 1000) < 50 for l in lines)
        c.check(f"{kind} example runs: 2 chunks, centroid ≈ 1000 Hz", ok,
                (r.stdout + r.stderr).strip()[-300:])
c.finish()
