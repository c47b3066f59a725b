/* speech_detect.c — earshot's own cheap speech detector (see
 * speech_detect.h for why it exists, docs/SPEECH_DETECT.md for the design,
 * the features and the measured accuracy).
 *
 * The chunk is decimated to 8 kHz (a half-band FIR) and cut into 64 ms
 * Hann frames every 50 ms (512-point FFT); only 62.5 Hz – 3.5 kHz is
 * looked at, so narrow-band (telephone, 8 kHz) speech scores like
 * wide-band speech. Per frame: the level, 4 band levels, spectral flatness
 * and centroid, the speech-band share, and a voicing strength with its
 * pitch period (the normalised autocorrelation peak for F0 60–400 Hz, from
 * a 256-point FFT of the power spectrum). Per chunk these become
 * ES_SD_N_FEAT numbers — the 2–8 Hz (syllabic) modulation of the band
 * envelopes, voicing statistics, pitch steadiness, level range — and a
 * logistic model with weights fitted offline (bench/fit_speech_detect.py)
 * turns them into a score in [0, 1].
 *
 * Cost: about 0.33 ms per 10 s chunk on one core (two FFTs per frame are
 * most of it). Scratch arrays live in the detector and only grow, so
 * steady-state calls do not allocate. */
#include "dsp/speech_detect.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "dsp/fft.h"
#include "dsp/mel.h"
#include "dsp/speech_detect_trace.h"

/* Analysis runs at 8 kHz after a half-band decimator (SD_HB_PAIRS pairs of
 * taps, Kaiser β 6: −1 dB at 3.5 kHz, −57 dB from 5 kHz on, so aliasing
 * into the analysed band stays ≤ −19 dB). */
#define SD_RATE 8000
#define SD_HB_PAIRS 8
#define SD_NFFT 512                 /* 64 ms at 8 kHz; 15.625 Hz per bin   */
#define SD_HOP 400                  /* 50 ms: 20 frames per second         */
#define SD_FPS ((double)SD_RATE / SD_HOP)
#define SD_K_LO 4                   /* 62.5 Hz                             */
#define SD_K_HI 224                 /* 3500 Hz (inclusive)                 */
#define SD_K_SP_LO 19               /* 297 Hz: speech band …               */
#define SD_K_SP_HI 218              /* … to 3406 Hz (inclusive)            */
#define SD_K_ACF 128                /* ACF from 0–2 kHz …                  */
#define SD_NACF 256                 /* … as a 4 kHz signal                 */
#define SD_LAG_LO 10                /* 2.5 ms (F0 400 Hz) …                */
#define SD_LAG_HI 67                /* … to 16.75 ms (F0 60 Hz)            */
#define SD_N_BAND 4                 /* bands of the modulation envelopes   */
#define SD_MIN_SAMPLES 1600         /* 0.1 s at 16 kHz                     */
/* Gate: a chunk whose 95th-percentile frame level is below −70 dBFS (mean
 * square per sample) is silence. */
#define SD_SILENCE_DB (-70.0f)
#define SD_VOICED 0.6f              /* ACF peak of a voiced frame          */
/* The model: standardised features are clipped to ±SD_Z_CLIP (no wild
 * extrapolation), and the score is multiplied by min(1, voiced_frac /
 * SD_GATE_VOICED): speech a recogniser can transcribe has voiced frames
 * (≥ 25 % of the active ones in 99 % of the speech chunks of
 * ../shared/data), and the gate keeps click tracks and other unvoiced
 * rhythm at 0. bench/fit_speech_detect.py applies the same two rules. */
#define SD_Z_CLIP 4.0f
#define SD_GATE_VOICED 0.25f

/* band edges in bins: 62.5, 250, 1000, 2000, 3500 Hz */
static const int band_edge[SD_N_BAND + 1] = {4, 16, 64, 128, 225};

/* The chunk features (docs/SPEECH_DETECT.md defines each). */
enum {
    F_DYN, F_MOD_DEPTH, F_MOD_RATIO, F_FLATNESS, F_SPEECH_SHARE, F_VOICING,
    F_VOICED_FRAC, F_PITCH_STEADY, F_VOICED_RATE, F_CENTROID_STD
};

static const char *const feat_name[ES_SD_N_FEAT] = {
    "dyn_db", "mod_depth_db", "mod_ratio", "flatness", "speech_share",
    "voicing", "voiced_frac", "pitch_steady", "voiced_rate", "centroid_std"};

