/* index_path.c — default, remembered and given index locations. */
#include "app/index_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "index/walk.h"

es_status es_cli_index_default_for(const char *folder, char *buf, size_t size,
                                   es_error *err)
{
    char *abs = NULL;
    es_status st = es_path_absolute(folder, &abs, err);
    if (st != ES_OK) return st;
    if (strcmp(abs, "/") == 0) {
        free(abs);
        return es_fail(err, ES_ERR_INVALID_ARG,
                       "indexing '/': give the index a place with --index PATH");
    }
    size_t n = strlen(abs);
    struct stat sb;
    int is_dir = stat(abs, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (!is_dir) {   /* a single file: its folder's index */
        char *slash = strrchr(abs, '/');
        n = (size_t)(slash - abs);
        if (n == 0) n = 1;
    }
    if (snprintf(buf, size, "%.*s.earshot", (int)n, abs) >= (int)size) {
        free(abs);
        return es_fail(err, ES_ERR_INVALID_ARG, "path too long");
    }
    free(abs);
    return ES_OK;
}

static void state_file(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, size, "%s/earshot/last-index", xdg);
    else snprintf(buf, size, "%s/.local/state/earshot/last-index",
                  home && *home ? home : "/tmp");
}

es_status es_cli_index_resolve(const char *given, char *buf, size_t size,
                               es_error *err)
{
    const char *env = getenv("EARSHOT_INDEX");
    const char *pick = given ? given : (env && *env ? env : NULL);
    if (pick) {
        char *abs = NULL;
        es_status st = es_path_absolute(pick, &abs, err);
        if (st != ES_OK) return st;
        snprintf(buf, size, "%s", abs);
        free(abs);
        return ES_OK;
    }
    char sf[4096];
    state_file(sf, sizeof sf);
    FILE *f = fopen(sf, "r");
    if (f) {
        int ok = fgets(buf, (int)size, f) != NULL;
        fclose(f);
        if (ok) {
            buf[strcspn(buf, "\r\n")] = 0;
            if (buf[0]) return ES_OK;
        }
    }
    return es_fail(err, ES_ERR_NOT_FOUND,
                   "no index given: run `earshot index DIR` first, or give "
                   "--index PATH (or set EARSHOT_INDEX)");
}

/* mkdir -p of the folders above path. */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
}

void es_cli_index_remember(const char *path)
{
    char sf[4096];
    state_file(sf, sizeof sf);
    make_parents(sf);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", sf);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    int ok = fprintf(f, "%s\n", path) > 0;
    ok = fclose(f) == 0 && ok;
    if (ok) rename(tmp, sf);
    else remove(tmp);
}
