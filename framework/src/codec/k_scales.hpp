// Private to the codecs: the k-quants' packed sub-block scales, read by the decoders and written
// (then read back) by the encoders.
#pragma once

#include <cstdint>

namespace qframe::codec {

// Q4_K/Q5_K pack 8 6-bit scales and 8 6-bit mins into 12 bytes: sub-blocks 0-3 use the low
// 6 bits of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 take their low 4 bits from
// bytes 8-11 and their top 2 bits from the spare top bits of bytes 0-7.
struct ScaleMin { int scale, min; };
inline ScaleMin scale_min_k4(const uint8_t s[12], int j) {
    if (j < 4) return {s[j] & 63, s[j + 4] & 63};
    return {(s[j + 4] & 0x0f) | (s[j - 4] >> 6) << 4, (s[j + 4] >> 4) | (s[j] >> 6) << 4};
}
inline void pack_scale_min_k4(uint8_t s[12], const uint8_t scales[8], const uint8_t mins[8]) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            s[j] = scales[j];
            s[j + 4] = mins[j];
        } else {
            s[j + 4] = uint8_t((scales[j] & 0x0f) | (mins[j] & 0x0f) << 4);
            s[j - 4] |= uint8_t((scales[j] >> 4) << 6);
            s[j] |= uint8_t((mins[j] >> 4) << 6);
        }
    }
}

// Q3_K packs 16 6-bit scales (stored +32) into 12 bytes: low nibbles in bytes 0-7 (sub-block
// k and k + 8 share byte k % 8), top 2 bits in bytes 8-11 (2 bits per sub-block).
inline int scale_q3_k(const uint8_t s[12], int k) {
    const int low = k < 8 ? s[k] & 0x0f : s[k - 8] >> 4;
    const int high = (s[8 + k % 4] >> (2 * (k / 4))) & 3;
    return (low | high << 4) - 32;
}
// `stored` are the scales + 32 (0..63).
inline void pack_scales_q3_k(uint8_t s[12], const int stored[16]) {
    for (int k = 0; k < 12; ++k) s[k] = 0;
    for (int k = 0; k < 16; ++k) {
        const int l = stored[k];
        if (k < 8) s[k] = uint8_t(l & 0x0f);
        else s[k - 8] |= uint8_t((l & 0x0f) << 4);
        s[8 + k % 4] |= uint8_t((l >> 4) << (2 * (k / 4)));
    }
}

// Q2_K/Q3_K/Q6_K lay 4 groups of 32 quants out as 2-bit fields of 32 bytes (per 128 values).
template <class T>
void pack_2bit(const T* L, int n_values, uint8_t* qs) {
    for (int j = 0; j < n_values; j += 128)
        for (int l = 0; l < 32; ++l)
            qs[j / 4 + l] = uint8_t(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
}

}  // namespace qframe::codec
