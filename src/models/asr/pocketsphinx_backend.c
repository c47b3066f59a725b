/* pocketsphinx_backend.c — the offline speech recognizer: CMU PocketSphinx
 * (Debian's 5prealpha library and its en-us model) behind the es_asr
 * interface, so earshot transcribes speech with no download at all.
 *
 * How audio of any length goes through it
 *   The samples are cut into utterances of at most ES_PS_MAX_UTT_S seconds.
 *   A cut falls at the quietest 0.3 s between ES_PS_MIN_UTT_S and
 *   ES_PS_MAX_UTT_S after the utterance start (speech rarely spans such a
 *   point), so a word is almost never split. Each utterance is converted to
 *   int16 into one reusable buffer and decoded whole (full_utt), which lets
 *   the model's batch cepstral mean normalisation see the utterance at
 *   once. Memory is therefore bounded by one utterance, whatever the input
 *   length. Utterances with no signal at all (digital silence) are skipped:
 *   decoding them would only invite the language model to guess words.
 *
 * Times
 *   PocketSphinx's own VAD (-remove_silence) drops frames, which would
 *   break the frame → time mapping; it is switched off, so frame f of an
 *   utterance starting at sample s is at s/16000 + f/100 seconds.
 *
 * Words → segments
 *   ps_seg_iter gives words with frames; fillers (<s>, </s>, <sil>,
 *   [NOISE], ...) are dropped and alternate pronunciations ("read(2)")
 *   lose their suffix. Words join one segment until a pause longer than
 *   ES_PS_PAUSE_S, ES_PS_MAX_SEG_S of speech, or the end of the
 *   utterance. avg_logprob is the mean of the words' natural-log lattice
 *   posteriors (0 = certain).
 *
 * Same audio, same words
 *   The acoustic model's Gaussian selection (PTM top-N) carries state from
 *   the end of one utterance into the next, so the same audio decoded
 *   after different audio got different word times and sometimes words.
 *   Decoding 0.1 s of fixed noise (the primer) before every utterance
 *   puts the decoder in the same state each time; measured: results then
 *   equal those of a freshly opened decoder, whatever came before.
 *
 * Thread safety: one ps_decoder_t per handle. PocketSphinx's logging is
 * process-wide; it is switched off (err_set_logfp(NULL)) because earshot
 * reports problems itself, with messages that name the file. */
#include "core/error.h"
#include "models/asr/asr_impl.h"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ES_PS_FRATE 100                 /* frames per second (-frate)       */
#define ES_PS_MAX_UTT_S 30              /* longest utterance decoded at once */
#define ES_PS_MIN_UTT_S 10              /* earliest point a cut may fall at  */
#define ES_PS_CUT_WIN_S 0.3             /* quiet stretch a cut is centred in */
#define ES_PS_PAUSE_S 0.5               /* a longer pause starts a segment   */
#define ES_PS_MAX_SEG_S 8.0             /* so does a segment this long: the
                                           index places text in 10 s chunks
                                           by the segments' times            */
#define ES_PS_MIN_DECODE_S 0.1          /* shorter audio holds no word       */
#define ES_PS_SILENCE_RMS 3.0e-4f       /* ≈ −70 dBFS: below is no signal    */
#define ES_PS_PRIMER 1600               /* samples of the primer (0.1 s)     */

typedef struct ps_word {
    double start, end;
    double logp;                        /* ln posterior, ≤ 0                 */
    char *text;
} ps_word;

typedef struct ps_backend {
    ps_decoder_t *ps;
    int16_t *pcm;                       /* one utterance, ES_PS_MAX_UTT_S s  */
    int16_t primer[ES_PS_PRIMER];       /* fixed noise decoded before each   */
    ps_word *words;                     /* the words of one utterance        */
    size_t n_words, cap_words;
    char model_dir[1024];
} ps_backend;

/* ---------------------------------------------------------------- model */

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Looks for the first of names[] in dir, then in dir's parent. */
static int find_beside(const char *dir, const char *parent,
                       const char *const *names, size_t n_names, char *out,
                       size_t size)
{
    const char *where[2] = {dir, parent};
    for (int w = 0; w < 2; w++) {
        for (size_t i = 0; i < n_names; i++) {
            snprintf(out, size, "%s/%s", where[w], names[i]);
            if (is_file(out)) return 1;
        }
    }
    return 0;
}

static void ps_backend_free(void *impl)
{
    ps_backend *b = impl;
    if (!b) return;
    if (b->ps) ps_free(b->ps);
    for (size_t i = 0; i < b->n_words; i++) free(b->words[i].text);
    free(b->words);
    free(b->pcm);
    free(b);
}

/* ----------------------------------------------------------- utterances */

