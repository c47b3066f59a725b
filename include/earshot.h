/* earshot.h — the one public C API of earshot, a local text-to-audio search
 * engine.
 *
 * Conventions
 *   - Every object is an opaque handle created by es_*_open / es_*_create and
 *     released by the matching close/free function (NULL is accepted there).
 *   - Functions return an es_status. When they fail and the caller passed an
 *     es_error, it receives a message a person can act on: what went wrong,
 *     on which file, and what to do about it. Passing NULL is allowed.
 *   - Parameter structs come with es_*_default_params(); set only what you
 *     need and pass the struct by pointer (NULL means the defaults).
 *   - No global mutable state: handles may be used from different threads as
 *     long as one handle is not used by two threads at once.
 *   - Arrays returned to the caller are freed with es_free().
 */
#ifndef EARSHOT_H
#define EARSHOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ES_VERSION_MAJOR 0
#define ES_VERSION_MINOR 1
#define ES_VERSION_PATCH 0

/* Sample rate of every signal inside earshot (Whisper's rate). */
#define ES_SAMPLE_RATE 16000

const char *es_version(void);

/* ------------------------------------------------------------------ errors */

typedef enum es_status {
    ES_OK = 0,
    ES_DONE,                 /* an iterator has nothing more to give       */
    ES_ERR_INVALID_ARG,      /* a parameter is out of range or NULL        */
    ES_ERR_NOT_FOUND,        /* the file does not exist                    */
    ES_ERR_PERMISSION,       /* the file exists but cannot be read         */
    ES_ERR_NOT_AUDIO,        /* not a media file, or one with no audio     */
    ES_ERR_UNSUPPORTED_CODEC,/* audio stream whose codec cannot be decoded */
    ES_ERR_TRUNCATED,        /* the file ends before its header says       */
    ES_ERR_EMPTY,            /* the file holds zero samples of audio       */
    ES_ERR_DECODE,           /* the decoder failed for another reason      */
    ES_ERR_IO,               /* reading or writing a file failed           */
    ES_ERR_FORMAT,           /* a model or data file is malformed          */
    ES_ERR_NOMEM,            /* an allocation failed                       */
    ES_ERR_INTERNAL          /* a bug in earshot: please report it         */
} es_status;

#define ES_ERROR_MESSAGE_MAX 512

typedef struct es_error {
    es_status code;
    char message[ES_ERROR_MESSAGE_MAX];
} es_error;

/* A short constant name for a status, e.g. "not found". */
const char *es_status_str(es_status s);

void es_free(void *p);

/* ---------------------------------------------------------------- decoding */

/* What the container says about a file; fields are 0 / "" when unknown. */
typedef struct es_audio_info {
    double duration_s;        /* declared duration, 0 if the file has none  */
    int source_sample_rate;
    int source_channels;
    char codec[32];           /* FFmpeg codec name, e.g. "flac"             */
    char container[32];       /* FFmpeg demuxer name, e.g. "wav"            */
} es_audio_info;

/* A streaming decoder: any file FFmpeg reads → 16 kHz mono float32 in
 * [-1, 1]. It never holds more than a few hundred milliseconds of audio. */
typedef struct es_decoder es_decoder;

es_status es_decoder_open(const char *path, es_decoder **out, es_error *err);
/* Reads up to max_samples samples into buf; *n_read = 0 with ES_DONE at the
 * end. A file that ends before its declared length gives ES_ERR_TRUNCATED
 * once everything decodable has been returned. */
es_status es_decoder_read(es_decoder *d, float *buf, size_t max_samples,
                          size_t *n_read, es_error *err);
const es_audio_info *es_decoder_info(const es_decoder *d);
/* Samples returned so far. */
uint64_t es_decoder_position(const es_decoder *d);
void es_decoder_close(es_decoder *d);

/* Decodes a whole file into memory (for short files and tools). *samples is
 * freed with es_free. Fails with ES_ERR_INVALID_ARG past max_seconds
 * (0 = no limit). */
es_status es_decode_file(const char *path, double max_seconds,
                         float **samples, size_t *n_samples, es_error *err);

/* ---------------------------------------------------------------- chunking */

/* Chunk i starts at i·hop and holds window seconds. A final partial chunk is
 * returned only if it reaches past the previous chunk's end and is at least
 * min_last_s long; a file shorter than one window gives exactly one chunk.
 * hop > window is allowed (the audio between chunks is skipped). */

typedef struct es_chunk_params {
    double window_s;          /* chunk length, default 10 s                 */
    double hop_s;             /* step between chunk starts, default 5 s     */
    double min_last_s;        /* a final partial chunk shorter than this is
                                 dropped when an earlier chunk covered it;
                                 default 1 s                                */
} es_chunk_params;