/* ---- the fitted model (bench/fit_speech_detect.py writes this block) ---- */
/* Fitted by bench/fit_speech_detect.py on ../shared/data: 2867 chunks, */
/* classes balanced, L2 0.001 on standardised weights; features are */
/* standardised by model_mean / model_scale. Held-out (2-fold by */
/* recording) accuracy: docs/SPEECH_DETECT.md. */
static const float model_mean[ES_SD_N_FEAT] = {
    28.605941f, 5.145815f, 0.432736f, -5.547400f,
    0.714163f, 0.696338f, 0.664601f, 0.187829f,
    1.941448f, 0.592893f};
static const float model_scale[ES_SD_N_FEAT] = {
    14.047030f, 2.543131f, 0.162036f, 2.335067f,
    0.229035f, 0.195853f, 0.319561f, 0.223006f,
    1.160051f, 0.272216f};
static const float model_weight[ES_SD_N_FEAT] = {
    -1.360729f, 2.410949f, 0.190763f, 1.062778f,
    0.159632f, 1.641228f, 1.165374f, -2.131050f,
    0.742429f, -0.667670f};
static const float model_bias = -0.675087f;
static const float model_threshold = 0.500000f;
/* ---- end of the fitted model ---- */

struct es_speech_detector {
    es_rfft *fft, *acf_fft;
    /* modulation FFTs by log2 of their size (64 … ), made when first
     * needed; mod_fft is the one the current input uses: its size depends
     * only on the input's length, so a score never depends on what the
     * detector scored before */
    es_rfft *mod_plans[32], *mod_fft;
    int mod_power_cap;
    float window[SD_NFFT];
    float power[SD_NFFT / 2 + 1];
    float acf[SD_NACF / 2 + 1];
    float inv_win_acf[SD_LAG_HI + 2];   /* 1 / normalised ACF of the window */
    float bin_log2hz[SD_K_HI + 1];
    float hb[SD_HB_PAIRS];              /* half-band taps at odd offsets   */
    float *mod_power;                   /* mod_fft size / 2 + 1            */
    /* the 8 kHz signal and its scratch, cap_samples (+ margins) */
    size_t cap_samples;
    float *x8, *even, *odd;
    /* per-frame values, cap_frames each */
    size_t cap_frames;
    float *block;
    float *level_db, *sp_share, *flat, *centroid, *voicing, *period,
        *sorted, *env, *mod_win;
    float *band_db;                     /* [cap_frames × SD_N_BAND] dB     */
};

/* log2(x) for x > 0, to ~0.005: exponent + quadratic in the mantissa. Per
 * bin logs would dominate the cost with libm. */
static inline float fast_log2(float x)
{
    union { float f; uint32_t u; } v = {x};
    float e = (float)((int)(v.u >> 23) - 127);
    v.u = (v.u & 0x007FFFFFu) | 0x3F800000u;
    float m = v.f;
    return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
}

es_status es_speech_detector_create(es_speech_detector **out, es_error *err)
{
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "speech detector: out is NULL");
    *out = NULL;
    es_speech_detector *d = calloc(1, sizeof *d);
    if (!d) return es_fail(err, ES_ERR_NOMEM, "speech detector: out of memory");
    d->fft = es_rfft_create(SD_NFFT);
    d->acf_fft = es_rfft_create(SD_NACF);
    if (!d->fft || !d->acf_fft) {
        es_speech_detector_free(d);
        return es_fail(err, ES_ERR_NOMEM,
                       "speech detector: out of memory (FFT plans)");
    }
    es_hann_periodic(SD_NFFT, d->window);
    /* The window's own autocorrelation at 8 kHz lag 2l, normalised: what a
     * perfectly periodic signal's frame ACF is scaled by (Boersma 1993). */
    double w0 = 0;
    for (int i = 0; i < SD_NFFT; i++) w0 += (double)d->window[i] * d->window[i];
    for (int l = 0; l <= SD_LAG_HI + 1; l++) {
        double s = 0;
        for (int i = 0; i + 2 * l < SD_NFFT; i++)
            s += (double)d->window[i] * d->window[i + 2 * l];
        d->inv_win_acf[l] = (float)(w0 / s);
    }
    for (int k = 0; k <= SD_K_HI; k++)
        d->bin_log2hz[k] = (float)log2((k > 0 ? k : 1) * (double)SD_RATE / SD_NFFT);
    /* half-band low-pass: h[0] = ½, h[±(2j−1)] = sinc · Kaiser(β 6), scaled
     * to unit gain at DC */
    const int half = 2 * SD_HB_PAIRS - 1;
    const double beta = 6.0;
    double i0b = 0, sum = 0;
    for (int m = 0; m < 30; m++) {              /* I0(β) by its series */
        double t = 1;
        for (int q = 1; q <= m; q++) t *= (beta / 2) / q;
        i0b += t * t;
    }
    for (int j = 1; j <= SD_HB_PAIRS; j++) {
        int k = 2 * j - 1;
        double r = (double)k / half, arg = beta * sqrt(1.0 - r * r), i0 = 0;
        for (int m = 0; m < 30; m++) {
            double t = 1;
            for (int q = 1; q <= m; q++) t *= (arg / 2) / q;
            i0 += t * t;
        }
        d->hb[j - 1] = (float)(sin(M_PI * k / 2.0) / (M_PI * k) * i0 / i0b);
        sum += 2.0 * d->hb[j - 1];
    }
    for (int j = 0; j < SD_HB_PAIRS; j++) d->hb[j] *= (float)(0.5 / sum);
    *out = d;
    return ES_OK;
}

