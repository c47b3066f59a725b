/* decoder.c — any file FFmpeg can read → 16 kHz mono float32, streamed.
 *
 * Why this file exists: every other part of earshot sees audio only as
 * 16 kHz mono floats. This is the one place that talks to libavformat
 * (demuxing), libavcodec (decoding) and libswresample (resampling and
 * downmixing), and the one place that turns FFmpeg's failures into an
 * es_status and a message naming the file and the reason.
 *
 * Pipeline, pulled by es_decoder_read:
 *   av_read_frame → avcodec_send_packet/receive_frame → swr_convert → fifo
 * Memory is bounded: one packet, one frame, and a fifo holding the 16 kHz
 * output of one frame (grown to the largest frame seen, typically a few
 * thousand samples). Nothing grows with the length of the file.
 *
 * Downmix: libswresample's matrix with rematrix_maxval = 1, so no output
 * channel gain exceeds 1 (stereo → (L + R) / 2, surround → the standard
 * downmix normalised) and a full-scale input stays within [-1, 1].
 *
 * End of stream and truncation:
 *   - Everything decodable is returned first. Packets the decoder rejects
 *     are skipped (FFmpeg's own behaviour); 64 rejections in a row end the
 *     stream as ES_ERR_DECODE.
 *   - Then, once: ES_ERR_TRUNCATED if the demuxer failed with a read error
 *     other than end of file, or if the decoded length falls short of the
 *     declared duration by more than max(0.5 s, 2 %). Durations FFmpeg only
 *     estimated from the bit rate are not trusted for this check, so a cut
 *     MP3 without a Xing/Info header is not reported as truncated. A PCM
 *     WAV's declared length is read from its RIFF header (wav_header.h),
 *     because FFmpeg derives it from the bytes present.
 *     Otherwise ES_ERR_EMPTY if no sample at all was decoded (and nothing
 *     was declared), else ES_DONE. After that error, reads return ES_DONE.
 *
 * The library never touches FFmpeg's global state (log level, callbacks).
 */
#include "earshot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "audio/wav_header.h"
#include "core/error.h"

/* Consecutive packets the decoder may reject before we give up. */
#define ES_MAX_BAD_PACKETS 64

typedef enum es_decoder_state {
    ES_DEC_READING,   /* demuxing packets                                 */
    ES_DEC_DRAINING,  /* demuxer finished; flushing the codec             */
    ES_DEC_FLUSHED,   /* codec and resampler flushed; fifo may hold data  */
    ES_DEC_FINISHED   /* final status reported                            */
} es_decoder_state;

struct es_decoder {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *codec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int stream_index;
    es_audio_info info;
    int duration_trusted;       /* declared duration usable for truncation */

    /* Input format the resampler is configured for. */
    int swr_format;
    int swr_rate;
    AVChannelLayout swr_layout;

    /* 16 kHz mono output not yet handed to the caller: fifo[pos, len). */
    float *fifo;
    size_t fifo_cap, fifo_len, fifo_pos;

    uint64_t position;          /* samples returned to the caller          */
    es_decoder_state state;
    int read_error;             /* demuxer error other than EOF, or 0      */
    int bad_packets;            /* consecutive decoder rejections          */
    int last_decode_error;
    es_status pending;          /* error to report after buffered samples  */
    es_error pending_err;
};

static const char *av_reason(int errnum, char *buf, size_t size)
{
    if (av_strerror(errnum, buf, size) < 0)
        snprintf(buf, size, "FFmpeg error %d", errnum);
    return buf;
}

/* ----------------------------------------------------------------- opening */

/* Checks the path before FFmpeg sees it, so the common failures get a
 * precise status instead of FFmpeg's generic one. */
