"""features_ref — an independent NumPy/SciPy (float64) reference for earshot's
sound feature vector, layout version 1 (docs/FEATURES.md).

Written from librosa's documented definitions (librosa itself is not
available): stft(center=True, pad_mode='constant'), filters.mel (Slaney),
power_to_db(top_db=80), feature.mfcc (DCT-II ortho), feature.delta
(savgol_filter mode='interp'), spectral_centroid / bandwidth / rolloff /
flatness / contrast, zero_crossing_rate, rms, filters.chroma + chroma_stft,
and the design's onset envelope and tempo. The C code computes the same
quantities in float32 with its own algorithms (sparse filters, partial
selection, closed-form Savitzky-Golay weights, block sums); only the
definitions are shared.
"""
import numpy as np
import scipy.fft
import scipy.signal

SR = 16000
N_FFT = 1024
HOP = 512
N_MELS = 64
N_MFCC = 20
TOP_DB = 80.0
AMIN = 1e-10
TINY32 = float(np.finfo(np.float32).tiny)


# ----------------------------------------------------------------- filters
def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz,
                    min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=None):
    """librosa.filters.mel(htk=False, norm='slaney')."""
    fmax = sr / 2 if fmax is None else fmax
    fftfreqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    w = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    return w * enorm[:, None]


def chroma_filters(sr=SR, n_fft=N_FFT, n_chroma=12, tuning=0.0, ctroct=5.0,
                   octwidth=2.0, base_c=True):
    """librosa.filters.chroma(norm=2), kept in float64."""
    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    frqbins = n_chroma * np.log2(frequencies / (a440 / 16))
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    D = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    n_chroma2 = np.round(float(n_chroma) / 2)
    D = np.remainder(D + n_chroma2 + 10 * n_chroma, n_chroma) - n_chroma2
    wts = np.exp(-0.5 * (2 * D / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    wts = wts / np.linalg.norm(wts, axis=0, keepdims=True)
    wts *= np.tile(np.exp(-0.5 * (((frqbins / n_chroma - ctroct) / octwidth) ** 2)), (n_chroma, 1))
    if base_c:
        wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return wts[:, : int(1 + n_fft / 2)]


# -------------------------------------------------------------- components
def power_spectrogram(x):
    """|STFT|² [T × 513]: centred with zero padding, periodic Hann."""
    x = np.asarray(x, dtype=np.float64)
    xp = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="constant")
    T = 1 + len(x) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(T)[:, None]
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    X = np.fft.rfft(xp[idx] * win, axis=1)
    return np.abs(X) ** 2


def power_to_db(S, top_db=TOP_DB):
    d = 10.0 * np.log10(np.maximum(AMIN, S))
    return np.maximum(d, d.max() - top_db)


def delta(data, order):
    """librosa.feature.delta(width=9) along axis 0 ([T × k]), with the
    design's shrinking width for short inputs."""
    T = data.shape[0]
    width = 9
    if T < 9:
        width = T if T % 2 else T - 1
        if width < 3 or width <= order:
            return np.zeros_like(data)
    return scipy.signal.savgol_filter(data, width, polyorder=order, deriv=order,
                                      axis=0, mode="interp")


def spectral(P):
    """Per-frame centroid, bandwidth, rolloff (on M), flatness (on P)."""
    M = np.sqrt(P)
    freq = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    tot = M.sum(axis=1)
    silent = tot < TINY32
    safe = np.where(silent, 1.0, tot)
    Mn = M / safe[:, None]
    centroid = np.where(silent, 0.0, (Mn * freq).sum(axis=1))
    bandwidth = np.where(silent, 0.0,
                         np.sqrt((Mn * (freq[None, :] - centroid[:, None]) ** 2).sum(axis=1)))
    cum = np.cumsum(M, axis=1)
    thr = 0.85 * cum[:, -1:]
    ind = np.where(cum < thr, np.nan, 1.0)
    rolloff = np.nanmin(ind * freq, axis=1)
    S = np.maximum(AMIN, P)
    flatness = np.exp(np.mean(np.log(S), axis=1)) / np.mean(S, axis=1)
    return centroid, bandwidth, rolloff, flatness


def contrast_bands(fmin=100.0, n_bands=6, quantile=0.02):
    """librosa.feature.spectral_contrast's band membership: list of
    (ranked bin indices, q)."""
    freq = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    octa = np.zeros(n_bands + 2)
    octa[1:] = fmin * (2.0 ** np.arange(0, n_bands + 1))
    bands = []
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:])):
        current = np.logical_and(freq >= f_low, freq <= f_high)
        idx = np.flatnonzero(current)
        if k > 0:
            current[idx[0] - 1] = True
        if k == n_bands:
            current[idx[-1] + 1:] = True
        rows = np.flatnonzero(current)
        q = int(max(np.rint(quantile * np.sum(current)), 1))
        if k < n_bands:
            rows = rows[:-1]
        bands.append((rows, q))
    return bands


