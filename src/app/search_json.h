/* search_json.h — search results as JSON: the shape of `earshot search
 * --json` and of the HTTP API's search answers (docs/API.md). */
#ifndef ES_APP_SEARCH_JSON_H
#define ES_APP_SEARCH_JSON_H

#include <cjson/cJSON.h>

#include "index/search.h"

/* query or like (one of them NULL); files whose rows are gone are left
 * out. Returns NULL when out of memory. */
cJSON *es_search_json(const char *query, const char *like, const char *index,
                      const char *encoder, const es_search_results *r);

#endif
