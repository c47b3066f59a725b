/* walk.h — finding the audio files under the folders given to `earshot
 * index`: recursive, sorted, by file extension (the formats FFmpeg reads
 * that hold audio), skipping hidden entries. */
#ifndef ES_WALK_H
#define ES_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "earshot.h"

typedef struct es_walk_file {
    char *path;              /* absolute, normalised                       */
    int64_t size;
    int64_t mtime_ns;
} es_walk_file;

typedef struct es_walk_list {
    es_walk_file *files;
    size_t n, cap;
    char **roots;            /* the folders walked, absolute (or files)    */
    size_t n_roots;
    size_t n_unreadable;     /* directories that could not be opened       */
} es_walk_list;

/* True for the extensions earshot indexes (case-insensitive). */
int es_walk_is_audio_name(const char *name);

/* Walks each path (a folder, walked recursively, or a single file) and
 * appends the audio files found, sorted by path, without duplicates. */
es_status es_walk(const char *const *paths, size_t n_paths, es_walk_list *out,
                  es_error *err);
void es_walk_list_free(es_walk_list *l);

/* An absolute path without "." / ".." / "//" parts (symlinks not resolved). */
es_status es_path_absolute(const char *path, char **out, es_error *err);

#endif