static es_status check_path(const char *path, es_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: file not found (check the path)", path);
        if (e == EACCES)
            return es_fail(err, ES_ERR_PERMISSION,
                           "%s: permission denied (a parent directory is not "
                           "searchable; check its permissions)", path);
        return es_fail(err, ES_ERR_IO, "%s: cannot access: %s", path,
                       strerror(e));
    }
    if (S_ISDIR(st.st_mode))
        return es_fail(err, ES_ERR_NOT_AUDIO,
                       "%s: is a directory, not an audio file (pass a file, "
                       "or index the directory instead)", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES || e == EPERM)
            return es_fail(err, ES_ERR_PERMISSION,
                           "%s: permission denied (the file is not readable; "
                           "check its permissions)", path);
        return es_fail(err, ES_ERR_IO, "%s: cannot open: %s", path,
                       strerror(e));
    }
    close(fd);
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return es_fail(err, ES_ERR_EMPTY,
                       "%s: empty file (0 bytes), no audio to decode", path);
    return ES_OK;
}

/* True when a WAV header declares more data than the file holds. */
static int declared_larger(const char *path, uint64_t *declared,
                           uint64_t *present)
{
    return es_wav_data_sizes(path, declared, present) && *declared > *present;
}

static void fill_info(es_decoder *d, const AVStream *st)
{
    es_audio_info *info = &d->info;
    const AVCodecParameters *par = st->codecpar;
    info->source_sample_rate = par->sample_rate > 0 ? par->sample_rate : 0;
    info->source_channels =
        par->ch_layout.nb_channels > 0 ? par->ch_layout.nb_channels : 0;
    snprintf(info->codec, sizeof info->codec, "%s",
             avcodec_get_name(par->codec_id));
    snprintf(info->container, sizeof info->container, "%s",
             d->fmt->iformat->name);

    info->duration_s = 0.0;
    d->duration_trusted = 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        info->duration_s = (double)st->duration * av_q2d(st->time_base);
    } else if (d->fmt->duration != AV_NOPTS_VALUE && d->fmt->duration > 0) {
        info->duration_s = (double)d->fmt->duration / AV_TIME_BASE;
    }
    if (!(info->duration_s > 0.0) || !isfinite(info->duration_s))
        info->duration_s = 0.0;
    d->duration_trusted =
        info->duration_s > 0.0 &&
        d->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE;

    /* FFmpeg derives a PCM WAV's length from the bytes present, so a cut
     * recording looks complete; the header's data size still tells. */
    uint64_t declared, present;
    if (!strcmp(d->fmt->iformat->name, "wav") && par->block_align > 0 &&
        par->sample_rate > 0 && declared_larger(d->path, &declared, &present)) {
        info->duration_s =
            (double)(declared / (uint64_t)par->block_align) / par->sample_rate;
        d->duration_trusted = 1;
    }
}

/* Lists the stream types of a file with no audio, e.g. "video, subtitle". */
static void describe_streams(const AVFormatContext *fmt, char *buf,
                             size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < fmt->nb_streams && used < size; i++) {
        const char *t =
            av_get_media_type_string(fmt->streams[i]->codecpar->codec_type);
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         t ? t : "unknown");
        if (n < 0) break;
        used += (size_t)n;
    }
}

