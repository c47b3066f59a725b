/* status_json.h — what an index holds, as JSON: `earshot status --json` and
 * the HTTP API's /api/status (docs/API.md). */
#ifndef ES_APP_STATUS_JSON_H
#define ES_APP_STATUS_JSON_H

#include <cjson/cJSON.h>

#include "index/store.h"

/* Counts, hours, sizes (index and vector cache), the models of the index,
 * its roots and the failed files with their errors. */
es_status es_status_json(es_store *s, cJSON **out, es_error *err);

#endif