static double frame_rms(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e += (double)x[i] * x[i];
    return n ? sqrt(e / (double)n) : 0.0;
}

/* Length of the utterance starting at x (n samples left): everything when
 * it fits, else the centre of the quietest ES_PS_CUT_WIN_S stretch between
 * ES_PS_MIN_UTT_S and ES_PS_MAX_UTT_S. */
static size_t utterance_length(const float *x, size_t n)
{
    const size_t max = (size_t)ES_PS_MAX_UTT_S * ES_SAMPLE_RATE;
    if (n <= max) return n;
    const size_t hop = ES_SAMPLE_RATE / ES_PS_FRATE;           /* 10 ms   */
    const size_t win = (size_t)(ES_PS_CUT_WIN_S * ES_PS_FRATE); /* frames */
    const size_t f0 = (size_t)ES_PS_MIN_UTT_S * ES_PS_FRATE;
    const size_t f1 = (size_t)ES_PS_MAX_UTT_S * ES_PS_FRATE - win;
    /* Log frame energies, summed over win frames: the log keeps one loud
     * click from hiding an otherwise quiet stretch. */
    enum { N_CUT_FRAMES = (ES_PS_MAX_UTT_S - ES_PS_MIN_UTT_S) * ES_PS_FRATE };
    double e[N_CUT_FRAMES];
    for (size_t f = f0; f < f1 + win; f++)
        e[f - f0] = log(frame_rms(x + f * hop, hop) + 1e-6);
    double sum = 0, best = INFINITY;
    size_t best_f = f1;
    for (size_t k = 0; k < win; k++) sum += e[k];
    for (size_t f = f0;; f++) {
        if (sum < best) {
            best = sum;
            best_f = f;
        }
        if (f == f1) break;
        sum += e[f + win - f0] - e[f - f0];
    }
    return (best_f + win / 2) * hop;
}

static int has_signal(const float *x, size_t n)
{
    const size_t hop = ES_SAMPLE_RATE / ES_PS_FRATE;
    for (size_t i = 0; i < n; i += hop) {
        size_t m = n - i < hop ? n - i : hop;
        if (frame_rms(x + i, m) > ES_PS_SILENCE_RMS) return 1;
    }
    return 0;
}

/* Fillers and sentence markers: <s>, </s>, <sil>, [NOISE], [SPEECH],
 * ++GARBAGE++ (older models). */
static int is_filler(const char *w)
{
    return !w[0] || w[0] == '<' || w[0] == '[' || w[0] == '+';
}

static es_status push_word(ps_backend *b, const char *w, double start,
                           double end, double logp)
{
    if (b->n_words == b->cap_words) {
        size_t cap = b->cap_words ? 2 * b->cap_words : 64;
        ps_word *nw = realloc(b->words, cap * sizeof *nw);
        if (!nw) return ES_ERR_NOMEM;
        b->words = nw;
        b->cap_words = cap;
    }
    size_t len = strlen(w);
    /* "word(2)" is the second pronunciation of "word". */
    if (len > 3 && w[len - 1] == ')') {
        const char *p = strrchr(w, '(');
        if (p && p > w && p[1] >= '0' && p[1] <= '9') len = (size_t)(p - w);
    }
    char *t = malloc(len + 1);
    if (!t) return ES_ERR_NOMEM;
    memcpy(t, w, len);
    t[len] = 0;
    b->words[b->n_words++] = (ps_word){start, end, logp, t};
    return ES_OK;
}

/* Joins words[i0, i1) into one segment. */
static es_status flush_segment(ps_backend *b, size_t i0, size_t i1,
                               es_transcript *t)
{
    if (i1 <= i0) return ES_OK;
    size_t len = 0;
    double lp = 0;
    for (size_t i = i0; i < i1; i++) {
        len += strlen(b->words[i].text) + 1;
        lp += b->words[i].logp;
    }
    char *text = malloc(len + 1);
    if (!text) return ES_ERR_NOMEM;
    char *p = text;
    for (size_t i = i0; i < i1; i++) {
        if (i > i0) *p++ = ' ';
        size_t l = strlen(b->words[i].text);
        memcpy(p, b->words[i].text, l);
        p += l;
    }
    *p = 0;
    es_status s = es_transcript_add(t, b->words[i0].start, b->words[i1 - 1].end,
                                    text, (float)(lp / (double)(i1 - i0)), 0.0f,
                                    NULL, 0);
    free(text);
    return s;
}

/* Decodes n samples (n ≤ ES_PS_MAX_UTT_S s) starting t0 seconds into the
 * input and appends its segments to t. */
