/* walk.c — recursive folder walk for `earshot index`. */
#include "index/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

/* Containers and codecs FFmpeg reads that hold audio. Video containers are
 * included: their audio track is indexed. */
static const char *const AUDIO_EXT[] = {
    "wav", "wave", "flac", "mp3", "mp2", "ogg", "oga", "opus", "m4a", "m4b",
    "aac", "mp4", "mkv", "mka", "webm", "wma", "wmv", "aif", "aiff", "aifc",
    "au", "snd", "caf", "ac3", "eac3", "amr", "3gp", "mov", "avi", "wv",
    "ape", "mpc", "spx", "tta", "dts", "w64", "voc", "gsm", "ra", "flv",
};

int es_walk_is_audio_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    for (size_t i = 0; i < sizeof AUDIO_EXT / sizeof *AUDIO_EXT; i++)
        if (strcasecmp(dot + 1, AUDIO_EXT[i]) == 0) return 1;
    return 0;
}

es_status es_path_absolute(const char *path, char **out, es_error *err)
{
    *out = NULL;
    size_t cap = strlen(path) + 2;
    char *joined = NULL;
    if (path[0] == '/') {
        joined = strdup(path);
    } else {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return es_fail(err, ES_ERR_IO, "cannot read the current folder: %s",
                           strerror(errno));
        cap += strlen(cwd) + 1;
        joined = malloc(cap);
        if (joined) snprintf(joined, cap, "%s/%s", cwd, path);
    }
    char *res = joined ? malloc(strlen(joined) + 2) : NULL;
    if (!res) {
        free(joined);
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    }
    /* resolve ".", ".." and repeated slashes part by part */
    size_t len = 0;
    char *save = NULL;
    for (char *part = strtok_r(joined, "/", &save); part;
         part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) continue;
        if (strcmp(part, "..") == 0) {
            while (len > 0 && res[len - 1] != '/') len--;
            if (len > 0) len--;
            continue;
        }
        res[len++] = '/';
        size_t n = strlen(part);
        memcpy(res + len, part, n);
        len += n;
    }
    if (len == 0) res[len++] = '/';
    res[len] = 0;
    free(joined);
    *out = res;
    return ES_OK;
}

static es_status add_file(es_walk_list *l, const char *path,
                          const struct stat *sb, es_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        es_walk_file *f = realloc(l->files, cap * sizeof *f);
        if (!f) return es_fail(err, ES_ERR_NOMEM, "out of memory");
        l->files = f;
        l->cap = cap;
    }
    es_walk_file *f = &l->files[l->n];
    if (!(f->path = strdup(path)))
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    f->size = (int64_t)sb->st_size;
    f->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 +
                  sb->st_mtim.tv_nsec;
    l->n++;
    return ES_OK;
}

static es_status walk_dir(es_walk_list *l, const char *dir, int depth,
                          es_error *err)
{
    if (depth > 64) return ES_OK;   /* symlink loops */
    DIR *d = opendir(dir);
    if (!d) {
        l->n_unreadable++;
        return ES_OK;
    }
    es_status r = ES_OK;
    struct dirent *e;
    while (r == ES_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;   /* hidden, ".", ".." */
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            r = es_fail(err, ES_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(p, n, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode))
                r = walk_dir(l, p, depth + 1, err);
            else if (S_ISREG(sb.st_mode) && es_walk_is_audio_name(e->d_name))
                r = add_file(l, p, &sb, err);
        }
        free(p);
    }
    closedir(d);
    return r;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const es_walk_file *)a)->path,
                  ((const es_walk_file *)b)->path);
}

es_status es_walk(const char *const *paths, size_t n_paths, es_walk_list *out,
                  es_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(out->roots = calloc(n_paths ? n_paths : 1, sizeof *out->roots)))
        return es_fail(err, ES_ERR_NOMEM, "out of memory");
    es_status r = ES_OK;
    for (size_t i = 0; i < n_paths && r == ES_OK; i++) {
        char *abs = NULL;
        if ((r = es_path_absolute(paths[i], &abs, err)) != ES_OK) break;
        out->roots[out->n_roots++] = abs;
        struct stat sb;
        if (stat(abs, &sb) != 0) {
            r = es_fail(err, errno == ENOENT ? ES_ERR_NOT_FOUND : ES_ERR_IO,
                        "%s: %s", paths[i], strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            r = walk_dir(out, abs, 0, err);
        } else if (S_ISREG(sb.st_mode)) {
            r = add_file(out, abs, &sb, err);   /* named: indexed whatever
                                                   its extension */
        } else {
            r = es_fail(err, ES_ERR_INVALID_ARG,
                        "%s: not a folder or a file", paths[i]);
        }
    }
    if (r != ES_OK) {
        es_walk_list_free(out);
        return r;
    }
    if (out->n > 1) qsort(out->files, out->n, sizeof *out->files, by_path);
    size_t w = 0;   /* drop duplicates (overlapping roots) */
    for (size_t i = 0; i < out->n; i++) {
        if (w > 0 && strcmp(out->files[w - 1].path, out->files[i].path) == 0)
            free(out->files[i].path);
        else
            out->files[w++] = out->files[i];
    }
    out->n = w;
    return ES_OK;
}

void es_walk_list_free(es_walk_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->files[i].path);
    for (size_t i = 0; i < l->n_roots; i++) free(l->roots[i]);
    free(l->files);
    free(l->roots);
    memset(l, 0, sizeof *l);
}
