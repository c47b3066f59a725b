/* dataset.h — turns manifest rows into bridge inputs: decode each file,
 * cut it into chunks (ES chunker, chunk_s long), compute the input vector
 * of each chunk (features, or features ‖ pooled Whisper states), and make
 * augmented copies (gain, noise, time shift, mixing two clips).
 *
 * Targets are ids, resolved to vectors by the caller: a row with a label
 * has target label_id; a row with text only has target n_labels + (its
 * index among the text rows), see es_dataset.n_text. A mixed example has
 * two targets, a with weight mix_w and b with 1 − mix_w.
 * Owned by dataset.c and augment.c. */
#ifndef ES_DATA_DATASET_H
#define ES_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"
#include "data/manifest.h"
#include "models/whisper/whisper_pool.h"

typedef struct es_augment_params {
    int copies;           /* augmented copies per chunk; 0 = none            */
    int gain;             /* random gain, uniform in ±gain_db                */
    float gain_db;        /* 6                                               */
    int noise;            /* white noise at an SNR uniform in [snr_min, snr_max] dB */
    float snr_min_db, snr_max_db;   /* 10, 30                                */
    int shift;            /* circular time shift by a uniform fraction       */
    int mix;              /* with probability mix_prob, add a chunk of
                             another label, weight uniform in [0.3, 0.7]     */
    float mix_prob;       /* 0.5                                             */
    uint64_t seed;
} es_augment_params;

es_augment_params es_augment_default_params(void); /* all off, values above */
/* Parses a comma list of "gain,noise,shift,mix" (or "none") into flags. */
es_status es_augment_parse(const char *list, es_augment_params *p,
                           es_error *err);

typedef struct es_dataset_params {
    es_bridge_input input;
    double chunk_s;       /* 10: longer clips give several chunks (hop = chunk) */
    es_whisper_pool *whisper;   /* required for ES_BRIDGE_INPUT_HYBRID      */
    es_augment_params augment;
    /* progress: called after each file with (files done, files total) */
    void (*progress)(size_t done, size_t total, void *user);
    void *user;
} es_dataset_params;

es_dataset_params es_dataset_default_params(void);

typedef struct es_dataset {
    size_t n;             /* examples                                        */
    int dim;              /* input width                                     */
    float *x;             /* [n × dim] raw input vectors                     */
    int *row;             /* manifest row of each example                    */
    int *target_a;        /* target id (see above)                           */
    int *target_b;        /* second target id of a mixed example, else −1    */
    float *mix_w;         /* weight of target_a (1 when not mixed)           */
    uint8_t *augmented;   /* 1 for an augmented copy                         */
    int n_labels;         /* = manifest n_labels                             */
    int n_text;           /* text targets: ids n_labels .. n_labels+n_text−1 */
    const char **text;    /* [n_text] the texts (point into the manifest)    */
} es_dataset;

/* Builds examples for rows[n_rows] of m. A file that cannot be decoded is
 * an error naming it and its manifest line. */
es_status es_dataset_build(const es_manifest *m, const int *rows,
                           size_t n_rows, const es_dataset_params *p,
                           es_dataset **out, es_error *err);
void es_dataset_free(es_dataset *d);

/* Input width for a layout: 128, 5, or 128 + es_whisper_pool_dim. */
int es_dataset_input_dim(es_bridge_input input, const es_whisper_pool *w);

#endif
