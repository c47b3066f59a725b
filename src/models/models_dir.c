/* models_dir.c — where installed models live: one directory, chosen by the
 * environment so that tests and users can point earshot elsewhere. */
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>

es_status es_models_dir(char *buf, size_t size, es_error *err)
{
    if (!buf || size == 0)
        return es_fail(err, ES_ERR_INVALID_ARG, "models dir: no buffer");
    const char *env = getenv("EARSHOT_MODELS");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (env && *env)
        n = snprintf(buf, size, "%s", env);
    else if (xdg && *xdg)
        n = snprintf(buf, size, "%s/earshot/models", xdg);
    else if (home && *home)
        n = snprintf(buf, size, "%s/.local/share/earshot/models", home);
    else
        return es_fail(err, ES_ERR_NOT_FOUND,
                       "cannot tell where models live: set EARSHOT_MODELS "
                       "(or HOME) to a directory");
    if (n < 0 || (size_t)n >= size)
        return es_fail(err, ES_ERR_INVALID_ARG, "models directory path too long");
    return ES_OK;
}