es_status es_decoder_open(const char *path, es_decoder **out, es_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    if (!out)
        return es_fail(err, ES_ERR_INVALID_ARG, "es_decoder_open: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_decoder_open: no file path given");

    es_status s = check_path(path, err);
    if (s != ES_OK) return s;

    es_decoder *d = calloc(1, sizeof *d);
    if (!d) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    d->stream_index = -1;
    d->swr_format = -1;
    d->path = strdup(path);
    d->pkt = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->path || !d->pkt || !d->frame) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }

    /* Local files only: a playlist must not make us open URLs. */
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    int r = avformat_open_input(&d->fmt, path, NULL, &opts);
    av_dict_free(&opts);
    if (r < 0) {
        d->fmt = NULL;
        es_decoder_close(d);
        if (r == AVERROR(ENOENT))
            return es_fail(err, ES_ERR_NOT_FOUND,
                           "%s: file not found (check the path)", path);
        if (r == AVERROR(EACCES) || r == AVERROR(EPERM))
            return es_fail(err, ES_ERR_PERMISSION,
                           "%s: permission denied (check the file's "
                           "permissions)", path);
        if (r == AVERROR(EIO))
            return es_fail(err, ES_ERR_IO, "%s: cannot read: %s", path,
                           av_reason(r, why, sizeof why));
        /* The file exists and is readable: FFmpeg failed to parse it. */
        return es_fail(err, ES_ERR_NOT_AUDIO,
                       "%s: not an audio file (FFmpeg could not recognise "
                       "the format: %s)", path, av_reason(r, why, sizeof why));
    }

    r = avformat_find_stream_info(d->fmt, NULL);
    if (r < 0) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOT_AUDIO,
                       "%s: not a readable media file (FFmpeg could not read "
                       "its stream parameters: %s)", path,
                       av_reason(r, why, sizeof why));
    }

    const AVCodec *dec = NULL;
    r = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &dec, 0);
    if (r == AVERROR_DECODER_NOT_FOUND) {
        int any = av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, -1,
                                      NULL, 0);
        char name[64] = "unknown";
        if (any >= 0) {
            const AVCodecParameters *par = d->fmt->streams[any]->codecpar;
            if (par->codec_id == AV_CODEC_ID_NONE)
                snprintf(name, sizeof name, "unknown to FFmpeg, tag 0x%04x",
                         par->codec_tag);
            else
                snprintf(name, sizeof name, "%s",
                         avcodec_get_name(par->codec_id));
        }
        char fmt_name[64];
        snprintf(fmt_name, sizeof fmt_name, "%s", d->fmt->iformat->name);
        es_decoder_close(d);
        return es_fail(err, ES_ERR_UNSUPPORTED_CODEC,
                       "%s: unsupported audio codec '%s' in a %s file (this "
                       "FFmpeg build has no decoder for it; convert the file, "
                       "e.g. to FLAC, with another tool)", path, name,
                       fmt_name);
    }
    if (r < 0) {
        /* An audio stream av_find_best_stream skipped: unusable header. */
        for (unsigned i = 0; i < d->fmt->nb_streams; i++) {
            const AVCodecParameters *par = d->fmt->streams[i]->codecpar;
            if (par->codec_type != AVMEDIA_TYPE_AUDIO) continue;
            int channels = par->ch_layout.nb_channels, rate = par->sample_rate;
            es_decoder_close(d);
            return es_fail(err, ES_ERR_NOT_AUDIO,
                           "%s: not a usable audio file: its audio stream "
                           "declares %d channels at %d Hz (corrupt header?)",
                           path, channels, rate);
        }
        char streams[160];
        describe_streams(d->fmt, streams, sizeof streams);
        char fmt_name[64];
        snprintf(fmt_name, sizeof fmt_name, "%s", d->fmt->iformat->name);
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOT_AUDIO,
                       "%s: no audio stream (the %s file holds %s)", path,
                       fmt_name, streams[0] ? streams : "no streams at all");
    }
    d->stream_index = r;
    AVStream *st = d->fmt->streams[r];
    for (unsigned i = 0; i < d->fmt->nb_streams; i++)
        if ((int)i != r) d->fmt->streams[i]->discard = AVDISCARD_ALL;
    fill_info(d, st);

    if (st->codecpar->ch_layout.nb_channels <= 0) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOT_AUDIO,
                       "%s: not a usable audio file: its audio stream declares "
                       "0 channels (corrupt header?)", path);
    }
    if (st->codecpar->sample_rate <= 0) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOT_AUDIO,
                       "%s: not a usable audio file: its audio stream declares "
                       "no sample rate (corrupt header?)", path);
    }

    d->codec = avcodec_alloc_context3(dec);
    if (!d->codec) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    r = avcodec_parameters_to_context(d->codec, st->codecpar);
    if (r >= 0) {
        d->codec->pkt_timebase = st->time_base;
        d->codec->thread_count = 1;
        r = avcodec_open2(d->codec, dec, NULL);
    }
    if (r < 0) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_DECODE,
                       "%s: the %s decoder refused this stream (%s); the file "
                       "is probably damaged", path, dec->name,
                       av_reason(r, why, sizeof why));
    }

    d->state = ES_DEC_READING;
    *out = d;
    return ES_OK;
}

/* ---------------------------------------------------------------- decoding */