es_chunk_params es_chunk_default_params(void);

typedef struct es_chunk {
    const float *samples;     /* owned by the chunker, valid until next()   */
    size_t n_samples;         /* ≤ window; the last chunk may be shorter    */
    size_t index;             /* 0, 1, 2, …                                 */
    double start_s;
    double end_s;
} es_chunk;

/* Iterates over overlapping windows of a file in bounded memory. */
typedef struct es_chunker es_chunker;

es_status es_chunker_open(const char *path, const es_chunk_params *params,
                          es_chunker **out, es_error *err);
/* ES_OK with a chunk, ES_DONE at the end, or an error (ES_ERR_TRUNCATED
 * after the last decodable chunk of a damaged file). */
es_status es_chunker_next(es_chunker *c, es_chunk *chunk, es_error *err);
const es_audio_info *es_chunker_info(const es_chunker *c);
void es_chunker_close(es_chunker *c);

/* ------------------------------------------------- Whisper log-mel front end */

/* openai/whisper's log_mel_spectrogram: n_fft 400, hop 160, periodic Hann,
 * power spectrum with the last frame dropped, Slaney mel filters, log10
 * clamp, max-8 floor, (x+4)/4. No 30 s padding is added here. */
typedef struct es_logmel es_logmel;

/* n_mels is 80 or 128. filters: [n_mels × 201] row-major (e.g. from a ggml
 * model file), or NULL to compute Slaney filters. */
es_status es_logmel_create(int n_mels, const float *filters, es_logmel **out,
                           es_error *err);
/* Loads the mel filters stored in a whisper.cpp ggml model file. */
es_status es_logmel_create_from_ggml(const char *model_path, es_logmel **out,
                                     es_error *err);
int es_logmel_n_mels(const es_logmel *m);
/* Frames produced for n samples: n / 160. */
size_t es_logmel_n_frames(size_t n_samples);
/* out: [n_mels × n_frames] row-major (mel-major, like openai's tensor),
 * allocated by the caller with es_logmel_n_mels × es_logmel_n_frames floats. */
es_status es_logmel_compute(es_logmel *m, const float *samples, size_t n,
                            float *out, es_error *err);
void es_logmel_free(es_logmel *m);

/* --------------------------------------------------------- sound features */

typedef enum es_feature_set {
    ES_FEATURES_FULL = 0,     /* 128-d: MFCC stats, deltas, spectral, chroma,
                                 onset/tempo (docs/FEATURES.md)             */
    ES_FEATURES_SMALL = 1     /* 5-d: mfcc_1, mfcc_2, centroid, ZCR, tempo  */
} es_feature_set;

/* Version of the feature layout: bumped whenever an index changes meaning.
 * Trained bridges record it and refuse a different one. */
#define ES_FEATURES_LAYOUT_VERSION 1

/* Parses "full" / "small". */
es_status es_feature_set_parse(const char *name, es_feature_set *out,
                               es_error *err);
const char *es_feature_set_name(es_feature_set set);

typedef struct es_features es_features;

es_status es_features_create(es_feature_set set, es_features **out,
                             es_error *err);
int es_features_dim(const es_features *f);
/* Name of component i, e.g. "mfcc_mean_3" (stable within a layout version). */
const char *es_features_component_name(const es_features *f, int i);
/* One fixed-length vector for a chunk of 16 kHz mono samples. out has
 * es_features_dim floats. */
es_status es_features_compute(es_features *f, const float *samples, size_t n,
                              float *out, es_error *err);
void es_features_free(es_features *f);

/* ------------------------------------------------------------ file output */

/* Writes a float32 C-order NumPy .npy file (ndim 1..4): earshot's debug dumps
 * load with numpy.load. */
es_status es_npy_write_f32(const char *path, const float *data,
                           const size_t *shape, int ndim, es_error *err);

/* Streaming mono 16-bit PCM WAV writer (samples in [-1, 1], clipped). */
typedef struct es_wav_writer es_wav_writer;

es_status es_wav_writer_open(const char *path, int sample_rate,
                             es_wav_writer **out, es_error *err);
es_status es_wav_writer_write(es_wav_writer *w, const float *x, size_t n,
                              es_error *err);
/* Finishes the header, closes the file and frees w (also on error). */
es_status es_wav_writer_close(es_wav_writer *w, es_error *err);

/* ----------------------------------------------------------- text encoders */

