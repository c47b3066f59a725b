/* cmd_transcribe.c — `earshot transcribe FILE`: speech to timestamped text
 * with the installed recognizer (Whisper when a model is installed, else
 * PocketSphinx), as plain text, SRT, WebVTT or JSON.
 *
 * The file is streamed: audio is decoded into a block of at most
 * BLOCK_S seconds, the block is cut at its quietest moment near the end (so
 * no word is split), transcribed, its segments are printed with the
 * block's offset added, and the rest of the block carries over to the next.
 * Memory therefore stays bounded for files of any length, and segments
 * appear as the work proceeds. */
#include "app/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_S 300        /* seconds of audio transcribed per call         */
#define CUT_SEARCH_S 30    /* the cut falls in the last CUT_SEARCH_S s      */
#define CUT_WIN 30         /* frames (of 10 ms) of the quiet stretch        */

void es_cmd_transcribe_help(FILE *out)
{
    fprintf(out,
            "Usage: earshot transcribe FILE [OPTIONS]\n\n"
            "Transcribes the speech in any audio/video file into timestamped\n"
            "segments. The recognizer is Whisper when a model is installed\n"
            "('earshot models pull whisper-tiny'), else PocketSphinx (Debian's\n"
            "pocketsphinx-en-us, English only); it is named on stderr and in\n"
            "the JSON output.\n\n"
            "Options:\n"
            "  --model M          auto (default), whisper-tiny, whisper-tiny.en,\n"
            "                     pocketsphinx, or a path (a whisper.cpp ggml\n"
            "                     file or a PocketSphinx model directory)\n"
            "  --language L       auto (default) or a code: en, de, fr, ...\n"
            "  --translate        Whisper: translate the speech into English\n"
            "  --beam N           Whisper: beam search with N beams (1 = greedy,\n"
            "                     the default)\n"
            "  --threads N        threads (default: all cores)\n"
            "  --output FORMAT    txt (default: one segment per line), srt, vtt\n"
            "                     or json (start, end, text, avg_logprob,\n"
            "                     no_speech_prob and token ids per segment)\n"
            "  --json             the same as --output json\n"
            "  -o PATH            write to PATH instead of stdout\n\n"
            "Long files are processed %d s at a time in bounded memory, cut at\n"
            "quiet moments; progress goes to stderr. A damaged file is\n"
            "transcribed up to the point where it breaks, and the command exits\n"
            "1 saying so.\n"
            "Environment: EARSHOT_MODELS sets the models directory.\n",
            BLOCK_S);
}

typedef enum { FMT_TXT, FMT_SRT, FMT_VTT, FMT_JSON } out_format;

typedef struct writer {
    FILE *f;
    out_format fmt;
    size_t n_segments;      /* printed so far (SRT numbering, JSON commas) */
    char language[16];
} writer;

/* ------------------------------------------------------------- formats */

/* "HH:MM:SS,mmm" (SRT) or "HH:MM:SS.mmm" (WebVTT). */
static void fmt_time(char *buf, size_t size, double t, char sep)
{
    if (!(t > 0)) t = 0;
    long long ms = llround(t * 1000.0);
    snprintf(buf, size, "%02lld:%02lld:%02lld%c%03lld", ms / 3600000,
             ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}

/* Text without leading/trailing blanks and with line breaks as spaces (a
 * blank line would end an SRT/VTT cue). VTT also escapes & < >. */
static void put_text(FILE *f, const char *s, int vtt)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                 s[n - 1] == '\r'))
        n--;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' || c == '\r') fputc(' ', f);
        else if (vtt && c == '&') fputs("&amp;", f);
        else if (vtt && c == '<') fputs("&lt;", f);
        else if (vtt && c == '>') fputs("&gt;", f);
        else fputc(c, f);
    }
}

static void put_json_string(FILE *f, const char *s)
{
    cJSON *j = cJSON_CreateString(s ? s : "");
    char *p = j ? cJSON_PrintUnformatted(j) : NULL;
    fputs(p ? p : "\"\"", f);
    free(p);
    cJSON_Delete(j);
}

static double finite_or_0(double x) { return isfinite(x) ? x : 0.0; }

static void write_header(writer *w, const char *file, const es_asr *asr)
{
    if (w->fmt == FMT_VTT) {
        fputs("WEBVTT\n\n", w->f);
    } else if (w->fmt == FMT_JSON) {
        fputs("{\"file\": ", w->f);
        put_json_string(w->f, file);
        fputs(", \"backend\": ", w->f);
        put_json_string(w->f, es_asr_describe(asr));
        fprintf(w->f, ", \"kind\": \"%s\", \"segments\": [",
                es_asr_get_kind(asr) == ES_ASR_WHISPER ? "whisper" : "pocketsphinx");
    }
}

