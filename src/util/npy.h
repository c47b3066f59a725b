/* npy.h — the .npy writer is part of the public API (earshot.h:
 * es_npy_write_f32); this header exists for internal callers. */
#ifndef ES_UTIL_NPY_H
#define ES_UTIL_NPY_H
#include "earshot.h"
#endif