/* A text encoder maps text to a unit vector in a sentence-embedding space;
 * queries and transcripts go through it, and the bridge maps sounds into the
 * same space. Two kinds sit behind one interface, and callers never need to
 * know which one they hold: a BERT sentence model (sentence-transformers
 * directory, e.g. all-MiniLM-L6-v2, 384-d) and static word vectors (an .eswv
 * file converted from GloVe-style vectors, 100-d; works with no download).
 * The dimension always comes from the model. */
typedef struct es_text_encoder es_text_encoder;

typedef enum es_text_encoder_kind {
    ES_TEXT_BERT = 1,
    ES_TEXT_WORDVEC = 2
} es_text_encoder_kind;

typedef struct es_text_encoder_params {
    int threads;        /* BLAS threads for this encoder; 0 = all cores     */
    int int8;           /* BERT: weight-only int8 with per-row scales       */
    int max_batch_tokens; /* BERT: tokens per packed batch; 0 = default     */
} es_text_encoder_params;

es_text_encoder_params es_text_encoder_default_params(void);

/* Opens a model from a path: a sentence-transformers directory (config.json,
 * vocab.txt, model.safetensors, ...) or a word-vector file (.eswv). */
es_status es_text_encoder_open(const char *path,
                               const es_text_encoder_params *params,
                               es_text_encoder **out, es_error *err);

/* Opens an installed model by name from models_dir (NULL = es_models_dir()):
 *   NULL or "auto"  the BERT model (minilm) when installed, else the word
 *                   vectors, else ES_ERR_NOT_FOUND naming the commands that
 *                   install one;
 *   "minilm", "wordvec"  that model, or ES_ERR_NOT_FOUND;
 *   anything else   a path, as es_text_encoder_open. */
es_status es_text_encoder_open_named(const char *name, const char *models_dir,
                                     const es_text_encoder_params *params,
                                     es_text_encoder **out, es_error *err);

int es_text_encoder_dim(const es_text_encoder *e);
es_text_encoder_kind es_text_encoder_get_kind(const es_text_encoder *e);
/* One line for people, e.g. "bert all-MiniLM-L6-v2 (384-d, 6 layers, int8)". */
const char *es_text_encoder_describe(const es_text_encoder *e);
/* Identity of the embedding space: kind, model name, dimension and a
 * fingerprint of the weights, e.g. "bert:all-MiniLM-L6-v2:384:3f2a…". Vectors
 * from encoders with different identities must not be compared. The int8 and
 * f32 forms of one model share it (same space, small error). */
const char *es_text_encoder_identity(const es_text_encoder *e);

/* Embeds n texts (UTF-8; invalid bytes are replaced) into out[n * dim], each
 * row L2-normalised (a text with no known word gives a zero row for word
 * vectors). Texts longer than the model's limit are truncated. */
es_status es_text_encoder_embed(es_text_encoder *e, const char *const *texts,
                                size_t n, float *out, es_error *err);
void es_text_encoder_free(es_text_encoder *e);

/* ----------------------------------------------------------------- models */

/* The models directory: $EARSHOT_MODELS, else $XDG_DATA_HOME/earshot/models,
 * else $HOME/.local/share/earshot/models. It need not exist yet. */
es_status es_models_dir(char *buf, size_t size, es_error *err);

/* Where installed models live inside the models directory. */
#define ES_MODEL_MINILM_DIR   "minilm"                 /* sentence-transformers dir */
#define ES_MODEL_WORDVEC_FILE "wordvec/wink-sg-100d.eswv"

/* ------------------------------------------------------------------- speech */

/* Speech recognition: 16 kHz mono samples → timestamped segments of text.
 * Two backends behind one interface: Whisper (whisper.cpp ggml files, any
 * size, multilingual or .en) and PocketSphinx (Debian's en-us model, works
 * with no download). Every transcript names the backend that made it. */
typedef struct es_asr es_asr;

typedef enum es_asr_kind {
    ES_ASR_WHISPER = 1,
    ES_ASR_POCKETSPHINX = 2
} es_asr_kind;

typedef struct es_asr_params {
    int threads;                 /* 0 = all cores                            */
    const char *language;        /* NULL or "auto" = detect; "en", "de", …   */
    int translate;               /* Whisper: translate to English            */
    int beam_size;               /* Whisper: 0 or 1 = greedy, else beam (5)  */
    int timestamps;              /* Whisper: timestamp tokens (default 1)    */
    float no_speech_threshold;   /* 0.6                                      */
    float logprob_threshold;     /* −1.0: below → retry at higher temperature */
    float compression_ratio_threshold; /* 2.4: above → retry                */
    float temperature_increment; /* 0.2: fallback temperatures 0, 0.2, … 1.0 */
    uint64_t seed;               /* sampling at temperature > 0 is seeded     */
} es_asr_params;

es_asr_params es_asr_default_params(void);