static void write_segment(writer *w, const es_asr_segment *s, double offset)
{
    double start = s->start + offset, end = s->end + offset;
    if (end < start) end = start;
    char a[32], b[32];
    w->n_segments++;
    switch (w->fmt) {
    case FMT_TXT:
        put_text(w->f, s->text ? s->text : "", 0);
        fputc('\n', w->f);
        break;
    case FMT_SRT:
    case FMT_VTT: {
        int vtt = w->fmt == FMT_VTT;
        fmt_time(a, sizeof a, start, vtt ? '.' : ',');
        fmt_time(b, sizeof b, end, vtt ? '.' : ',');
        if (!vtt) fprintf(w->f, "%zu\n", w->n_segments);
        fprintf(w->f, "%s --> %s\n", a, b);
        put_text(w->f, s->text ? s->text : "", vtt);
        fputs("\n\n", w->f);
        break;
    }
    case FMT_JSON:
        fprintf(w->f, "%s\n  {\"start\": %.3f, \"end\": %.3f, \"text\": ",
                w->n_segments > 1 ? "," : "", start, end);
        put_json_string(w->f, s->text);
        fprintf(w->f, ", \"avg_logprob\": %.6g, \"no_speech_prob\": %.6g, \"tokens\": [",
                finite_or_0(s->avg_logprob), finite_or_0(s->no_speech_prob));
        for (int i = 0; i < s->n_tokens; i++)
            fprintf(w->f, "%s%d", i ? ", " : "", (int)s->tokens[i]);
        fputs("]}", w->f);
        break;
    }
}

static void write_footer(writer *w, double duration)
{
    if (w->fmt != FMT_JSON) return;
    fprintf(w->f, "%s], \"language\": ", w->n_segments ? "\n" : "");
    put_json_string(w->f, w->language);
    fprintf(w->f, ", \"duration\": %.3f}\n", duration);
}

/* ------------------------------------------------------------ blocks */

static double frame_log_energy(const float *x)
{
    const int hop = ES_SAMPLE_RATE / 100;
    double e = 0;
    for (int i = 0; i < hop; i++) e += (double)x[i] * x[i];
    return log(sqrt(e / hop) + 1e-6);
}

/* Where to end a full block of n samples: the centre of the quietest
 * 0.3 s in its last CUT_SEARCH_S seconds. */
static size_t quiet_cut(const float *x, size_t n)
{
    const size_t hop = ES_SAMPLE_RATE / 100;
    size_t frames = n / hop;
    size_t f0 = frames > (size_t)CUT_SEARCH_S * 100 ? frames - (size_t)CUT_SEARCH_S * 100 : 0;
    if (frames < f0 + CUT_WIN + 1) return n;
    double ring[CUT_WIN], sum = 0, best = INFINITY;
    size_t best_f = frames - CUT_WIN;
    for (size_t f = f0; f < frames; f++) {
        double e = frame_log_energy(x + f * hop);
        size_t k = (f - f0) % CUT_WIN;
        if (f - f0 >= CUT_WIN) sum -= ring[k];
        ring[k] = e;
        sum += e;
        if (f - f0 + 1 >= CUT_WIN && sum < best) {
            best = sum;
            best_f = f + 1 - CUT_WIN;
        }
    }
    return (best_f + CUT_WIN / 2) * hop;
}

