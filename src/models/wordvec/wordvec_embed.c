/* wordvec_embed.c — what is computed from the word vectors: the SIF
 * sentence vector (Arora et al. 2017, without the common-component removal:
 * sum of a/(a+p(w)) · v(w) over known tokens, then L2-normalised; rules in
 * docs/WORDVEC.md) and cosine nearest-neighbour words for reports. */
#include "models/wordvec/wordvec.h"

#include "models/wordvec/wordvec_file.h"
#include "models/wordvec/wordvec_tokenize.h"

#include <math.h>
#include <string.h>

typedef struct embed_ctx {
    const es_wordvec *wv;
    float *acc;
    size_t known;
} embed_ctx;

static void add_token(const char *tok, size_t len, void *p)
{
    embed_ctx *c = p;
    int64_t i = es_wordvec_lookup(c->wv, tok, len);
    if (i < 0) return;
    es_wordvec_axpy(c->wv, (uint32_t)i, es_wordvec_weight(c->wv, (uint32_t)i), c->acc);
    c->known++;
}

static void normalise(float *v, int dim)
{
    double ss = 0;
    for (int d = 0; d < dim; d++) ss += (double)v[d] * v[d];
    if (ss <= 0) {
        memset(v, 0, sizeof(float) * (size_t)dim);
        return;
    }
    float inv = (float)(1.0 / sqrt(ss));
    for (int d = 0; d < dim; d++) v[d] *= inv;
}

size_t es_wordvec_embed(const es_wordvec *wv, const char *text, size_t len,
                        float *out)
{
    int dim = wv->info.dim;
    memset(out, 0, sizeof(float) * (size_t)dim);
    embed_ctx c = {wv, out, 0};
    if (text && len) es_wordvec_tokenize(text, len, add_token, &c);
    normalise(out, dim);
    return c.known;
}

size_t es_wordvec_neighbors(const es_wordvec *wv, const float *query,
                            int64_t exclude, size_t k, uint32_t *idx, float *sim)
{
    int dim = wv->info.dim;
    if (k == 0 || !query) return 0;
    double qn = 0;
    for (int d = 0; d < dim; d++) qn += (double)query[d] * query[d];
    if (qn <= 0) return 0;
    qn = sqrt(qn);

    float v[ESWV_MAX_DIM];
    size_t found = 0;
    /* Top k kept sorted by similarity, best first, in the callers' arrays
     * when given, else in small local ones. */
    enum { LOCAL_K = 64 };
    uint32_t li[LOCAL_K];
    float ls[LOCAL_K];
    if ((!idx || !sim) && k > LOCAL_K) k = LOCAL_K;
    uint32_t *bi = idx ? idx : li;
    float *bs = sim ? sim : ls;
    for (uint32_t i = 0; i < wv->info.n_words; i++) {
        if ((int64_t)i == exclude) continue;
        memset(v, 0, sizeof(float) * (size_t)dim);
        es_wordvec_axpy(wv, i, 1.0f, v);
        double dot = 0, vn = 0;
        for (int d = 0; d < dim; d++) {
            dot += (double)v[d] * query[d];
            vn += (double)v[d] * v[d];
        }
        if (vn <= 0) continue;
        float s = (float)(dot / (sqrt(vn) * qn));
        if (found == k && s <= bs[k - 1]) continue;
        size_t j = found < k ? found++ : k - 1;
        while (j > 0 && bs[j - 1] < s) {
            bs[j] = bs[j - 1];
            bi[j] = bi[j - 1];
            j--;
        }
        bs[j] = s;
        bi[j] = i;
    }
    return found;
}