/* A path: a whisper.cpp ggml file (Whisper), or a PocketSphinx model
 * directory (acoustic model, with the .lm.bin and .dict beside it). */
es_status es_asr_open(const char *path, const es_asr_params *params,
                      es_asr **out, es_error *err);
/* By name from models_dir (NULL = es_models_dir()): NULL or "auto" = Whisper
 * (whisper-tiny, else whisper-tiny.en) when installed, else PocketSphinx
 * when its Debian model is present, else ES_ERR_NOT_FOUND naming the
 * install commands; "whisper-tiny", "whisper-tiny.en", "pocketsphinx"; or
 * a path as es_asr_open. */
es_status es_asr_open_named(const char *name, const char *models_dir,
                            const es_asr_params *params, es_asr **out,
                            es_error *err);
es_asr_kind es_asr_get_kind(const es_asr *a);
/* One line for people, e.g. "whisper tiny.en (ggml f16, 39 M params)". */
const char *es_asr_describe(const es_asr *a);

typedef struct es_asr_segment {
    double start, end;           /* seconds from the start of the samples    */
    char *text;                  /* UTF-8                                    */
    float avg_logprob;           /* mean token log-probability (0 if n/a)    */
    float no_speech_prob;        /* Whisper's <|nospeech|> probability       */
    int32_t *tokens;             /* Whisper token ids (text and timestamps)  */
    int n_tokens;
} es_asr_segment;

typedef struct es_transcript {
    es_asr_segment *segments;
    size_t n_segments;
    char language[16];           /* detected or given, "" if unknown         */
    char backend[128];           /* es_asr_describe of the backend           */
} es_transcript;

/* Transcribes n samples of 16 kHz mono audio of any length (long audio is
 * processed window by window in bounded memory). */
es_status es_asr_transcribe(es_asr *a, const float *samples, size_t n,
                            es_transcript **out, es_error *err);
void es_transcript_free(es_transcript *t);
void es_asr_free(es_asr *a);

#define ES_MODEL_WHISPER_TINY_FILE    "whisper-tiny/ggml-tiny.bin"
#define ES_MODEL_WHISPER_TINY_EN_FILE "whisper-tiny.en/ggml-tiny.en.bin"
/* Debian's pocketsphinx-en-us acoustic model directory. */
#define ES_POCKETSPHINX_MODEL_DIR "/usr/share/pocketsphinx/model/en-us/en-us"


/* ------------------------------------------------------------------ bridge */

/* The bridge maps a chunk's sound features into the text-embedding space,
 * so that sounds nobody speaks (a dog, rain, an engine) can be found by
 * text. It is a small MLP trained by `earshot train` (docs/BRIDGE.md) for
 * one text space: a bridge refuses a text encoder with another identity. */
typedef struct es_bridge es_bridge;

typedef enum es_bridge_input {
    ES_BRIDGE_INPUT_FULL = 0,   /* the 128-d full feature set               */
    ES_BRIDGE_INPUT_SMALL = 1,  /* the 5-d small feature set                */
    ES_BRIDGE_INPUT_HYBRID = 2  /* full features ‖ mean ‖ max of the Whisper
                                   encoder states of the chunk              */
} es_bridge_input;

/* Parses "full" / "small" / "hybrid". */
es_status es_bridge_input_parse(const char *name, es_bridge_input *out,
                                es_error *err);
const char *es_bridge_input_name(es_bridge_input in);

/* Loads a bridge file. With space != NULL, fails with ES_ERR_FORMAT and a
 * message naming both identities unless the bridge was trained for that
 * text encoder's space. */
es_status es_bridge_load(const char *path, const es_text_encoder *space,
                         es_bridge **out, es_error *err);
int es_bridge_in_dim(const es_bridge *b);
int es_bridge_out_dim(const es_bridge *b);
es_bridge_input es_bridge_get_input(const es_bridge *b);
/* es_text_encoder_identity of the space it was trained for. */
const char *es_bridge_text_identity(const es_bridge *b);
/* Hybrid: identity of the Whisper model whose states it reads; else "". */
const char *es_bridge_whisper_identity(const es_bridge *b);
/* One line for people, e.g. "bridge full 128→256→512→100 tanh, int8". */
const char *es_bridge_describe(const es_bridge *b);
/* n rows of es_bridge_in_dim raw input values → n unit rows of
 * es_bridge_out_dim floats, comparable by cosine with text embeddings. */
es_status es_bridge_embed(const es_bridge *b, const float *in, size_t n,
                          float *out, es_error *err);
void es_bridge_free(es_bridge *b);

#ifdef __cplusplus
}
#endif
#endif /* EARSHOT_H */