static void fmt_clock(char *buf, size_t size, double s)
{
    long long t = llround(s > 0 ? s : 0);
    if (t >= 3600)
        snprintf(buf, size, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%lld:%02lld", t / 60, t % 60);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- main */

int es_cmd_transcribe(int argc, char **argv)
{
    const char *in = NULL, *out_path = NULL, *model = NULL;
    out_format fmt = FMT_TXT;
    es_asr_params p = es_asr_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-o")) {
            if (!v) return es_cli_usage_error("transcribe", "-o needs a path");
            out_path = argv[++i];
        } else if (!strcmp(a, "--output") || !strcmp(a, "--format")) {
            if (!v) return es_cli_usage_error("transcribe", "%s needs txt, srt, vtt or json", a);
            i++;
            if (!strcmp(v, "txt")) fmt = FMT_TXT;
            else if (!strcmp(v, "srt")) fmt = FMT_SRT;
            else if (!strcmp(v, "vtt")) fmt = FMT_VTT;
            else if (!strcmp(v, "json")) fmt = FMT_JSON;
            else return es_cli_usage_error("transcribe", "unknown output format '%s' "
                                           "(txt, srt, vtt or json)", v);
        } else if (!strcmp(a, "--json")) {
            fmt = FMT_JSON;
        } else if (!strcmp(a, "--model")) {
            if (!v) return es_cli_usage_error("transcribe", "--model needs a name or path");
            model = argv[++i];
        } else if (!strcmp(a, "--language")) {
            size_t l = v ? strlen(v) : 0;
            if (l == 0 || l > 15 || v[0] == '-')
                return es_cli_usage_error("transcribe", "--language needs auto or "
                                          "a language code such as en");
            p.language = argv[++i];
        } else if (!strcmp(a, "--translate")) {
            p.translate = 1;
        } else if (!strcmp(a, "--beam")) {
            if (!v || es_cli_parse_int(v, 1, 16, &p.beam_size))
                return es_cli_usage_error("transcribe", "--beam must be 1..16");
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (!v || es_cli_parse_int(v, 1, 256, &p.threads))
                return es_cli_usage_error("transcribe", "--threads must be 1..256");
            i++;
        } else if (a[0] == '-' && a[1]) {
            return es_cli_usage_error("transcribe", "unknown option '%s'", a);
        } else if (!in) {
            in = a;
        } else {
            return es_cli_usage_error("transcribe", "one input file at a time");
        }
    }
    if (!in) return es_cli_usage_error("transcribe", "no input file");
    if (p.language && !strcmp(p.language, "auto")) p.language = NULL;

    es_error err = {0};
    es_decoder *dec = NULL;
    if (es_decoder_open(in, &dec, &err) != ES_OK) return es_cli_report(&err);
    es_asr *asr = NULL;
    if (es_asr_open_named(model, NULL, &p, &asr, &err) != ES_OK) {
        es_decoder_close(dec);
        return es_cli_report(&err);
    }
    fprintf(stderr, "asr: %s\n", es_asr_describe(asr));

    const size_t cap = (size_t)BLOCK_S * ES_SAMPLE_RATE;
    float *buf = malloc(cap * sizeof(float));
    writer w = {0};
    w.fmt = fmt;
    w.f = out_path ? fopen(out_path, "w") : stdout;
    int rc = ES_EXIT_OK;
    if (!buf) {
        fprintf(stderr, "earshot: out of memory\n");
        rc = ES_EXIT_FAIL;
    } else if (!w.f) {
        fprintf(stderr, "earshot: %s: cannot write the transcript there\n", out_path);
        rc = ES_EXIT_FAIL;
    }
    double total = es_decoder_info(dec)->duration_s;
    int show_progress = total > BLOCK_S;
    double t_begin = now_s();
    es_status read_st = ES_OK;
    es_error read_err = {0};
    size_t have = 0;
    uint64_t offset = 0;       /* samples before buf[0] */
    if (rc == ES_EXIT_OK) write_header(&w, in, asr);
    while (rc == ES_EXIT_OK) {
        while (have < cap && read_st == ES_OK) {
            size_t got = 0;
            read_st = es_decoder_read(dec, buf + have, cap - have, &got, &read_err);
            have += got;
        }
        if (have == 0) break;
        size_t cut = read_st == ES_OK ? quiet_cut(buf, have) : have;
        es_transcript *t = NULL;
        if (es_asr_transcribe(asr, buf, cut, &t, &err) != ES_OK) {
            rc = es_cli_report(&err);
            break;
        }
        double off_s = (double)offset / ES_SAMPLE_RATE;
        for (size_t i = 0; i < t->n_segments; i++)
            write_segment(&w, &t->segments[i], off_s);
        if (!w.language[0] && t->language[0])
            snprintf(w.language, sizeof w.language, "%s", t->language);
        es_transcript_free(t);
        fflush(w.f);
        memmove(buf, buf + cut, (have - cut) * sizeof(float));
        have -= cut;
        offset += cut;
        if (show_progress) {
            char done[32], all[32];
            fmt_clock(done, sizeof done, (double)offset / ES_SAMPLE_RATE);
            fmt_clock(all, sizeof all, total);
            double el = now_s() - t_begin;
            fprintf(stderr, "transcribed %s of %s (%.0f%%, %.2f× real time)%s",
                    done, all, 100.0 * (double)offset / ES_SAMPLE_RATE / total,
                    el > 0 ? (double)offset / ES_SAMPLE_RATE / el : 0.0,
                    es_cli_stderr_is_tty() ? "\r" : "\n");
        }
    }
    if (show_progress && es_cli_stderr_is_tty()) fputc('\n', stderr);
    double duration = (double)es_decoder_position(dec) / ES_SAMPLE_RATE;
    if (w.f && buf) write_footer(&w, duration);
    if (rc == ES_EXIT_OK && read_st != ES_DONE && read_st != ES_OK) {
        if (read_st == ES_ERR_TRUNCATED && duration > 0)
            fprintf(stderr, "earshot: %s\nearshot: transcribed the %.2f s that "
                            "could be decoded\n", read_err.message, duration);
        else
            es_cli_report(&read_err);
        rc = ES_EXIT_FAIL;
    }
    if (w.f && (fflush(w.f) != 0 || ferror(w.f)) && rc == ES_EXIT_OK) {
        fprintf(stderr, "earshot: %s: write error\n", out_path ? out_path : "stdout");
        rc = ES_EXIT_FAIL;
    }
    if (w.f && w.f != stdout && fclose(w.f) != 0 && rc == ES_EXIT_OK) {
        fprintf(stderr, "earshot: %s: write error\n", out_path);
        rc = ES_EXIT_FAIL;
    }
    free(buf);
    es_asr_free(asr);
    es_decoder_close(dec);
    return rc;
}