static es_status decode_utterance(ps_backend *b, const float *x, size_t n,
                                  double t0, es_transcript *t, es_error *err)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * 32768.0f;
        v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
        if (v != v) v = 0.0f;                       /* NaN */
        b->pcm[i] = (int16_t)lrintf(v);
    }
    if (ps_start_utt(b->ps) < 0 ||
        ps_process_raw(b->ps, b->primer, ES_PS_PRIMER, FALSE, TRUE) < 0 ||
        ps_end_utt(b->ps) < 0 || ps_start_utt(b->ps) < 0 ||
        ps_process_raw(b->ps, b->pcm, n, FALSE, TRUE) < 0 ||
        ps_end_utt(b->ps) < 0)
        return es_fail(err, ES_ERR_INTERNAL, "pocketsphinx failed to decode "
                       "%.1f s of audio at %.1f s", (double)n / ES_SAMPLE_RATE, t0);

    for (size_t i = 0; i < b->n_words; i++) free(b->words[i].text);
    b->n_words = 0;
    int32 score = 0;
    const char *hyp = ps_get_hyp(b->ps, &score);
    if (!hyp || !hyp[0]) return ES_OK;

    logmath_t *lmath = ps_get_logmath(b->ps);
    for (ps_seg_t *seg = ps_seg_iter(b->ps); seg; seg = ps_seg_next(seg)) {
        const char *w = ps_seg_word(seg);
        if (!w || is_filler(w)) continue;
        int sf = 0, ef = 0;
        ps_seg_frames(seg, &sf, &ef);
        int32 ascr = 0, lscr = 0, lback = 0;
        int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
        double logp = post < 0 ? logmath_log_to_ln(lmath, post) : 0.0;
        double start = t0 + (double)sf / ES_PS_FRATE;
        double end = t0 + (double)(ef + 1) / ES_PS_FRATE;
        double t_end = t0 + (double)n / ES_SAMPLE_RATE;
        if (end > t_end) end = t_end;
        if (start > end) start = end;
        if (push_word(b, w, start, end, logp)) {
            ps_seg_free(seg);
            return es_fail(err, ES_ERR_NOMEM, "pocketsphinx: out of memory");
        }
    }
    size_t i0 = 0;
    for (size_t i = 1; i <= b->n_words; i++) {
        if (i < b->n_words &&
            b->words[i].start - b->words[i - 1].end <= ES_PS_PAUSE_S &&
            b->words[i].end - b->words[i0].start <= ES_PS_MAX_SEG_S)
            continue;
        if (flush_segment(b, i0, i, t))
            return es_fail(err, ES_ERR_NOMEM, "pocketsphinx: out of memory");
        i0 = i;
    }
    return ES_OK;
}

static es_status ps_backend_transcribe(void *impl, const float *samples,
                                       size_t n, es_transcript **out,
                                       es_error *err)
{
    ps_backend *b = impl;
    es_transcript *t = es_transcript_new();
    if (!t) return es_fail(err, ES_ERR_NOMEM, "pocketsphinx: out of memory");
    snprintf(t->language, sizeof t->language, "en");
    const size_t min_decode = (size_t)(ES_PS_MIN_DECODE_S * ES_SAMPLE_RATE);
    size_t pos = 0;
    while (pos < n) {
        size_t len = utterance_length(samples + pos, n - pos);
        if (len >= min_decode && has_signal(samples + pos, len)) {
            es_status s = decode_utterance(b, samples + pos, len,
                                           (double)pos / ES_SAMPLE_RATE, t, err);
            if (s) {
                es_transcript_free(t);
                return s;
            }
        }
        pos += len;
    }
    *out = t;
    return ES_OK;
}

/* ------------------------------------------------------------------ open */

