/* download.c — one file over HTTP(S) into a resumable `.part` (libcurl).
 *
 * Resuming: the request carries `Range: bytes=N-` where N is the .part's
 * size. A 206 whose Content-Range starts at N is appended; a 200 means the
 * server ignored the Range, so the .part is truncated and the whole body is
 * written from the start; a 206 that starts anywhere else is refused and the
 * file is fetched again from 0. CURLOPT_RANGE is used rather than
 * CURLOPT_RESUME_FROM because the latter makes curl fail outright on a 200.
 *
 * Failure classes: the host cannot be resolved or connected to (reported as
 * unreachable at once, no retries: there is no network to wait for), the
 * server answers with an HTTP error (404 and other 4xx: final; 5xx and 429:
 * retried), or the connection drops mid-transfer (retried `retries` times
 * with a Range from wherever the .part got to, then reported with the .part
 * kept for the next run). */
#include "app/download.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/models_util.h"

es_download_opts es_download_default_opts(void)
{
    es_download_opts o;
    memset(&o, 0, sizeof o);
    o.connect_timeout_s = 10;
    const char *env = getenv("EARSHOT_CONNECT_TIMEOUT");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v >= 1 && v <= 600) o.connect_timeout_s = v;
    }
    o.stall_timeout_s = 60;
    o.retries = 3;
    o.progress = ES_PROGRESS_NONE;
    o.label = "";
    o.expected_size = -1;
    o.log = NULL;
    return o;
}

es_status es_download_global_init(es_error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return es_fail(err, ES_ERR_INTERNAL, "libcurl failed to initialise");
    return ES_OK;
}

void es_download_global_cleanup(void) { curl_global_cleanup(); }