def contrast(P):
    """[T × 7]: 10·log10(max(amin, peak)) − 10·log10(max(amin, valley)) with
    peak / valley = mean of the q largest / smallest magnitudes of a band
    (no top_db floor)."""
    M = np.sqrt(P)
    out = np.zeros((P.shape[0], 7))
    for b, (rows, q) in enumerate(contrast_bands()):
        s = np.sort(M[:, rows], axis=1)
        valley = s[:, :q].mean(axis=1)
        peak = s[:, -q:].mean(axis=1)
        out[:, b] = 10 * np.log10(np.maximum(AMIN, peak)) - 10 * np.log10(np.maximum(AMIN, valley))
    return out


def zcr(x):
    """librosa.feature.zero_crossing_rate(frame_length=1024, hop=512)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="edge")
    T = 1 + len(x) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(T)[:, None]
    f = y[idx].copy()
    f[np.abs(f) <= 1e-10] = 0
    s = np.signbit(f)
    c = s[:, 1:] != s[:, :-1]
    return c.sum(axis=1) / N_FFT


def rms(x):
    x = np.asarray(x, dtype=np.float64)
    y = np.pad(x, (N_FFT // 2, N_FFT // 2), mode="constant")
    T = 1 + len(x) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(T)[:, None]
    return np.sqrt(np.mean(y[idx] ** 2, axis=1))


def chroma(P):
    C = P @ chroma_filters().T            # [T × 12]
    mx = np.abs(C).max(axis=1, keepdims=True)
    return C / np.where(mx < TINY32, 1.0, mx)


def onset_envelope(db):
    o = np.zeros(db.shape[0])
    if db.shape[0] > 1:
        o[1:] = np.maximum(0.0, db[1:] - db[:-1]).mean(axis=1)
    return o


def tempo(onset, fps=SR / HOP):
    """(bpm, confidence): raw autocorrelation over lags for 30–300 BPM,
    weighted by librosa's log-normal prior around 120 BPM (1 octave),
    parabolic refinement of the best lag."""
    lag_min = int(np.ceil(60 * fps / 300.0))
    lag_max = int(np.floor(60 * fps / 30.0))
    T = len(onset)
    if T <= lag_max:
        return 0.0, 0.0
    ac0 = float(np.dot(onset, onset))
    if not ac0 > 0:
        return 0.0, 0.0
    lags = np.arange(lag_min, lag_max + 1)
    ac = np.array([np.dot(onset[:T - L], onset[L:]) for L in lags])
    bpm = 60 * fps / lags
    w = np.exp(-0.5 * ((np.log2(bpm) - np.log2(120.0)) / 1.0) ** 2)
    score = ac * w
    i = int(np.argmax(score))
    lag = float(lags[i])
    if 0 < i < len(lags) - 1:
        a, b, c = score[i - 1], score[i], score[i + 1]
        den = a - 2 * b + c
        if den < 0:
            lag += 0.5 * (a - c) / den
    return 60 * fps / lag, ac[i] / ac0


# ------------------------------------------------------------------ vector
def components(x):
    """All per-frame components (frame-major) plus the vectors."""
    P = power_spectrogram(x)
    db = power_to_db(P @ mel_filters().T)                 # [T × 64]
    mfcc = scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :N_MFCC]
    d1 = delta(mfcc, 1)
    d2 = delta(mfcc, 2)
    cen, bw, ro, fl = spectral(P)
    con = contrast(P)
    z = zcr(x)
    r = rms(x)
    ch = chroma(P)
    on = onset_envelope(db)
    bpm, conf = tempo(on)
    c = dict(power=P, mel_db=db, mfcc=mfcc, delta=d1, delta2=d2, centroid=cen,
             bandwidth=bw, rolloff=ro, flatness=fl, contrast=con, zcr=z, rms=r,
             chroma=ch, onset=on, tempo=np.array([bpm, conf]))
    v = np.concatenate([
        mfcc.mean(0), mfcc.std(0), d1.std(0), d2[:, :13].std(0),
        [cen.mean(), cen.std(), bw.mean(), bw.std(), ro.mean(), ro.std(),
         fl.mean(), fl.std(), z.mean(), z.std(), r.mean(), r.std()],
        con.mean(0), con.std(0), ch.mean(0), ch.std(0),
        [on.mean(), on.std(), on.max(), bpm, conf]])
    assert v.shape == (128,)
    c["full"] = v
    c["small"] = v[[0, 1, 73, 81, 126]]
    return c


def names():
    n = [f"mfcc_mean_{i}" for i in range(20)] + [f"mfcc_std_{i}" for i in range(20)]
    n += [f"delta_std_{i}" for i in range(20)] + [f"delta2_std_{i}" for i in range(13)]
    for p in ("centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms"):
        n += [f"{p}_mean", f"{p}_std"]
    n += [f"contrast_mean_{i}" for i in range(7)] + [f"contrast_std_{i}" for i in range(7)]
    n += [f"chroma_mean_{i}" for i in range(12)] + [f"chroma_std_{i}" for i in range(12)]
    n += ["onset_mean", "onset_std", "onset_max", "tempo_bpm", "tempo_confidence"]
    return n
