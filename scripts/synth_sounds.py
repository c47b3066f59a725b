"""synth_sounds — seeded synthesisers for the demo's ten sound classes.

Why this exists: the demo must train a bridge (sound features → text space)
and show sound search on a fresh machine with no downloaded data, so it
makes its own labelled sounds. Each class is built from the acoustics of the
real thing (a siren's swept harmonic tone, a bell's inharmonic partials with
long decays, a bark's falling harmonic burst, ...) and every parameter is
drawn from a seeded generator — pitch, rate, level, room, background — so a
bridge has to learn the class, not one recording. Same seed, same bytes.
Spectral balance was tuned against the ESC-50 clips of the same classes: a
bridge trained on these sounds alone labels ~70 % of those real recordings
right (tests/ref/test_demo_audio.py, part 7).

Usage (Debian's /usr/bin/python3 with numpy and scipy):
  synth_sounds.py classes                 the class names, one a line
  synth_sounds.py render JOBS             JOBS: lines "CLASS SEED SECONDS RATE OUT.wav"
                                          ('-' = stdin); writes mono s16 WAVs
"""
import sys
import wave

import numpy as np
from scipy import signal

CLASSES = ("siren", "rain", "clock", "bells", "dog", "birds", "engine",
           "knocking", "applause", "thunder")


# ------------------------------------------------------------ building blocks

