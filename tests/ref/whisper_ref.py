"""whisper_ref — NumPy (float64) reference implementations of Whisper's
front end, written from the facts in DESIGN.md, for the tests in tests/ref.

log_mel_spectrogram(x, filters) follows openai/whisper's audio.py:
  STFT with n_fft 400, hop 160, periodic Hann, center=True with reflect
  padding of 200 samples (torch.stft's default there), drop the last frame,
  power |X|², filters @ power, log10(max(·, 1e-10)), clamp at max − 8,
  (x + 4) / 4.  Output [n_mels, n // 160].
Padding uses numpy.pad(mode="reflect"), equal to torch's for n > 200 and
also defined (repeated mirroring) for shorter signals, as earshot documents.
"""
import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160


def hann_periodic(n=N_FFT):
    i = np.arange(n, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * i / n)


def hz_to_mel(hz):
    """Slaney mel scale (librosa htk=False): linear below 1 kHz, log above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3.0
    min_log_mel = 1000.0 / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(hz >= 1000.0, min_log_mel + np.log(np.maximum(hz, 1e-300) / 1000.0) / logstep,
                    hz / f_sp)


def mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3.0
    min_log_mel = 1000.0 / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, 1000.0 * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filters(n_mels, sr=SAMPLE_RATE, n_fft=N_FFT, fmin=0.0, fmax=None):
    """Slaney-normalised triangular filters [n_mels, n_fft//2+1] (float64)."""
    fmax = sr / 2.0 if fmax is None else fmax
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    w = np.zeros((n_mels, freqs.size))
    for m in range(n_mels):
        lo, ce, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / (ce - lo)
        down = (hi - freqs) / (hi - ce)
        w[m] = np.maximum(0.0, np.minimum(up, down)) * (2.0 / (hi - lo))
    return w


def stft_power(x):
    """|STFT|² [201, n//160] with the last frame dropped (float64)."""
    x = np.asarray(x, dtype=np.float64)
    n_frames = x.size // HOP
    if n_frames == 0:
        return np.zeros((N_FFT // 2 + 1, 0))
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    idx = np.arange(n_frames)[:, None] * HOP + np.arange(N_FFT)[None, :]
    frames = padded[idx] * hann_periodic()[None, :]
    spec = np.fft.rfft(frames, axis=1)
    return (np.abs(spec) ** 2).T


def log_mel_spectrogram(x, filters):
    """Whisper's log-mel [n_mels, n//160] in float64."""
    filters = np.asarray(filters, dtype=np.float64)
    power = stft_power(x)
    if power.shape[1] == 0:
        return np.zeros((filters.shape[0], 0))
    mel = filters @ power
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0
