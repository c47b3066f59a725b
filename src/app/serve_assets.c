/* serve_assets.c — the page's files, compiled into the binary from web/ by
 * cmake/embed_assets.cmake, so `earshot serve` needs no files beside it. */
#include <string.h>

#include "app/serve.h"

extern const es_web_asset es_web_assets[];

const es_web_asset *es_web_asset_find(const char *url)
{
    if (!strcmp(url, "/index.html")) url = "/";
    for (const es_web_asset *a = es_web_assets; a->name; a++)
        if (!strcmp(a->name, url)) return a;
    return NULL;
}