def coloured_noise(rng, n, alpha, sr):
    """Noise with power ∝ 1/f^alpha (0 white, 1 pink, 2 brown) above 50 Hz,
    flat from 20 to 50 Hz and nothing below (no sub-sonic rumble), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec)) * sr / n
    shape = np.maximum(f, 50.0) ** (-alpha / 2) * (f >= 20)
    x = np.fft.irfft(spec * shape, n)
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def band(x, lo, hi, sr, order=2):
    """Band-pass (lo > 0) or low-pass (lo = 0) Butterworth filter."""
    ny = sr / 2
    hi = min(hi, 0.95 * ny)
    if lo <= 0:
        sos = signal.butter(order, hi / ny, "lowpass", output="sos")
    else:
        sos = signal.butter(order, [lo / ny, hi / ny], "bandpass", output="sos")
    return signal.sosfilt(sos, x)


def slow(rng, n, fc, sr):
    """Unit-RMS random wobble below fc Hz (for drifting pitch or level)."""
    x = band(rng.standard_normal(n), 0, fc, sr, 1)
    return x / (np.std(x) + 1e-12)


def add(out, ev, start):
    """Adds event ev into out at sample start (clipped at the end)."""
    start = int(start)
    if start >= len(out):
        return
    m = min(len(ev), len(out) - start)
    out[start:start + m] += ev[:m]


def damped(freqs, taus, amps, length, sr):
    """Sum of exponentially decaying sinusoids (resonances of a struck body)."""
    t = np.arange(int(length * sr)) / sr
    x = np.zeros_like(t)
    for f, tau, a in zip(freqs, taus, amps):
        if f < 0.45 * sr:
            x += a * np.exp(-t / tau) * np.sin(2 * np.pi * f * t)
    m = min(len(x), int(0.02 * sr))   # no click where the event is cut
    x[len(x) - m:] *= np.linspace(1, 0, m)
    return x


def impulses(rng, n, rate, sr):
    """Poisson impulse train with random lognormal heights."""
    k = rng.poisson(rate * n / sr)
    x = np.zeros(n)
    np.add.at(x, rng.integers(0, n, k), rng.lognormal(0, 0.5, k))
    return x


def room(rng, x, sr, rt=(0.1, 0.5), wet=(0.05, 0.3)):
    """A simple room: convolution with exponentially decaying noise."""
    t60 = rng.uniform(*rt)
    ir = rng.standard_normal(int(t60 * sr)) * np.exp(-6.9 * np.arange(int(t60 * sr)) / (t60 * sr))
    ir = band(ir, 0, rng.uniform(3000, 7000), sr)
    ir /= np.sqrt(np.sum(ir * ir)) + 1e-12
    w = rng.uniform(*wet)
    return (1 - w) * x + w * signal.fftconvolve(x, ir)[:len(x)]


def times(rng, dur, gap, first=(0.0, 0.6)):
    """Event start times: the first in `first` s, then gaps drawn from `gap`."""
    t, out = rng.uniform(*first), []
    while t < dur:
        out.append(t)
        t += rng.uniform(*gap)
    return out


# ------------------------------------------------------------ the classes

def siren(rng, n, sr):
    """Emergency siren: wail, yelp or two-tone, a square-ish harmonic tone."""
    t = np.arange(n) / sr
    kind = rng.integers(3)
    lo, hi = rng.uniform(450, 750), rng.uniform(1100, 1700)
    if kind == 0:     # wail: slow rise and fall
        p = rng.uniform(2.5, 6.0)
        ph = (t / p + rng.uniform()) % 1.0
        shape = np.where(ph < 0.6, ph / 0.6, 1 - (ph - 0.6) / 0.4)
        f = lo + (hi - lo) * np.sin(np.pi / 2 * shape)
    elif kind == 1:   # yelp: fast sweeps
        p = rng.uniform(0.2, 0.45)
        f = lo + (hi - lo) * ((t / p + rng.uniform()) % 1.0)
    else:             # two-tone (hi-lo)
        f1 = rng.uniform(400, 600)
        step = ((t / rng.uniform(0.45, 0.9) + rng.uniform()) % 1.0) < 0.5
        f = np.where(step, f1, f1 * rng.uniform(1.25, 1.4))
        f = signal.lfilter([0.02], [1, -0.98], f, zi=[f[0] * 0.98])[0]   # glide
    phase = 2 * np.pi * np.cumsum(f) / sr
    tilt = rng.uniform(0.9, 1.6)
    x = np.zeros(n)
    for k in range(1, 12):
        if k * hi < 0.45 * sr:
            x += (1.0 if k % 2 else rng.uniform(0.1, 0.4)) / k ** tilt * np.sin(k * phase)
    # passing vehicle: louder then softer
    t0, w = rng.uniform(0, n / sr), rng.uniform(2, 8)
    x *= 0.35 + 0.65 / (1 + ((t - t0) / w) ** 2)
    x = room(rng, x, sr, rt=(0.3, 1.2), wet=(0.1, 0.4))
    traffic = band(coloured_noise(rng, n, 1.5, sr), 0, 500, sr)
    return x + rng.uniform(0.03, 0.15) * np.std(x) * traffic / (np.std(traffic) + 1e-12)


def rain(rng, n, sr):
    """Rain: broadband hiss plus many droplet transients."""
    hiss = band(coloured_noise(rng, n, rng.uniform(1.1, 1.7), sr), rng.uniform(30, 100),
                rng.uniform(3000, 6500), sr)
    hiss *= np.maximum(0.2, 1 + 0.25 * slow(rng, n, rng.uniform(0.5, 3), sr))
    drops = np.zeros(n)
    rate = rng.uniform(60, 500)
    for _ in range(32):   # droplets at 32 pitches, each a damped rising ping
        f, tau = np.exp(rng.uniform(np.log(800), np.log(5000))), rng.uniform(0.002, 0.01)
        tk = np.arange(int(6 * tau * sr)) / sr
        k = np.exp(-tk / tau) * np.sin(2 * np.pi * f * (tk + rng.uniform(0, 40) * tk * tk))
        drops += signal.fftconvolve(impulses(rng, n, rate / 32, sr), k)[:n]
    x = hiss / np.std(hiss) + rng.uniform(0.3, 1.0) * drops / (np.std(drops) + 1e-12)
    if rng.uniform() < 0.4:   # on a roof: a low drumming
        x += rng.uniform(0.2, 0.6) * band(coloured_noise(rng, n, 2, sr), 0, 300, sr)
    return x


def clock(rng, n, sr):
    """A clock ticking: sharp periodic clicks, tick and tock at two pitches."""
    period = rng.uniform(0.45, 0.55) if rng.uniform() < 0.6 else rng.uniform(0.9, 1.05)
    f = rng.uniform(1000, 3000)
    ratios = np.array([1.0, rng.uniform(1.4, 1.8), rng.uniform(2.2, 3.0)])
    tau = rng.uniform(0.002, 0.008)
    tock = rng.uniform(0.65, 0.9)
    x = np.zeros(n)
    for i, s in enumerate(times(rng, n / sr, (period, period), (0, period))):
        fi = f * (1.0 if i % 2 == 0 else tock)
        ev = damped(fi * ratios, [tau, tau * 0.7, tau * 0.5], [1, 0.6, 0.4], 0.05, sr)
        ev[:int(0.001 * sr)] += rng.standard_normal(int(0.001 * sr)) * 0.5
        add(x, ev * rng.uniform(0.85, 1.0), (s + rng.normal(0, 0.002)) * sr)
    x = room(rng, x, sr, rt=(0.1, 0.4), wet=(0.03, 0.15))
    return x + 0.002 * coloured_noise(rng, n, 1, sr)


BELL_PARTIALS = np.array([0.5, 1.0, 1.2, 1.5, 2.0, 2.5, 2.67, 3.0, 4.0])


def bells(rng, n, sr):
    """Church bells: inharmonic partials with long decays, tolled or rung."""
    dur = n / sr
    nbells = 1 if rng.uniform() < 0.4 else rng.integers(3, 6)
    base = rng.uniform(250, 700)
    scale = [1.0, 8 / 9, 4 / 5, 3 / 4, 2 / 3, 3 / 5]
    strikes = times(rng, dur, (1.2, 2.5) if nbells == 1 else (0.3, 0.55), (0, 0.3))
    tau0 = rng.uniform(1.5, 4.0)
    amps = rng.uniform(0.3, 1.0, len(BELL_PARTIALS))
    det = rng.uniform(0.99, 1.01, len(BELL_PARTIALS))
    x = np.zeros(n)
    for i, s in enumerate(strikes):
        f = base * scale[i % nbells] * BELL_PARTIALS * det
        taus = tau0 * BELL_PARTIALS ** -0.7
        ev = damped(f, taus, amps, min(dur - s + 0.05, 6 * tau0), sr)
        # hum and prime doubled a little off pitch: the slow beating of a real bell
        add(ev, damped(f[:2] + rng.uniform(0.5, 2.0), taus[:2], amps[:2] * 0.5,
                       len(ev) / sr, sr), 0)
        ev[:int(0.004 * sr)] += band(rng.standard_normal(int(0.004 * sr)), 2000, 7000, sr) * 0.5
        add(x, ev * rng.uniform(0.7, 1.0), s * sr)
    x = room(rng, x, sr, rt=(0.8, 2.0), wet=(0.2, 0.5))
    return x + 0.02 * np.std(x) * coloured_noise(rng, n, 1, sr)


def dog(rng, n, sr):
    """Dog barking: short harmonic bursts with a noisy onset and a pitch drop, in groups."""
    f0 = rng.uniform(300, 700)
    tilt = rng.uniform(1.2, 2.0)
    formants = [(rng.uniform(500, 1000), 300), (rng.uniform(1100, 1800), 400),
                (rng.uniform(2400, 3200), 600)]
    x = np.zeros(n)
    for g in times(rng, n / sr, (0.8, 2.5), (0, 0.8)):
        s = g
        for _ in range(rng.integers(1, 5)):
            d = rng.uniform(0.08, 0.2)
            m = int(d * sr)
            t = np.arange(m) / sr
            u = t / d
            drop = rng.uniform(0.15, 0.4)
            f = f0 * rng.uniform(0.9, 1.1) * (1 + 0.15 * np.minimum(u / 0.2, 1) - drop * u)
            f *= 1 + 0.02 * slow(rng, m, 60, sr)
            ph = 2 * np.pi * np.cumsum(f) / sr
            ev = np.zeros(m)
            for k in range(1, 16):
                fk = k * f0
                if fk > 0.45 * sr:
                    break
                a = sum(np.exp(-0.5 * ((fk - fc) / bw) ** 2) for fc, bw in formants) + 0.1
                ev += a / k ** tilt * np.sin(k * ph)
            ev *= 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(30, 60) * t)   # roughness
            ev += 0.15 * np.std(ev) * band(rng.standard_normal(m), 500, 4000, sr)  # breath
            env = (1 - np.exp(-t / 0.006)) * np.exp(-t / (d * 0.45))
            ev *= env
            k0 = int(rng.uniform(0.015, 0.035) * sr)
            ev[:k0] += 0.4 * np.std(ev) * band(rng.standard_normal(k0), 500, 4000, sr) * \
                np.linspace(1, 0, k0)
            add(x, ev * rng.uniform(0.7, 1.0), s * sr)
            s += d + rng.uniform(0.08, 0.25)
    x = room(rng, x, sr, rt=(0.2, 0.8), wet=(0.1, 0.35))
    return x + 0.02 * np.std(x) * coloured_noise(rng, n, 1.5, sr)


def birds(rng, n, sr):
    """Birds chirping: fast FM chirps, trills and whistles at 2-7 kHz."""
    dur = n / sr
    x = np.zeros(n)
    for _ in range(rng.integers(1, 4)):          # one to three birds
        kind = rng.integers(3)
        fhi, flo = rng.uniform(3500, 6500), rng.uniform(2000, 3500)
        level = rng.uniform(0.3, 1.0)
        for s in times(rng, dur, (0.4, 2.0), (0, 1.0)):
            notes = []
            if kind == 0:      # chirps: down-sweeps
                notes = [(s + i * rng.uniform(0.08, 0.15), rng.uniform(0.02, 0.06), fhi, flo)
                         for i in range(rng.integers(1, 5))]
            elif kind == 1:    # trill: rapid repeated chirps
                r = rng.uniform(10, 22)
                notes = [(s + i / r, 0.6 / r, fhi, flo + 500) for i in range(rng.integers(5, 16))]
            else:              # whistle: rising note with vibrato
                notes = [(s, rng.uniform(0.15, 0.4), flo, fhi)]
            for (t0, d, fa, fb) in notes:
                m = int(d * sr)
                t = np.arange(m) / sr
                f = fa + (fb - fa) * (t / d) ** rng.uniform(0.5, 2)
                if kind == 2:
                    f += rng.uniform(150, 500) * np.sin(2 * np.pi * rng.uniform(20, 40) * t)
                ph = 2 * np.pi * np.cumsum(np.minimum(f, 0.45 * sr)) / sr
                ev = (np.sin(ph) + 0.1 * np.sin(2 * ph) * (2 * f.max() < 0.45 * sr)) * \
                    np.hanning(m)
                add(x, ev * level, t0 * sr)
    x = room(rng, x, sr, rt=(0.2, 0.6), wet=(0.05, 0.2))
    # outdoors: wind and leaves, never silent between songs
    amb = band(coloured_noise(rng, n, rng.uniform(0.5, 1.5), sr), 100, rng.uniform(2000, 6000), sr)
    return x + rng.uniform(0.1, 0.4) * np.std(x) * amb / (np.std(amb) + 1e-12)


def engine(rng, n, sr):
    """An engine running: low harmonic rumble on the firing rate, pulsing noise."""
    t = np.arange(n) / sr
    f0 = rng.uniform(25, 80)
    f = f0 * (1 + rng.uniform(0.02, 0.1) * np.sin(2 * np.pi * t / rng.uniform(2, 6)) +
              0.02 * slow(rng, n, 0.5, sr))
    rev = np.zeros(n)
    if rng.uniform() < 0.5:   # a rev up
        t0 = rng.uniform(0, n / sr)
        rev = rng.uniform(0.3, 1.0) * np.exp(-((t - t0) / rng.uniform(0.5, 1.5)) ** 2)
        f *= 1 + rev
    ph = 2 * np.pi * np.cumsum(f) / sr
    tilt = rng.uniform(0.7, 1.3)
    x = np.zeros(n)
    for k in range(1, 60):
        if k * f0 * 1.9 > 0.45 * sr:
            break
        x += np.sin(k * ph + rng.uniform(0, 2 * np.pi)) / k ** tilt
        x += rng.uniform(0, 0.3) * np.sin((k - 0.5) * ph + rng.uniform(0, 2 * np.pi)) / k ** tilt
    pulse = (0.5 + 0.5 * np.cos(ph)) ** rng.uniform(2, 6)
    mech = band(rng.standard_normal(n), rng.uniform(300, 1000), rng.uniform(3000, 7000), sr)
    x = x / np.std(x) + rng.uniform(0.5, 2.0) * pulse * mech / (np.std(pulse * mech) + 1e-12)
    x += rng.uniform(0.3, 0.8) * band(coloured_noise(rng, n, 2, sr), 0, 150, sr)
    # load and distance change: the level follows the revs and drifts
    x *= (1 + rev) * np.exp(rng.uniform(0.1, 0.6) * slow(rng, n, 0.7, sr))
    return band(x, 0, rng.uniform(2000, 5000), sr)


def knocking(rng, n, sr):
    """Knocking on a door: low wooden thumps in groups of two to four."""
    f1, f2 = rng.uniform(60, 160), rng.uniform(200, 500)
    t1, t2 = rng.uniform(0.02, 0.06), rng.uniform(0.008, 0.02)
    x = np.zeros(n)
    for g in times(rng, n / sr, (1.2, 3.0), (0, 0.8)):
        k = rng.integers(2, 5)
        gap = rng.uniform(0.12, 0.28)
        for i in range(k):
            ev = damped([f1 * rng.uniform(0.97, 1.03), f2, f2 * rng.uniform(1.8, 2.6)],
                        [t1, t2, t2 * 0.5], [1, 0.6, 0.2], 0.3, sr)
            m = int(0.004 * sr)
            ev[:m] += 0.3 * band(rng.standard_normal(m), 300, 2500, sr)
            a = rng.uniform(0.7, 1.0) * (1.2 if i == k - 1 and rng.uniform() < 0.4 else 1)
            add(x, ev * a, (g + i * gap * rng.uniform(0.9, 1.1)) * sr)
    x = room(rng, x, sr, rt=(0.2, 0.7), wet=(0.1, 0.35))
    return x + 0.01 * np.std(x) * coloured_noise(rng, n, 1, sr)


def applause(rng, n, sr):
    """Applause: a crowd's dense random hand claps (filtered noise bursts)."""
    t = np.arange(n) / sr
    rate = rng.uniform(150, 800)   # claps per second: 30 to 150 people
    x = np.zeros(n)
    for _ in range(10):   # ten groups of clappers, each with its own clap colour
        m = int(rng.uniform(0.005, 0.015) * sr)
        k = rng.standard_normal(m) * np.exp(-np.arange(m) / (m / 4))
        fc = rng.uniform(500, 2000)
        k = band(np.concatenate([k, np.zeros(m)]), fc / 2, fc * 2, sr)
        x += signal.fftconvolve(impulses(rng, n, rate / 10, sr), k)[:n]
    dur = n / sr
    rise, fall = rng.uniform(0.05, 0.8), rng.uniform(0.5, 3.0)
    start_fall = rng.uniform(0.5, 1.5) * dur
    env = np.minimum(1, t / rise) * np.where(t > start_fall, np.exp(-(t - start_fall) / fall), 1)
    x = room(rng, x * env, sr, rt=(0.4, 1.5), wet=(0.1, 0.4))
    return x + 0.02 * np.std(x) * coloured_noise(rng, n, 1, sr)


