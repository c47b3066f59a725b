/* wordvec_crc32.c — CRC-32 with the reflected polynomial 0xEDB88320,
 * slicing-by-8 (about a byte per cycle, so checking a 20 MB .eswv at open
 * costs a few milliseconds). The 8 KiB of tables are built on the stack at
 * each call (about 10 µs): no global state, no first-use race. */
#include "models/wordvec/wordvec_crc32.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "es_crc32's slicing-by-8 assumes a little-endian host"
#endif

uint32_t es_crc32(uint32_t crc, const void *data, size_t len)
{
    uint32_t t[8][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1u) ? 0xEDB88320u : 0u);
        t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++)
            t[k][i] = t[0][t[k - 1][i] & 0xffu] ^ (t[k - 1][i] >> 8);

    const unsigned char *p = data;
    uint32_t c = ~crc;
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
            t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
            t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) c = t[0][(c ^ *p++) & 0xffu] ^ (c >> 8);
    return ~c;
}