void es_speech_detector_free(es_speech_detector *d)
{
    if (!d) return;
    es_rfft_free(d->fft);
    es_rfft_free(d->acf_fft);
    for (int i = 0; i < 32; i++) es_rfft_free(d->mod_plans[i]);
    free(d->mod_power);
    free(d->x8);
    free(d->block);
    free(d);
}

float es_speech_detector_threshold(const es_speech_detector *d)
{
    (void)d;
    return model_threshold;
}

const char *es_speech_detector_feature_name(int i)
{
    return i >= 0 && i < ES_SD_N_FEAT ? feat_name[i] : NULL;
}

/* Scratch for n8 samples at 8 kHz and `frames` frames, and a modulation
 * FFT of at least that many points (a power of two, at least 64). */
static int reserve(es_speech_detector *d, size_t n8, size_t frames)
{
    if (n8 > d->cap_samples) {
        /* x8 (+ a frame of zeros past the end), even and odd input
         * samples with SD_HB_PAIRS zeros on each side */
        size_t cap = n8 < 80000 ? 80000 : n8;
        float *b = malloc(sizeof(float) * (3 * cap + SD_NFFT + 4 * SD_HB_PAIRS));
        if (!b) return -1;
        free(d->x8);
        d->x8 = b;
        d->even = b + cap + SD_NFFT;
        d->odd = d->even + cap + 2 * SD_HB_PAIRS;
        d->cap_samples = cap;
    }
    if (frames > d->cap_frames) {
        size_t cap = frames < 200 ? 200 : frames;
        float **arr[] = {&d->level_db, &d->sp_share, &d->flat, &d->centroid,
                         &d->voicing, &d->period, &d->sorted, &d->env,
                         &d->mod_win};
        const size_t n_arr = sizeof arr / sizeof *arr;
        float *block = malloc(sizeof(float) * cap * (n_arr + SD_N_BAND));
        if (!block) return -1;
        free(d->block);
        d->block = block;
        for (size_t i = 0; i < n_arr; i++) *arr[i] = block + i * cap;
        d->band_db = block + n_arr * cap;
        d->cap_frames = cap;
    }
    int lg = 6;
    while (((size_t)1 << lg) < frames) lg++;
    if (lg >= 32) return -1;
    const int m = 1 << lg;
    if (!d->mod_plans[lg] && !(d->mod_plans[lg] = es_rfft_create(m))) return -1;
    d->mod_fft = d->mod_plans[lg];
    if (d->mod_power_cap < m / 2 + 1) {
        float *p = malloc(sizeof(float) * (size_t)(m / 2 + 1));
        if (!p) return -1;
        free(d->mod_power);
        d->mod_power = p;
        d->mod_power_cap = m / 2 + 1;
    }
    return 0;
}

/* x[0..n) at 16 kHz → d->x8[0..n8), n8 = ⌈n/2⌉, through the half-band
 * filter: y[m] = ½ x[2m] + Σ_j h_j (x[2m − 2j + 1] + x[2m + 2j − 1]).
 * NaN, ±inf and absurd values count as 0 (decoded audio is within ±1). */
