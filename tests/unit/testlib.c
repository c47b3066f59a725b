/* test_util.c — see testlib.h. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *es_test_shared_dir(void)
{
    static char buf[4096];
    const char *env = getenv("EARSHOT_SHARED");
    if (env && *env) return env;
    const char *src = getenv("EARSHOT_SRC");
    snprintf(buf, sizeof buf, "%s/../shared", src && *src ? src : ".");
    return buf;
}

const char *es_test_require_shared(const char *relative)
{
    static char buf[8][8192];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 8192, "%s/%s", es_test_shared_dir(), relative);
    if (access(p, R_OK) == 0) return p;
    const char *req = getenv("EARSHOT_REQUIRE_DATA");
    if (req && strcmp(req, "1") == 0) {
        fprintf(stderr, "FAIL: required shared file %s is missing "
                        "(set EARSHOT_SHARED to the shared folder)\n", p);
        exit(1);
    }
    fprintf(stderr, "SKIPPED: shared file %s is missing (set EARSHOT_SHARED "
                    "to the shared folder to run this test)\n", p);
    exit(ES_TEST_SKIP);
}

const char *es_test_tmp_dir(void)
{
    static char dir[8192];
    if (dir[0]) return dir;
    const char *base = getenv("EARSHOT_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(dir, sizeof dir, "%s/es-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    return dir;
}

const char *es_test_path(const char *fmt, ...)
{
    static char buf[16][4096];
    static int slot;
    char *p = buf[slot++ % 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p, 4096, fmt, ap);
    va_end(ap);
    return p;
}

void es_test_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0) fail_msg("command failed (%d): %s", rc, cmd);
}

int es_test_have_tool(const char *name)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

const char *es_test_make_cut_flac(const char *stem, int seconds)
{
    const char *dir = es_test_tmp_dir();
    const char *full = es_test_path("%s/%s.flac", dir, stem);
    const char *cut = es_test_path("%s/%s_cut.flac", dir, stem);
    es_test_sh("sox -n -r 16000 -c 1 %s synth %d sine 300 vol 0.5", full, seconds);
    es_test_sh("head -c $(( $(stat -c %%s %s) * 4 / 10 )) %s > %s", full, full, cut);
    return cut;
}
