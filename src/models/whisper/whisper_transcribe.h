/* whisper_transcribe.h — long-form transcription: openai/whisper's
 * transcribe() loop over a whole signal through the es_whisper_runner
 * interface.
 *
 * Windows of 3000 log-mel frames (30 s) start at `seek`; each is encoded
 * once, decoded with temperature fallback (0, 0.2, … 1.0 while the
 * compression ratio is > 2.4 or the average log-probability < −1.0, unless
 * the window is silence: no-speech probability > 0.6 and log-probability
 * < −1.0, which is skipped), split into segments at timestamp pairs, and
 * seek advances to the last complete segment's end (or by the whole window
 * when the output ends with a single timestamp or has no pair). The
 * previous text (up to n_text_ctx/2 − 1 tokens) conditions the next window
 * unless the temperature went above 0.5.
 *
 * Differences from openai, on purpose:
 *  - the log-mel is computed per window from the samples (bounded memory
 *    for hours of audio), with the max − 8 floor of the whole signal
 *    (a first pass finds the global maximum), so values equal openai's;
 *  - a window shorter than 30 s is encoded with only its own frames
 *    (audio_ctx trimming, like whisper.cpp's audio_ctx) unless
 *    trim_short_windows is 0, and its timestamps are capped at its length;
 *  - segments are clipped to the audio length, empty ones dropped, and
 *    their text has surrounding whitespace stripped. */
#ifndef ES_MODELS_WHISPER_TRANSCRIBE_H
#define ES_MODELS_WHISPER_TRANSCRIBE_H

#include <stddef.h>

#include "earshot.h"
#include "models/whisper/whisper_runner.h"
#include "models/whisper/whisper_vocab.h"

#define ES_WHISPER_WINDOW_FRAMES 3000   /* 30 s of 10 ms frames */

typedef struct es_whisper_transcribe_opts {
    int trim_short_windows;          /* 1: encode only a short window's frames */
    int min_window_frames;           /* trimmed windows get at least this many (100) */
    int condition_on_previous_text;  /* 1 */
    float prompt_reset_temperature;  /* 0.5: above it the prompt is dropped */
    int best_of;                     /* samples per temperature > 0 (1)   */
    float patience;                  /* beam search (1.0)                  */
    float max_initial_timestamp;     /* seconds (1.0); < 0: no limit       */
    int suppress_blank;              /* 1 */
    int suppress_non_speech;         /* 1 */
    int sample_len;                  /* 0: n_text_ctx / 2                  */
    int cap_timestamps_to_window;    /* 1: no timestamp past a short window */
} es_whisper_transcribe_opts;

es_whisper_transcribe_opts es_whisper_transcribe_default_opts(void);

/* Transcribes n samples (16 kHz mono). r must accept sequence ids
 * < max(1, p->beam_size). mel_filters: [r->n_mels × 201] from the model
 * file. p: NULL = es_asr_default_params(); language NULL/""/"auto" =
 * detect on the first window (multilingual) — .en models always use "en".
 * Thresholds: compression_ratio_threshold ≤ 0 and no_speech_threshold ≤ 0
 * disable those checks, logprob_threshold NaN or ≤ −1e30 disables it.
 * o: NULL = defaults. *out gets a transcript (possibly with no segments);
 * its backend string is left empty for the caller. */
es_status es_whisper_transcribe(const es_whisper_runner *r,
                                const es_whisper_vocab *v,
                                const float *mel_filters,
                                const es_asr_params *p,
                                const es_whisper_transcribe_opts *o,
                                const float *samples, size_t n,
                                es_transcript **out, es_error *err);

/* Window log-mel (exposed for tests): frames [f0, f0 + nf) of the signal's
 * log-mel as openai computes it for the whole signal padded with 30 s of
 * zeros, floored at floor_norm (the whole signal's normalised max − 2).
 * out: [n_mels × nf]. */
es_status es_whisper_window_mel(es_logmel *lm, const float *samples, size_t n,
                                size_t f0, int nf, float floor_norm, float *out,
                                es_error *err);
/* The whole signal's normalised log-mel maximum (first pass). */
es_status es_whisper_mel_max(es_logmel *lm, const float *samples, size_t n,
                             float *max_norm, es_error *err);

#endif