es_status es_pocketsphinx_backend_open(const char *model_dir,
                                       const es_asr_params *params,
                                       es_asr_backend *out, es_error *err)
{
    if (!model_dir || !out)
        return es_fail(err, ES_ERR_INVALID_ARG, "pocketsphinx: no model directory given");
    es_asr_params def = es_asr_default_params();
    if (!params) params = &def;
    if (params->language && params->language[0] && strcmp(params->language, "auto") &&
        strcmp(params->language, "en"))
        return es_fail(err, ES_ERR_INVALID_ARG, "pocketsphinx: the en-us model only "
                       "recognizes English, not '%s'; for other languages install "
                       "Whisper (`earshot models pull whisper-tiny`)", params->language);
    if (params->translate)
        return es_fail(err, ES_ERR_INVALID_ARG, "pocketsphinx cannot translate; "
                       "install Whisper (`earshot models pull whisper-tiny`)");

    size_t dlen = strlen(model_dir);
    while (dlen > 1 && model_dir[dlen - 1] == '/') dlen--;
    if (dlen == 0 || dlen >= 900)
        return es_fail(err, ES_ERR_INVALID_ARG, "pocketsphinx: model directory "
                       "path is empty or too long");
    char dir[1024], parent[1024], base[256];
    snprintf(dir, sizeof dir, "%.*s", (int)dlen, model_dir);
    const char *slash = strrchr(dir, '/');
    snprintf(base, sizeof base, "%.200s", slash ? slash + 1 : dir);
    if (slash == dir) snprintf(parent, sizeof parent, "/");
    else if (slash) snprintf(parent, sizeof parent, "%.*s", (int)(slash - dir), dir);
    else snprintf(parent, sizeof parent, ".");

    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return es_fail(err, errno == EACCES ? ES_ERR_PERMISSION : ES_ERR_NOT_FOUND,
                       "%s: not a PocketSphinx model directory (it does not "
                       "exist); install the Debian package pocketsphinx-en-us", dir);
    static const char *const required[] = {"mdef", "means", "variances",
                                           "transition_matrices"};
    char path[1400];
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, required[i]);
        if (!is_file(path))
            return es_fail(err, ES_ERR_FORMAT, "%s: not a PocketSphinx acoustic "
                           "model (no '%s' in it); expected a directory like %s",
                           dir, required[i], ES_POCKETSPHINX_MODEL_DIR);
    }
    char lm[1400], dict[1400], lm_bin[300], lm_txt[300], dict_a[300], dict_b[300];
    snprintf(lm_bin, sizeof lm_bin, "%s.lm.bin", base);
    snprintf(lm_txt, sizeof lm_txt, "%s.lm", base);
    snprintf(dict_a, sizeof dict_a, "cmudict-%s.dict", base);
    snprintf(dict_b, sizeof dict_b, "%s.dict", base);
    const char *lm_names[] = {lm_bin, lm_txt};
    const char *dict_names[] = {dict_a, dict_b};
    if (!find_beside(dir, parent, lm_names, 2, lm, sizeof lm))
        return es_fail(err, ES_ERR_NOT_FOUND, "%s: no language model for it "
                       "(looked for %s or %s beside it, in %s)", dir, lm_bin,
                       lm_txt, parent);
    if (!find_beside(dir, parent, dict_names, 2, dict, sizeof dict))
        return es_fail(err, ES_ERR_NOT_FOUND, "%s: no pronunciation dictionary "
                       "for it (looked for %s or %s beside it, in %s)", dir,
                       dict_a, dict_b, parent);

    ps_backend *b = calloc(1, sizeof *b);
    if (b) b->pcm = malloc((size_t)ES_PS_MAX_UTT_S * ES_SAMPLE_RATE * sizeof(int16_t));
    if (!b || !b->pcm) {
        ps_backend_free(b);
        return es_fail(err, ES_ERR_NOMEM, "pocketsphinx: out of memory");
    }
    snprintf(b->model_dir, sizeof b->model_dir, "%s", dir);
    uint32_t lcg = 12345;                /* ±512: quiet, fixed noise */
    for (int i = 0; i < ES_PS_PRIMER; i++) {
        lcg = lcg * 1103515245u + 12345u;
        b->primer[i] = (int16_t)((int)((lcg >> 16) & 0x3ff) - 512);
    }

    /* PocketSphinx logs to stderr by default; earshot reports itself. */
    err_set_logfp(NULL);
    /* -pl_window 0: the phone-loop lookahead keeps state from one
     * utterance to the next, so the same audio decoded twice on one handle
     * gave different words (measured on jfk.wav); without it decoding is
     * deterministic and as accurate (WER on 20 LJ Speech clips 0.271 vs
     * 0.280). -remove_silence no: see "Times" above. */
    cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", dir, "-lm", lm,
                                   "-dict", dict, "-remove_silence", "no",
                                   "-pl_window", "0", "-samprate", "16000",
                                   "-frate", "100", NULL);
    if (config) b->ps = ps_init(config);
    if (config) cmd_ln_free_r(config);   /* ps_init keeps its own reference */
    if (!b->ps) {
        ps_backend_free(b);
        return es_fail(err, ES_ERR_FORMAT, "%s: PocketSphinx could not load this "
                       "model (with %s and %s); the files may be damaged: "
                       "reinstall pocketsphinx-en-us", dir, lm, dict);
    }
    memset(out, 0, sizeof *out);
    out->kind = ES_ASR_POCKETSPHINX;
    snprintf(out->describe, sizeof out->describe,
             "pocketsphinx %.60s (CMU Sphinx, offline)", base);
    out->impl = b;
    out->transcribe = ps_backend_transcribe;
    out->free = ps_backend_free;
    return ES_OK;
}
