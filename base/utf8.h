/* utf8 — decoding one UTF-8 sequence, strictly.
 *
 * Valid means what a strict decoder accepts: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no lone
 * continuation bytes.  Used where bytes from the outside (file names,
 * source lines) are written into output that must stay well-formed.
 */
#ifndef BASE_UTF8_H
#define BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid sequence at s (avail > 0 bytes there), its code
 * point in *cp; 0 when the bytes at s are not valid UTF-8. */
static inline uint32_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    unsigned char c = s[0];
    uint32_t n, v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1Fu; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0Fu; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07u; }
    else return 0;
    if (avail < n)
        return 0;
    for (uint32_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
        (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return 0;
    *cp = v;
    return n;
}

#endif