void es_download_url_host(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = NULL;
    for (const char *q = p; *q && *q != '/'; q++)
        if (*q == '@') at = q;
    if (at) p = at + 1;
    size_t n = 0;
    while (p[n] && p[n] != '/' && p[n] != ':' && p[n] != '?' && p[n] != '#') n++;
    if (n >= size) n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- progress */

typedef struct progress {
    es_progress_style style;
    FILE *log;
    const char *label;
    int64_t total;         /* -1 unknown */
    double t_start;        /* start of this transfer */
    int64_t start_bytes;   /* bytes in the file when this transfer started */
    double t_last;         /* last redraw (bar) */
    int last_decile;       /* last 10 % step printed (lines) */
    int64_t last_mark;     /* last byte mark printed when the total is unknown */
    int drawn;             /* the bar has been drawn (needs a newline) */
    int shown;             /* anything was shown for this file */
} progress;

static void fmt_eta(double s, char *out, size_t size)
{
    if (!(s >= 0) || s > 99 * 3600) {
        snprintf(out, size, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(out, size, "%ld:%02ld", t / 60, t % 60);
}

static void progress_show(progress *p, int64_t done, int final)
{
    if (p->style == ES_PROGRESS_NONE) return;
    double t = now_s();
    double el = t - p->t_start;
    int64_t moved = done - p->start_bytes;
    double rate = moved > 0 ? (double)moved / (el > 1e-3 ? el : 1e-3) : 0.0;
    char d[32], tot[32], r[32], eta[32];
    es_models_human_size(done, d, sizeof d);
    es_models_human_size(p->total, tot, sizeof tot);
    es_models_human_size((int64_t)rate, r, sizeof r);
    int pct = p->total > 0 ? (int)(100.0 * (double)done / (double)p->total) : -1;
    if (pct > 100) pct = 100;
    fmt_eta(rate > 0 && p->total > 0 ? (double)(p->total - done) / rate : -1, eta, sizeof eta);

    /* Files of unknown size show progress only once they pass 1 MB. */
    if (p->total < 0 && !p->shown && done < (1 << 20)) return;
    if (p->style == ES_PROGRESS_BAR) {
        if (!final && t - p->t_last < 0.2) return;
        p->t_last = t;
        char bar[16];
        int fill = pct >= 0 ? pct * 12 / 100 : 0;
        for (int i = 0; i < 12; i++) bar[i] = i < fill ? '#' : '-';
        bar[12] = '\0';
        /* At most 79 columns; \033[K clears what a longer line left. */
        if (pct >= 0)
            fprintf(p->log, "\r  %-20.20s %3d%% [%s] %s/%s %s/s ETA %s\033[K", p->label, pct,
                    bar, d, tot, r, final ? "0:00" : eta);
        else
            fprintf(p->log, "\r  %-20.20s %s %s/s\033[K", p->label, d, r);
        p->drawn = 1;
        p->shown = 1;
        if (final) {
            fputc('\n', p->log);
            p->drawn = 0;
        }
        fflush(p->log);
        return;
    }
    /* Plain lines: one per 10 % (or per 16 MB when the size is unknown),
     * then one when the file is complete. */
    if (final) {
        fprintf(p->log, "  %s: %s in %.1f s (%s/s)\n", p->label, d, el, r);
    } else if (pct >= 0) {
        int decile = pct / 10;
        if (decile <= p->last_decile || decile >= 10) return;
        p->last_decile = decile;
        fprintf(p->log, "  %s: %3d%%  %s of %s  %s/s  ETA %s\n", p->label, pct, d, tot, r, eta);
    } else {
        if (done - p->last_mark < (16 << 20)) return;
        p->last_mark = done;
        fprintf(p->log, "  %s: %s  %s/s\n", p->label, d, r);
    }
    p->shown = 1;
    fflush(p->log);
}

static void progress_break_line(progress *p)
{
    if (p->style == ES_PROGRESS_BAR && p->drawn) {
        fputc('\n', p->log);
        p->drawn = 0;
    }
}

/* ---------------------------------------------------------------- transfer */

typedef struct xfer {
    FILE *f;
    int64_t offset;      /* bytes in the .part before this response's body   */
    int64_t written;     /* body bytes written in this transfer              */
    long status;         /* status of the response being read                */
    int64_t cr_start;    /* Content-Range start of that response, -1 none    */
    int body_seen;
    int restarted;
    int bad_range;
    int write_errno;
    progress *prog;
} xfer;

static size_t on_header(char *buf, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
        const char *sp = memchr(buf, ' ', len);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->cr_start = -1;
    } else if (len > 14 && !strncasecmp(buf, "content-range:", 14)) {
        char tmp[128];
        size_t m = len - 14 < sizeof tmp - 1 ? len - 14 : sizeof tmp - 1;
        memcpy(tmp, buf + 14, m);
        tmp[m] = '\0';
        const char *p = tmp;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncasecmp(p, "bytes", 5)) {
            p += 5;
            while (*p == ' ') p++;
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end != p && *end == '-') x->cr_start = v;
        }
    }
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    xfer *x = user;
    size_t len = size * n;
    if (!x->body_seen) {
        x->body_seen = 1;
        if (x->offset > 0) {
            if (x->status == 206) {
                if (x->cr_start != x->offset) {
                    x->bad_range = 1;
                    return 0;   /* abort: the bytes would land at the wrong place */
                }
            } else {
                /* The server ignored the Range and sends the whole file. */
                if (fflush(x->f) != 0 || ftruncate(fileno(x->f), 0) != 0 ||
                    fseeko(x->f, 0, SEEK_SET) != 0) {
                    x->write_errno = errno ? errno : EIO;
                    return 0;
                }
                x->offset = 0;
                x->restarted = 1;
                x->prog->start_bytes = 0;
            }
        }
    }
    if (fwrite(data, 1, len, x->f) != len) {
        x->write_errno = errno ? errno : EIO;
        return 0;
    }
    x->written += (int64_t)len;
    return len;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    xfer *x = user;
    if (x->prog->total < 0 && dltotal > 0 && x->body_seen) {
        x->prog->total = x->offset + (int64_t)dltotal;
        if (x->prog->total < (1 << 20) && !x->prog->shown) x->prog->style = ES_PROGRESS_NONE;
    }
    if (x->body_seen) progress_show(x->prog, x->offset + x->written, 0);
    return 0;
}

static int is_connect_failure(CURLcode c)
{
    return c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_RESOLVE_PROXY ||
           c == CURLE_COULDNT_CONNECT;
}

