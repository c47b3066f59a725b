/* npy.h — writing NumPy .npy files (float32, C order), the format of every
 * debug dump, so that anyone can load earshot's intermediate arrays with
 * numpy.load. */
#ifndef ES_UTIL_NPY_H
#define ES_UTIL_NPY_H

#include <stddef.h>
#include "earshot.h"

/* Writes data with the given shape (ndim 1..4) to path. */
es_status es_npy_write_f32(const char *path, const float *data,
                           const size_t *shape, int ndim, es_error *err);

#endif