def thunder(rng, n, sr):
    """Thunder: a crack, then a low rolling rumble with slow swells."""
    t = np.arange(n) / sr
    dur = n / sr
    rumble_src = band(coloured_noise(rng, n, rng.uniform(1, 2), sr), rng.uniform(30, 60),
                      rng.uniform(250, 600), sr, 2)
    rumble_src /= np.std(rumble_src) + 1e-12
    env = np.full(n, rng.uniform(0.05, 0.3))   # the storm rumbles on in the distance
    t0 = rng.uniform(0.0, 0.35) * dur
    near = rng.uniform() < 0.6
    for _ in range(rng.integers(3, 9)):   # rolling: several swells
        tb = t0 + rng.exponential(0.8)
        up, down = rng.uniform(0.05, 0.4), rng.uniform(0.6, 2.5)
        env += rng.uniform(0.3, 1.0) * np.where(t < tb, np.exp(-((t - tb) / up) ** 2),
                                                 np.exp(-(t - tb) / down))
    x = rumble_src * env
    if near:   # the crack
        m = int(rng.uniform(0.15, 0.5) * sr)
        crack = band(rng.standard_normal(m), 0, rng.uniform(1000, 3000), sr) * \
            np.exp(-np.arange(m) / (rng.uniform(0.03, 0.12) * sr))
        add(x, crack * rng.uniform(0.5, 1.5), t0 * sr)
    x = room(rng, x, sr, rt=(1.0, 3.0), wet=(0.2, 0.5))
    if rng.uniform() < 0.5:   # a storm: rain under the thunder
        r = rain(rng, n, sr)
        x += rng.uniform(0.02, 0.08) * np.std(x) * r / (np.std(r) + 1e-12)
    return x