static void decimate(es_speech_detector *d, const float *x, size_t n,
                     size_t n8)
{
    const int P = SD_HB_PAIRS;
    float *ev = d->even, *od = d->odd + P;       /* od[i] = x[2i + 1] */
    for (int j = 0; j < P; j++) {
        d->odd[j] = 0.0f;
        od[n8 + j] = 0.0f;
    }
    const size_t pairs = n / 2;                  /* full (even, odd) pairs */
    for (size_t i = 0; i < pairs; i++) {
        float a = x[2 * i], b = x[2 * i + 1];
        ev[i] = fabsf(a) <= 1e3f ? a : 0.0f;
        od[i] = fabsf(b) <= 1e3f ? b : 0.0f;
    }
    if (pairs < n8) {                            /* odd n: a last even one */
        float a = x[n - 1];
        ev[pairs] = fabsf(a) <= 1e3f ? a : 0.0f;
        od[pairs] = 0.0f;
    }
    float *y = d->x8;
    const float *h = d->hb;
    for (size_t i = 0; i < n8; i++) {
        float acc = 0.5f * ev[i];
        for (int j = 1; j <= P; j++) acc += h[j - 1] * (od[i - j] + od[i + j - 1]);
        y[i] = acc;
    }
    for (size_t i = n8; i < n8 + SD_NFFT; i++) y[i] = 0.0f;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* p-quantile (0..1) of sorted v[0..n), nearest rank. */
static float quantile(const float *v, size_t n, float p)
{
    size_t i = (size_t)(p * (float)(n - 1) + 0.5f);
    return v[i < n ? i : n - 1];
}

/* Sum of v[lo..hi] in 8 independent lanes, so the compiler can vectorise
 * it without reassociating floating point. */
static inline float lane_sum(const float *v, int lo, int hi)
{
    float acc[8] = {0};
    int k = lo;
    for (; k + 8 <= hi + 1; k += 8)
        for (int j = 0; j < 8; j++) acc[j] += v[k + j];
    float s = 0;
    for (; k <= hi; k++) s += v[k];
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

/* The frame values of frame t: 8 kHz samples [t·hop, t·hop + nfft). */
static void analyse_frame(es_speech_detector *d, size_t t)
{
    float *in = es_rfft_input(d->fft);
    const float *src = d->x8 + t * SD_HOP;
    for (int i = 0; i < SD_NFFT; i++) in[i] = src[i] * d->window[i];
    es_rfft_power_of_input(d->fft, d->power);

    float *p = d->power;
    /* a floor far below 16-bit quantisation keeps the logs finite */
    const float floor_p = 1e-10f;
    float lg[SD_K_HI + 1], pc[SD_K_HI + 1];
    for (int k = SD_K_LO; k <= SD_K_HI; k++) {
        lg[k] = fast_log2(p[k] + floor_p);
        pc[k] = p[k] * d->bin_log2hz[k];
    }
    float *band = d->band_db + t * SD_N_BAND, total = 0;
    for (int b = 0; b < SD_N_BAND; b++) {
        float e = lane_sum(p, band_edge[b], band_edge[b + 1] - 1);
        total += e;
        band[b] = 3.0103f * fast_log2(e + floor_p);    /* dB */
    }
    const int n_sp = SD_K_SP_HI - SD_K_SP_LO + 1;
    float sp = lane_sum(p, SD_K_SP_LO, SD_K_SP_HI);
    float log_sp = lane_sum(lg, SD_K_SP_LO, SD_K_SP_HI);
    float cen = lane_sum(pc, SD_K_LO, SD_K_HI);
    /* mean square per sample: Σ|X|² over the half spectrum ≈ N/2 · Σ w²x²,
     * and Σ w² = 3N/8 for Hann */
    const float norm = 2.0f / ((float)SD_NFFT * 0.375f * SD_NFFT);
    d->level_db[t] = 3.0103f * fast_log2(total * norm + 1e-12f);
    d->sp_share[t] = sp / (total + 1e-20f);
    d->flat[t] = log_sp / n_sp - fast_log2(sp / n_sp + floor_p);
    d->centroid[t] = cen / (total + 1e-20f);

    /* voicing: the autocorrelation of the frame band-limited to 62.5 Hz –
     * 2 kHz, as a 4 kHz signal: the 256-point FFT of the even extension of
     * p[0..128] is R(τ), real. The FFT helper returns only |·|², so R(0) is
     * added at τ = 0 of the input: the output is (R(τ) + R(0))², never
     * negative, and R(τ) = √out − R(0) keeps its sign. */
    float *a = es_rfft_input(d->acf_fft);
    for (int k = 1; k < SD_K_LO; k++) a[k] = a[SD_NACF - k] = 0.0f;
    for (int k = SD_K_LO; k < SD_K_ACF; k++) a[k] = a[SD_NACF - k] = p[k];
    a[SD_K_ACF] = p[SD_K_ACF];
    float r0 = 2.0f * lane_sum(p, SD_K_LO, SD_K_ACF - 1) + p[SD_K_ACF];
    a[0] = r0;
    es_rfft_power_of_input(d->acf_fft, d->acf);
    float r[SD_LAG_HI + 2], best = 0.0f;
    int best_lag = 0;
    if (r0 > 1e-20f) {
        float inv = 1.0f / (sqrtf(d->acf[0]) - r0);
        for (int l = SD_LAG_LO - 1; l <= SD_LAG_HI + 1; l++)
            r[l] = (sqrtf(d->acf[l]) - r0) * inv * d->inv_win_acf[l];
        for (int l = SD_LAG_LO; l <= SD_LAG_HI; l++)
            if (r[l] > best) {
                best = r[l];
                best_lag = l;
            }
    }
    d->voicing[t] = best;
    d->period[t] = 0.0f;
    if (best_lag) {
        /* parabolic interpolation of the peak: the period to ~0.02 lag */
        float a1 = r[best_lag - 1], b1 = r[best_lag], c1 = r[best_lag + 1];
        float den = a1 - 2.0f * b1 + c1, off = 0.0f;
        if (den < 0.0f) off = 0.5f * (a1 - c1) / den;
        if (off > 0.5f) off = 0.5f;
        if (off < -0.5f) off = -0.5f;
        d->period[t] = (float)best_lag + off;
    }
}

/* Modulation of the envelope e[0..T) (overwritten: mean removed, weighted
 * by d->mod_win) at the frame rate: its variance in 2–8 Hz and in
 * 0.5–10 Hz, in the envelope's units squared. */
static void modulation(es_speech_detector *d, float *e, size_t T,
                       double w2, double *var_syll, double *var_all)
{
    double mean = 0;
    for (size_t t = 0; t < T; t++) mean += e[t];
    mean /= (double)T;
    const int m = es_rfft_size(d->mod_fft);
    float *in = es_rfft_input(d->mod_fft);
    for (size_t t = 0; t < T; t++) in[t] = d->mod_win[t] * (float)(e[t] - mean);
    for (int t = (int)T; t < m; t++) in[t] = 0.0f;
    es_rfft_power_of_input(d->mod_fft, d->mod_power);
    /* Parseval: variance = 2 Σ_{0<k<m/2} |E_k|² / (m · Σ w²) */
    double scale = 2.0 / ((double)m * (w2 > 0 ? w2 : 1));
    double syll = 0, all = 0;
    for (int k = 1; k <= m / 2; k++) {
        double f = k * SD_FPS / m;
        if (f < 0.5) continue;
        all += d->mod_power[k];
        if (f >= 2.0 && f <= 8.0) syll += d->mod_power[k];
    }
    *var_syll = syll * scale;
    *var_all = all * scale;
}

int es_speech_detector_features(es_speech_detector *d, const float *x,
                                size_t n, float *feat)
{
    if (!d || !x || !feat) return -1;
    for (int i = 0; i < ES_SD_N_FEAT; i++) feat[i] = 0.0f;
    if (n < SD_MIN_SAMPLES) return 1;
    size_t n8 = (n + 1) / 2;
    /* frames start every hop while they hold at least half a hop of
     * signal; the last is zero-padded */
    size_t T = n8 <= SD_NFFT ? 1 : 1 + (n8 - SD_NFFT + SD_HOP / 2) / SD_HOP;
    if (reserve(d, n8, T) != 0) return -1;
    decimate(d, x, n, n8);
    for (size_t t = 0; t < T; t++) analyse_frame(d, t);

    memcpy(d->sorted, d->level_db, sizeof(float) * T);
    qsort(d->sorted, T, sizeof(float), cmp_float);
    float p10 = quantile(d->sorted, T, 0.10f);
    float p90 = quantile(d->sorted, T, 0.90f);
    float p95 = quantile(d->sorted, T, 0.95f);
    if (!(p95 > SD_SILENCE_DB)) return 1;

    /* active frames: above the floor (p10) by a third of the range, and
     * at least those within 6 dB of the loud end (a steady sound is all
     * active, not split by its tiny level jitter) */
    float act_thr = p10 + (p95 - p10) / 3.0f;
    if (act_thr > p95 - 6.0f) act_thr = p95 - 6.0f;
    double n_act = 0, flat = 0, sp = 0, voicing = 0, voiced = 0;
    double steady = 0, n_pairs = 0, runs = 0, csum = 0, csum2 = 0;
    for (size_t t = 0; t < T; t++) {
        int act = d->level_db[t] >= act_thr;
        int prev_act = t > 0 && d->level_db[t - 1] >= act_thr;
        if (!act) continue;
        n_act++;
        flat += d->flat[t];
        sp += d->sp_share[t];
        csum += d->centroid[t];
        csum2 += (double)d->centroid[t] * d->centroid[t];
        voicing += d->voicing[t];
        int v = d->voicing[t] >= SD_VOICED;
        int prev_v = prev_act && d->voicing[t - 1] >= SD_VOICED;
        voiced += v;
        if (v && !prev_v) runs++;
        if (v && prev_v) {                      /* pitch within ±1 %? */
            n_pairs++;
            float r = d->period[t] / d->period[t - 1];
            steady += r > 0.99f && r < 1.0101f;
        }
    }
    if (n_act < 1) n_act = 1;
    double cmean = csum / n_act, cvar = csum2 / n_act - cmean * cmean;

    /* syllabic modulation: each band's level envelope, floored 50 dB under
     * its own maximum (digital silence between words must not dominate) */
    double w2 = 0;
    for (size_t t = 0; t < T; t++) {
        float w = (float)(0.5 - 0.5 * cos(2.0 * M_PI * ((double)t + 0.5) / (double)T));
        d->mod_win[t] = w;
        w2 += (double)w * w;
    }
    double depth = 0, syll = 0, all = 0;
    for (int b = 0; b < SD_N_BAND; b++) {
        float mx = -1e30f;
        for (size_t t = 0; t < T; t++) {
            float v = d->band_db[t * SD_N_BAND + b];
            d->env[t] = v;
            mx = v > mx ? v : mx;
        }
        for (size_t t = 0; t < T; t++)
            if (d->env[t] < mx - 50.0f) d->env[t] = mx - 50.0f;
        double s1, a1;
        modulation(d, d->env, T, w2, &s1, &a1);
        depth += sqrt(s1);
        syll += s1;
        all += a1;
    }

    float dyn = p90 - p10;
    feat[F_DYN] = dyn > 60.0f ? 60.0f : dyn;
    feat[F_MOD_DEPTH] = (float)(depth / SD_N_BAND);
    feat[F_MOD_RATIO] = (float)(syll / (all + 1e-9));
    feat[F_FLATNESS] = (float)(flat / n_act);
    feat[F_SPEECH_SHARE] = (float)(sp / n_act);
    feat[F_VOICING] = (float)(voicing / n_act);
    feat[F_VOICED_FRAC] = (float)(voiced / n_act);
    feat[F_PITCH_STEADY] = (float)(n_pairs > 0 ? steady / n_pairs : 0.0);
    feat[F_VOICED_RATE] = (float)(runs / ((double)T / SD_FPS));
    feat[F_CENTROID_STD] = (float)sqrt(cvar > 0 ? cvar : 0);
    for (int i = 0; i < ES_SD_N_FEAT; i++)
        if (!isfinite(feat[i])) feat[i] = 0.0f;
    return 0;
}

es_status es_speech_detector_score(es_speech_detector *d, const float *x,
                                   size_t n, float *score, es_error *err)
{
    if (score) *score = 0.0f;
    if (!d || !x || !score)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "speech detector: detector, samples or score is NULL");
    if (n == 0)
        return es_fail(err, ES_ERR_EMPTY,
                       "speech detector: no samples to score (n = 0)");
    float f[ES_SD_N_FEAT];
    int r = es_speech_detector_features(d, x, n, f);
    if (r < 0)
        return es_fail(err, ES_ERR_NOMEM,
                       "speech detector: out of memory for %zu samples", n);
    if (r > 0) return ES_OK;                  /* too short or silent: 0 */
    double z = model_bias;
    for (int i = 0; i < ES_SD_N_FEAT; i++) {
        float zi = (f[i] - model_mean[i]) / model_scale[i];
        zi = zi > SD_Z_CLIP ? SD_Z_CLIP : zi < -SD_Z_CLIP ? -SD_Z_CLIP : zi;
        z += model_weight[i] * zi;
    }
    double gate = f[F_VOICED_FRAC] / SD_GATE_VOICED;
    double s = (gate < 1.0 ? gate : 1.0) / (1.0 + exp(-z));
    *score = s >= 0.0 && s <= 1.0 ? (float)s : 0.0f;
    return ES_OK;
}