static es_status fifo_reserve(es_decoder *d, size_t extra, es_error *err)
{
    /* Compact first: everything before fifo_pos has been handed out. */
    if (d->fifo_pos > 0) {
        size_t left = d->fifo_len - d->fifo_pos;
        memmove(d->fifo, d->fifo + d->fifo_pos, left * sizeof *d->fifo);
        d->fifo_len = left;
        d->fifo_pos = 0;
    }
    size_t need = d->fifo_len + extra;
    if (need <= d->fifo_cap) return ES_OK;
    size_t cap = d->fifo_cap ? d->fifo_cap : 4096;
    while (cap < need) cap *= 2;
    float *p = realloc(d->fifo, cap * sizeof *p);
    if (!p) return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", d->path);
    d->fifo = p;
    d->fifo_cap = cap;
    return ES_OK;
}

/* Runs the resampler on in (NULL to flush) and appends to the fifo. */
static es_status resample_into_fifo(es_decoder *d, const uint8_t **in,
                                    int n_in, es_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    int room = swr_get_out_samples(d->swr, n_in);
    if (room < 0)
        return es_fail(err, ES_ERR_INTERNAL, "%s: resampler: %s", d->path,
                       av_reason(room, why, sizeof why));
    if (room == 0) return ES_OK;
    es_status s = fifo_reserve(d, (size_t)room, err);
    if (s != ES_OK) return s;
    uint8_t *outp = (uint8_t *)(d->fifo + d->fifo_len);
    int got = swr_convert(d->swr, &outp, room, in, n_in);
    if (got < 0)
        return es_fail(err, ES_ERR_DECODE, "%s: resampling failed: %s",
                       d->path, av_reason(got, why, sizeof why));
    d->fifo_len += (size_t)got;
    return ES_OK;
}

/* (Re)configures the resampler for the format of frame, flushing the old
 * one first if the stream changed format midway. */
static es_status setup_resampler(es_decoder *d, const AVFrame *f,
                                 es_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    if (f->ch_layout.nb_channels <= 0)
        return es_fail(err, ES_ERR_DECODE,
                       "%s: the decoder produced audio with 0 channels; the "
                       "file is damaged", d->path);
    if (d->swr && d->swr_format == f->format && d->swr_rate == f->sample_rate &&
        av_channel_layout_compare(&d->swr_layout, &f->ch_layout) == 0)
        return ES_OK;
    if (d->swr) {
        es_status s = resample_into_fifo(d, NULL, 0, err);
        if (s != ES_OK) return s;
        swr_free(&d->swr);
    }
    av_channel_layout_uninit(&d->swr_layout);

    AVChannelLayout in_layout = {0}; /* copy() uninits its destination first */
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in_layout, f->ch_layout.nb_channels);
    else if (av_channel_layout_copy(&in_layout, &f->ch_layout) < 0)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", d->path);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;

    int r = swr_alloc_set_opts2(&d->swr, &mono, AV_SAMPLE_FMT_FLT,
                                ES_SAMPLE_RATE, &in_layout, f->format,
                                f->sample_rate, 0, NULL);
    if (r >= 0) r = av_opt_set_double(d->swr, "rematrix_maxval", 1.0, 0);
    if (r >= 0) r = swr_init(d->swr);
    av_channel_layout_uninit(&in_layout);
    if (r < 0) {
        swr_free(&d->swr);
        return es_fail(err, ES_ERR_DECODE,
                       "%s: cannot convert %d Hz %d-channel %s audio to 16 kHz "
                       "mono: %s", d->path, f->sample_rate,
                       f->ch_layout.nb_channels,
                       av_get_sample_fmt_name(f->format)
                           ? av_get_sample_fmt_name(f->format) : "?",
                       av_reason(r, why, sizeof why));
    }
    if (av_channel_layout_copy(&d->swr_layout, &f->ch_layout) < 0)
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", d->path);
    d->swr_format = f->format;
    d->swr_rate = f->sample_rate;
    return ES_OK;
}

/* Counts a packet or frame the decoder rejected (skipped, as FFmpeg does);
 * too many in a row means the file is damaged beyond use. */
static es_status bad_packet(es_decoder *d, int r, es_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    d->last_decode_error = r;
    if (++d->bad_packets <= ES_MAX_BAD_PACKETS) return ES_OK;
    return es_fail(err, ES_ERR_DECODE,
                   "%s: decoding failed after %.2f s of audio: %s (the file "
                   "is damaged)", d->path, (double)d->position / ES_SAMPLE_RATE,
                   av_reason(r, why, sizeof why));
}