static int is_dropped(CURLcode c)
{
    return c == CURLE_PARTIAL_FILE || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR ||
           c == CURLE_GOT_NOTHING || c == CURLE_OPERATION_TIMEDOUT || c == CURLE_HTTP2 ||
           c == CURLE_HTTP2_STREAM;
}

es_status es_download_to_part(const char *url, const char *part_path,
                              const es_download_opts *opts, es_download_result *res,
                              es_error *err)
{
    es_download_opts o = opts ? *opts : es_download_default_opts();
    FILE *log = o.log ? o.log : stderr;
    es_download_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->resumed_from = -1;
    es_download_url_host(url, res->host, sizeof res->host);

    int fd = open(part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return es_fail(err, ES_ERR_IO, "cannot write %s: %s", part_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return es_fail(err, ES_ERR_IO,
                                  "another earshot is downloading into %s; wait for it to "
                                  "finish",
                                  part_path);
        return es_fail(err, ES_ERR_IO, "cannot lock %s: %s", part_path, strerror(e));
    }
    if (o.restart && ftruncate(fd, 0) != 0) {
        int e = errno;
        close(fd);
        return es_fail(err, ES_ERR_IO, "cannot truncate %s: %s", part_path, strerror(e));
    }
    FILE *f = fdopen(fd, "r+b");
    if (!f) {
        int e = errno;
        close(fd);
        return es_fail(err, ES_ERR_IO, "cannot write %s: %s", part_path, strerror(e));
    }

    CURL *curl = curl_easy_init();
    if (!curl) {
        fclose(f);
        return es_fail(err, ES_ERR_INTERNAL, "libcurl: cannot create a handle");
    }
    char ua[64];
    snprintf(ua, sizeof ua, "earshot/%s", es_version());
    char errbuf[CURL_ERROR_SIZE];

    progress prog;
    memset(&prog, 0, sizeof prog);
    /* Small files (configs, vocabularies) arrive at once: no progress. */
    prog.style = o.expected_size >= 0 && o.expected_size < (1 << 20) ? ES_PROGRESS_NONE
                                                                     : o.progress;
    prog.log = log;
    prog.label = o.label && *o.label ? o.label : part_path;

    es_status st = ES_OK;
    for (int attempt = 0;; attempt++) {
        struct stat sb;
        if (fstat(fd, &sb) != 0) {
            st = es_fail(err, ES_ERR_IO, "%s: %s", part_path, strerror(errno));
            break;
        }
        int64_t have = (int64_t)sb.st_size;
        if (o.expected_size >= 0 && have > o.expected_size) {
            fprintf(log, "  %s: the partial file is larger than the expected %lld bytes; "
                         "starting over\n",
                    prog.label, (long long)o.expected_size);
            if (ftruncate(fd, 0) != 0) {
                st = es_fail(err, ES_ERR_IO, "%s: %s", part_path, strerror(errno));
                break;
            }
            have = 0;
        }
        res->bytes = have;
        if (o.expected_size > 0 && have == o.expected_size) break;   /* complete already */
        if (fseeko(f, have, SEEK_SET) != 0) {
            st = es_fail(err, ES_ERR_IO, "%s: %s", part_path, strerror(errno));
            break;
        }

        xfer x;
        memset(&x, 0, sizeof x);
        x.f = f;
        x.offset = have;
        x.cr_start = -1;
        x.prog = &prog;
        prog.total = o.expected_size;
        prog.t_start = now_s();
        prog.t_last = 0;
        prog.start_bytes = have;
        prog.last_decile = prog.total > 0 ? (int)(10 * have / prog.total) : 0;
        prog.last_mark = have;

        char range[48];
        curl_easy_reset(curl);
        errbuf[0] = '\0';
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, ua);
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
        if (have > 0) {
            snprintf(range, sizeof range, "%lld-", (long long)have);
            curl_easy_setopt(curl, CURLOPT_RANGE, range);
            if (res->resumed_from < 0) res->resumed_from = have;
            fprintf(log, "  %s: resuming at %lld bytes\n", prog.label, (long long)have);
        }

        CURLcode c = curl_easy_perform(curl);
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        res->http_status = code;
        int flush_ok = fflush(f) == 0;
        if (flush_ok) fsync(fd);
        int64_t now = have;
        if (fstat(fd, &sb) == 0) now = (int64_t)sb.st_size;
        res->bytes = now;
        if (x.restarted) {
            res->restarted = 1;
            progress_break_line(&prog);
            fprintf(log, "  %s: the server ignored the resume request (HTTP %ld); the file "
                         "was downloaded from the start\n",
                    prog.label, x.status);
        }
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(c);

        if (x.write_errno || !flush_ok) {
            progress_break_line(&prog);
            st = es_fail(err, ES_ERR_IO, "cannot write %s: %s", part_path,
                                strerror(x.write_errno ? x.write_errno : errno));
            break;
        }
        if (x.bad_range) {
            progress_break_line(&prog);
            fprintf(log, "  %s: the server answered the resume request with a different "
                         "range; starting over\n",
                    prog.label);
            if (ftruncate(fd, 0) != 0) {
                st = es_fail(err, ES_ERR_IO, "%s: %s", part_path, strerror(errno));
                break;
            }
            if (attempt < o.retries) continue;
            st = es_fail(err, ES_ERR_IO, "%s: the server does not resume correctly",
                                url);
            break;
        }
        if (c == CURLE_OK) {
            if (o.expected_size >= 0 && now < o.expected_size) {
                /* The body ended early without curl noticing (no length). */
                c = CURLE_PARTIAL_FILE;
                why = "the connection ended before the whole file arrived";
            } else {
                progress_show(&prog, now, 1);
                break;
            }
        }
        progress_break_line(&prog);
        if (c == CURLE_HTTP_RETURNED_ERROR) {
            if (code == 416 && have > 0) {
                /* Nothing after byte `have`: the .part may already be whole;
                 * the caller's size and sha256 checks decide. */
                res->range_not_satisfiable = 1;
                break;
            }
            if ((code >= 500 || code == 429 || code == 408) && attempt < o.retries) {
                unsigned delay = 1u << (attempt < 3 ? attempt : 3);
                fprintf(log, "  %s: HTTP %ld from %s; retrying in %u s\n", prog.label, code,
                        res->host, delay);
                sleep(delay);
                continue;
            }
            st = es_fail(err, code == 404 ? ES_ERR_NOT_FOUND : ES_ERR_IO,
                                "HTTP %ld%s for %s", code,
                                code == 404   ? " (not found)"
                                : code == 401 ? " (unauthorised)"
                                : code == 403 ? " (forbidden)"
                                              : "",
                                url);
            break;
        }
        if (is_connect_failure(c) ||
            (c == CURLE_OPERATION_TIMEDOUT && code == 0 && x.written == 0)) {
            res->unreachable = 1;
            st = es_fail(err, ES_ERR_IO, "cannot reach %s (%s)", res->host, why);
            break;
        }
        if (is_dropped(c) && attempt < o.retries) {
            unsigned delay = 1u << (attempt < 3 ? attempt : 3);
            fprintf(log, "  %s: connection dropped at %lld bytes (%s); resuming in %u s\n",
                    prog.label, (long long)now, why, delay);
            sleep(delay);
            continue;
        }
        if (is_dropped(c)) {
            char a[32], b[32];
            es_models_human_size(now, a, sizeof a);
            es_models_human_size(o.expected_size, b, sizeof b);
            res->interrupted = 1;
            st = es_fail(err, ES_ERR_IO,
                                "download of %s was interrupted after %s of %s (%s); the "
                                "partial file is kept as %s: run the same command again to "
                                "resume it",
                                url, a, b, why, part_path);
            break;
        }
        st = es_fail(err, ES_ERR_IO, "download of %s failed: %s", url, why);
        break;
    }
    curl_easy_cleanup(curl);
    /* A failure that left nothing behind leaves no file either (the lock is
     * still held, so this cannot remove another process's .part). */
    struct stat end_st;
    if (st != ES_OK && fstat(fd, &end_st) == 0 && end_st.st_size == 0) unlink(part_path);
    fclose(f);   /* also releases the lock */
    return st;
}
