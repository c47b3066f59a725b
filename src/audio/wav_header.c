/* wav_header.c — walks the RIFF chunk list up to "data" (see wav_header.h). */
#include "audio/wav_header.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

int es_wav_data_sizes(const char *path, uint64_t *declared, uint64_t *present)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char h[12];
    int found = 0;
    if (fread(h, 1, 12, f) == 12 && !memcmp(h, "RIFF", 4) &&
        !memcmp(h + 8, "WAVE", 4)) {
        uint64_t off = 12, size = (uint64_t)st.st_size;
        for (int i = 0; i < 64 && off + 8 <= size; i++) {
            unsigned char c[8];
            if (fseek(f, (long)off, SEEK_SET) != 0 || fread(c, 1, 8, f) != 8) break;
            uint32_t len = le32(c + 4);
            if (!memcmp(c, "data", 4)) {
                if (len != 0 && len != 0xFFFFFFFFu) {
                    *declared = len;
                    *present = size - (off + 8);
                    found = 1;
                }
                break;
            }
            off += 8 + (uint64_t)len + (len & 1);
        }
    }
    fclose(f);
    return found;
}