SYNTHS = {c: globals()[c] for c in CLASSES}


# ------------------------------------------------------------ rendering

def render(cls, seed, seconds, sr):
    """One clip in [-1, 1]: the class, a background, a level and fades."""
    # mix the class into the seed so two classes never share a random stream
    rng = np.random.default_rng([seed, CLASSES.index(cls)])
    n = int(round(seconds * sr))
    x = SYNTHS[cls](rng, n, sr)[:n]
    x = x / (np.sqrt(np.mean(x * x)) + 1e-12)
    snr_db = rng.uniform(30, 55)   # room tone / microphone noise
    x += 10 ** (-snr_db / 20) * coloured_noise(rng, n, rng.uniform(1, 2), sr)
    fade = int(0.01 * sr)
    ramp = np.linspace(0, 1, fade)
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    x *= 10 ** (rng.uniform(-32, -14) / 20) / np.sqrt(np.mean(x * x))   # RMS level, dBFS
    return x * min(1.0, 0.98 / (np.max(np.abs(x)) + 1e-12))


def write_wav(path, x, sr):
    s = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(s.tobytes())


def main(argv):
    if len(argv) == 2 and argv[1] == "classes":
        print("\n".join(CLASSES))
        return 0
    if len(argv) != 3 or argv[1] != "render":
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 2
    f = sys.stdin if argv[2] == "-" else open(argv[2])
    for ln, line in enumerate(f, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 5 or parts[0] not in SYNTHS:
            print(f"synth_sounds: {argv[2]} line {ln}: expected 'CLASS SEED SECONDS RATE "
                  f"OUT.wav' with CLASS one of {', '.join(CLASSES)}; got {line.strip()!r}",
                  file=sys.stderr)
            return 1
        cls, seed, secs, sr, out = parts
        write_wav(out, render(cls, int(seed), float(secs), int(sr)), int(sr))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
