/* pocketsphinx_backend.c — placeholder until the pocketsphinx backend lands. */
#include "core/error.h"
#include "models/asr/asr_impl.h"

es_status es_pocketsphinx_backend_open(const char *path, const es_asr_params *params,
                               es_asr_backend *out, es_error *err)
{
    (void)params;
    (void)out;
    return es_fail(err, ES_ERR_INTERNAL, "%s: pocketsphinx backend not built yet", path);
}
