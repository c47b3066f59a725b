/* bert_backend.c — placeholder until the bert backend lands. */
#include "core/error.h"
#include "models/text/text_encoder_impl.h"

es_status es_bert_backend_open(const char *path,
                               const es_text_encoder_params *params,
                               es_text_encoder_backend *out, es_error *err)
{
    (void)params;
    (void)out;
    return es_fail(err, ES_ERR_INTERNAL, "%s: bert backend not built yet", path);
}