/* Decodes until the fifo holds something or the stream is flushed. */
static es_status refill(es_decoder *d, es_error *err)
{
    while (d->fifo_pos == d->fifo_len && d->state < ES_DEC_FLUSHED) {
        int r = avcodec_receive_frame(d->codec, d->frame);
        if (r >= 0) {
            d->bad_packets = 0;
            es_status s = setup_resampler(d, d->frame, err);
            if (s == ES_OK)
                s = resample_into_fifo(d, (const uint8_t **)d->frame->extended_data,
                                       d->frame->nb_samples, err);
            av_frame_unref(d->frame);
            if (s != ES_OK) return s;
            continue;
        }
        if (r == AVERROR_EOF) {
            if (d->swr) {
                es_status s = resample_into_fifo(d, NULL, 0, err);
                if (s != ES_OK) return s;
            }
            d->state = ES_DEC_FLUSHED;
            break;
        }
        if (r != AVERROR(EAGAIN)) {
            /* A frame the decoder rejected; skip it like FFmpeg does. */
            if (bad_packet(d, r, err) != ES_OK) return ES_ERR_DECODE;
            continue;
        }
        /* The decoder wants input. */
        if (d->state == ES_DEC_DRAINING) {
            /* Cannot happen after a flush packet; avoid spinning. */
            d->state = ES_DEC_FLUSHED;
            break;
        }
        r = av_read_frame(d->fmt, d->pkt);
        if (r < 0) {
            if (r != AVERROR_EOF) d->read_error = r;
            d->state = ES_DEC_DRAINING;
            r = avcodec_send_packet(d->codec, NULL);
            if (r < 0 && r != AVERROR_EOF) {
                d->state = ES_DEC_FLUSHED;
                break;
            }
            continue;
        }
        if (d->pkt->stream_index != d->stream_index) {
            av_packet_unref(d->pkt);
            continue;
        }
        r = avcodec_send_packet(d->codec, d->pkt);
        av_packet_unref(d->pkt);
        if (r < 0 && r != AVERROR(EAGAIN) && r != AVERROR_EOF) {
            if (bad_packet(d, r, err) != ES_OK) return ES_ERR_DECODE;
        }
        /* EAGAIN cannot happen here: we only send after receive said so. */
    }
    return ES_OK;
}

/* The status to report once all samples have been handed out. */
static es_status final_status(es_decoder *d, es_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    double got = (double)d->position / ES_SAMPLE_RATE;
    double want = d->info.duration_s;
    if (d->read_error)
        return es_fail(err, ES_ERR_TRUNCATED,
                       "%s: truncated or unreadable: reading stopped after "
                       "%.2f s of audio with an error (%s)", d->path, got,
                       av_reason(d->read_error, why, sizeof why));
    if (d->duration_trusted) {
        double slack = fmax(0.5, 0.02 * want);
        if (got < want - slack)
            return es_fail(err, ES_ERR_TRUNCATED,
                           "%s: truncated: only %.2f s of audio could be "
                           "decoded but the file declares %.2f s (it was "
                           "probably cut short; re-download or re-encode it)",
                           d->path, got, want);
    }
    if (d->position == 0) {
        if (d->last_decode_error)
            return es_fail(err, ES_ERR_DECODE,
                           "%s: no audio could be decoded from the %s stream "
                           "(%s); the file is damaged", d->path, d->info.codec,
                           av_reason(d->last_decode_error, why, sizeof why));
        return es_fail(err, ES_ERR_EMPTY,
                       "%s: empty: the file holds no audio samples (zero "
                       "length)", d->path);
    }
    return ES_DONE;
}

es_status es_decoder_read(es_decoder *d, float *buf, size_t max_samples,
                          size_t *n_read, es_error *err)
{
    if (n_read) *n_read = 0;
    if (!d || !n_read || (!buf && max_samples > 0))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_decoder_read: NULL decoder, buffer or n_read");
    if (d->state == ES_DEC_FINISHED) {
        /* An error met while samples were still being handed out. */
        es_status s = d->pending;
        d->pending = ES_DONE;
        if (s != ES_DONE && err) *err = d->pending_err;
        return s;
    }
    size_t n = 0;
    while (n < max_samples) {
        if (d->fifo_pos == d->fifo_len) {
            es_status s = refill(d, &d->pending_err);
            if (s != ES_OK) {
                d->state = ES_DEC_FINISHED;
                if (n > 0) {          /* report the samples first */
                    d->pending = s;
                    break;
                }
                d->pending = ES_DONE;
                if (err) *err = d->pending_err;
                return s;
            }
            if (d->fifo_pos == d->fifo_len) break; /* flushed and empty */
        }
        size_t avail = d->fifo_len - d->fifo_pos;
        size_t take = max_samples - n < avail ? max_samples - n : avail;
        memcpy(buf + n, d->fifo + d->fifo_pos, take * sizeof *buf);
        d->fifo_pos += take;
        n += take;
    }
    if (n > 0) {
        d->position += n;
        *n_read = n;
        return ES_OK;
    }
    if (max_samples == 0) return ES_OK;
    d->state = ES_DEC_FINISHED;
    d->pending = ES_DONE;
    return final_status(d, err);
}

const es_audio_info *es_decoder_info(const es_decoder *d)
{
    return d ? &d->info : NULL;
}

uint64_t es_decoder_position(const es_decoder *d)
{
    return d ? d->position : 0;
}

void es_decoder_close(es_decoder *d)
{
    if (!d) return;
    swr_free(&d->swr);
    av_channel_layout_uninit(&d->swr_layout);
    avcodec_free_context(&d->codec);
    if (d->fmt) avformat_close_input(&d->fmt);
    av_packet_free(&d->pkt);
    av_frame_free(&d->frame);
    free(d->fifo);
    free(d->path);
    free(d);
}

/* ------------------------------------------------------------ whole files */

es_status es_decode_file(const char *path, double max_seconds,
                         float **samples, size_t *n_samples, es_error *err)
{
    if (samples) *samples = NULL;
    if (n_samples) *n_samples = 0;
    if (!samples || !n_samples)
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_decode_file: samples and n_samples must not be NULL");
    if (max_seconds < 0 || !isfinite(max_seconds))
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "es_decode_file: max_seconds must be >= 0 (0 = no "
                       "limit), got %g", max_seconds);
    es_decoder *d = NULL;
    es_status s = es_decoder_open(path, &d, err);
    if (s != ES_OK) return s;

    size_t limit = max_seconds > 0
        ? (size_t)ceil(max_seconds * ES_SAMPLE_RATE) : (size_t)-1;
    if (max_seconds > 0 && d->info.duration_s > max_seconds + 0.5) {
        double dur = d->info.duration_s;
        es_decoder_close(d);
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "%s: the file lasts %.1f s, longer than the %.1f s "
                       "limit for decoding it whole (stream it instead)",
                       path, dur, max_seconds);
    }

    size_t cap = d->info.duration_s > 0 && d->info.duration_s < 600.0
        ? (size_t)(d->info.duration_s * ES_SAMPLE_RATE) + 4096 : 1u << 16;
    if (cap > limit && limit > 0) cap = limit + 1;
    float *x = malloc(cap * sizeof *x);
    size_t n = 0;
    if (!x) {
        es_decoder_close(d);
        return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap * 2;
            float *p = realloc(x, ncap * sizeof *p);
            if (!p) {
                free(x);
                es_decoder_close(d);
                return es_fail(err, ES_ERR_NOMEM, "%s: out of memory", path);
            }
            x = p;
            cap = ncap;
        }
        size_t got = 0;
        s = es_decoder_read(d, x + n, cap - n, &got, err);
        n += got;
        if (n > limit) {
            free(x);
            es_decoder_close(d);
            return es_fail(err, ES_ERR_INVALID_ARG,
                           "%s: the file lasts more than the %.1f s limit for "
                           "decoding it whole (stream it instead)", path,
                           max_seconds);
        }
        if (s == ES_OK) continue;
        break;
    }
    es_decoder_close(d);
    if (s != ES_DONE) {
        free(x);
        return s;
    }
    *samples = x;
    *n_samples = n;
    return ES_OK;
}
