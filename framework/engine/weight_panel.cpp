// The weight types the quantized-domain kernels take, one row each (kTypeRows, below: how ggml
// sums the type, what its codes are, where its mins go, which kernels), and their rows unpacked
// into panels (int8_product.hpp): each block's codes as unsigned bytes and its scales as
// integers, from ggml's block layouts (codec/blocks.hpp). A new type is a row and an unpacking.
#include <cstring>

#include "codec/blocks.hpp"
#include "codec/iq_grids.hpp"
#include "codec/k_scales.hpp"
#include "int8_product.hpp"

namespace qframe::engine::int8 {
namespace {

using namespace codec;

float half_at(const uint8_t* p) {
    _Float16 h;
    std::memcpy(&h, p, 2);
    return static_cast<float>(h);
}

template <class Block>
Block block_at(const std::byte* row, size_t b) {
    Block blk;
    std::memcpy(&blk, row + b * sizeof(Block), sizeof(Block));
    return blk;
}

// Where value i of panel row r goes.
inline uint8_t& code(Panel& p, size_t i, size_t r) { return p.w[(i / 4) * 64 + r * 4 + i % 4]; }

void unpack_q8_0(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t b = 0; b < n / QK; ++b) {
        const auto blk = block_at<BlockQ8_0>(row, b);
        p.d[b * kRows + r] = half_at(blk.d);
        for (int l = 0; l < QK; ++l) code(p, b * QK + l, r) = static_cast<uint8_t>(blk.qs[l] + 128);
    }
}

// Q4_0, Q5_0, Q4_1, Q5_1: values j and j + 16 of a block are the low and high nibbles of qs[j],
// with a fifth bit (bit j of qh for value j) for Q5_x and a min per block (in dmin) for Qx_1.
template <class Block>
void unpack_nibbles(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t b = 0; b < n / QK; ++b) {
        const auto blk = block_at<Block>(row, b);
        p.d[b * kRows + r] = half_at(blk.d);
        if constexpr (requires { blk.m; }) p.dmin[b * kRows + r] = half_at(blk.m);
        uint32_t qh = 0;
        if constexpr (requires { blk.qh; }) std::memcpy(&qh, blk.qh, 4);
        for (int l = 0; l < QK / 2; ++l) {
            code(p, b * QK + l, r) = static_cast<uint8_t>((blk.qs[l] & 0x0f) | ((qh >> l) & 1) << 4);
            code(p, b * QK + l + QK / 2, r) = static_cast<uint8_t>((blk.qs[l] >> 4) | ((qh >> (l + QK / 2)) & 1) << 4);
        }
    }
}

// A super-block's float scales: value = d · scale · code − dmin · min.
void set_super_scales(Panel& p, size_t s, size_t r, float d, float dmin) {
    p.d[s * kRows + r] = d;
    p.dmin[s * kRows + r] = dmin;
}

void set_min_pair(Panel& p, size_t pair, size_t r, int first, int second) {
    p.min[(pair * kRows + r) * 2] = static_cast<int16_t>(first);
    p.min[(pair * kRows + r) * 2 + 1] = static_cast<int16_t>(second);
}

// Q4_K, Q5_K: 8 sub-blocks of 32 with a 6-bit scale and min each (value = d·sc·q − dmin·m).
template <class Block>
void unpack_scale_min_k(const std::byte* row, size_t r, size_t n, Panel& p) {
    constexpr bool kFifthBit = requires(const Block& blk) { blk.qh; };
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<Block>(row, s);
        set_super_scales(p, s, r, half_at(blk.d), half_at(blk.dmin));
        for (int j = 0; j < 8; ++j) {
            const auto [sc, mn] = scale_min_k4(blk.scales, j);
            const size_t first = s * QK_K + 32 * j;
            p.scale[(first / 16) * kRows + r] = sc;
            p.scale[(first / 16 + 1) * kRows + r] = sc;
            set_min_pair(p, first / 32, r, mn, mn);
            const uint8_t* q = blk.qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; ++l) {
                int v = (q[l] >> shift) & 0x0f;
                if constexpr (kFifthBit) v |= ((blk.qh[l] >> j) & 1) << 4;
                code(p, first + l, r) = static_cast<uint8_t>(v);
            }
        }
    }
}

// Q2_K: 16 groups of 16 with a 4-bit scale and min; group g = 8·half + 2·shift + part takes bits
// [2·shift, 2·shift + 2) of qs[32·half + 16·part + l].
void unpack_q2_k(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<BlockQ2_K>(row, s);
        set_super_scales(p, s, r, half_at(blk.d), half_at(blk.dmin));
        for (int g = 0; g < 16; ++g) {
            const size_t first = s * QK_K + 16 * g;
            p.scale[(first / 16) * kRows + r] = blk.scales[g] & 0x0f;
            const uint8_t* q = blk.qs + 32 * (g / 8) + 16 * (g % 2);
            const int shift = 2 * ((g % 8) / 2);
            for (int l = 0; l < 16; ++l) code(p, first + l, r) = static_cast<uint8_t>((q[l] >> shift) & 3);
        }
        for (int pair = 0; pair < 8; ++pair)
            set_min_pair(p, s * 8 + pair, r, blk.scales[2 * pair] >> 4, blk.scales[2 * pair + 1] >> 4);
    }
}

// Q3_K: Q2_K's low bits plus a high bit in hmask; the value is (low + 4·high) − 4: the code is
// low + 4·high, with the panel's offset of 4.
void unpack_q3_k(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<BlockQ3_K>(row, s);
        p.d[s * kRows + r] = half_at(blk.d);
        for (int g = 0; g < 16; ++g) {
            const size_t first = s * QK_K + 16 * g;
            p.scale[(first / 16) * kRows + r] = scale_q3_k(blk.scales, g);
            const int half = g / 8, part = g % 2, shift = (g % 8) / 2;
            const uint8_t* q = blk.qs + 32 * half + 16 * part;
            const uint8_t* hm = blk.hmask + 16 * part;
            for (int l = 0; l < 16; ++l)
                code(p, first + l, r) = static_cast<uint8_t>(((q[l] >> (2 * shift)) & 3) | ((hm[l] >> (4 * half + shift)) & 1) << 2);
        }
    }
}

// Q6_K: 16 groups of 16 with an int8 scale; value = d·sc·(q − 32), the panel's offset of 32.
void unpack_q6_k(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<BlockQ6_K>(row, s);
        p.d[s * kRows + r] = half_at(blk.d);
        for (int g = 0; g < 16; ++g) {
            const int half = g / 8, k = (g % 8) / 2, part = g % 2;
            const uint8_t* ql = blk.ql + 64 * half + 32 * (k % 2) + 16 * part;
            const uint8_t* qh = blk.qh + 32 * half + 16 * part;
            const int lshift = 4 * (k / 2);
            const size_t first = s * QK_K + 16 * g;
            p.scale[(first / 16) * kRows + r] = blk.scales[g];
            for (int l = 0; l < 16; ++l)
                code(p, first + l, r) = static_cast<uint8_t>(((ql[l] >> lshift) & 0x0f) | ((qh[l] >> (2 * k)) & 3) << 4);
        }
    }
}

// IQ4_NL, IQ4_XS: byte l of a group of 32 holds the grid indices of values l (low nibble) and
// l + 16; the code is the grid value + 128.
void unpack_iq4_group(const uint8_t* qs, size_t first, size_t r, Panel& p) {
    for (int l = 0; l < QK / 2; ++l) {
        code(p, first + l, r) = static_cast<uint8_t>(kKvaluesIq4nl[qs[l] & 0x0f] + 128);
        code(p, first + l + QK / 2, r) = static_cast<uint8_t>(kKvaluesIq4nl[qs[l] >> 4] + 128);
    }
}

void unpack_iq4_nl(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t b = 0; b < n / QK; ++b) {
        const auto blk = block_at<BlockIQ4_NL>(row, b);
        p.d[b * kRows + r] = half_at(blk.d);
        unpack_iq4_group(blk.qs, b * QK, r, p);
    }
}

// IQ4_XS: group j's 6-bit scale is the nibble j of scales_l plus bits 2j, 2j+1 of scales_h, less 32.
void unpack_iq4_xs(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<BlockIQ4_XS>(row, s);
        p.d[s * kRows + r] = half_at(blk.d);
        const unsigned high = blk.scales_h[0] | blk.scales_h[1] << 8;
        for (int j = 0; j < QK_K / 32; ++j) {
            const int ls = (((blk.scales_l[j / 2] >> 4 * (j % 2)) & 0x0f) | ((high >> 2 * j) & 3) << 4) - 32;
            const size_t first = s * QK_K + 32 * j;
            p.scale[(first / 16) * kRows + r] = ls;
            p.scale[(first / 16 + 1) * kRows + r] = ls;
            unpack_iq4_group(blk.qs + 16 * j, first, r, p);
        }
    }
}

// IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S: each value is a grid byte with a sign, stored +128 as a
// signed code; a scale 2·ls + 1 per 16 values (given to both halves where it is per 32). ggml's
// vec_dot_iq*_q8_K multiply the super-block's integer by d_w·d_x and the lanes' sum by 1/8 (IQ2),
// 1/4 (IQ3_XXS) or 1 (IQ3_S): the panel's d is d_w, its post that factor.
struct LatticeRow {
    Panel& p;
    size_t r;
    void value(size_t i, int v) { code(p, i, r) = static_cast<uint8_t>(v + 128); }
    void scale(size_t first, int ls) { p.scale[(first / 16) * kRows + r] = 2 * ls + 1; }
    // 8 (or 4) grid bytes from `first` on, byte j negated where bit j (+ shift) of `signs` is set.
    template <class Entry>
    void entry(size_t first, Entry grid_entry, uint8_t signs, int count, int shift = 0) {
        for (int j = 0; j < count; ++j) {
            const int v = static_cast<uint8_t>(grid_entry >> (8 * j));
            value(first + j, signs & kKmaskIq2xs[size_t(j + shift)] ? -v : v);
        }
    }
};

inline uint32_t u32_at(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

void unpack_iq2_xxs(const BlockIQ2_XXS& blk, size_t first, LatticeRow row) {
    for (int g = 0; g < 8; ++g) {
        const uint8_t* q = blk.qs + 8 * g;  // 4 grid indices, then 4×7 sign bits and the scale
        const uint32_t aux = u32_at(q + 4);
        row.scale(first + 32 * g, aux >> 28);
        row.scale(first + 32 * g + 16, aux >> 28);
        for (int l = 0; l < 4; ++l) row.entry(first + 32 * g + 8 * l, kIq2xxsGrid[q[l]], kKsignsIq2xs[(aux >> 7 * l) & 127], 8);
    }
}

void unpack_iq2_xs(const BlockIQ2_XS& blk, size_t first, LatticeRow row) {
    for (int g = 0; g < 8; ++g) {
        row.scale(first + 32 * g, blk.scales[g] & 0x0f);
        row.scale(first + 32 * g + 16, blk.scales[g] >> 4);
        for (int l = 0; l < 4; ++l) {
            uint16_t q;
            std::memcpy(&q, blk.qs + 2 * (4 * g + l), 2);
            row.entry(first + 32 * g + 8 * l, kIq2xsGrid[q & 511], kKsignsIq2xs[q >> 9], 8);
        }
    }
}

void unpack_iq2_s(const BlockIQ2_S& blk, size_t first, LatticeRow row) {
    const uint8_t* signs = blk.qs + QK_K / 8;
    for (int g = 0; g < 8; ++g) {
        row.scale(first + 32 * g, blk.scales[g] & 0x0f);
        row.scale(first + 32 * g + 16, blk.scales[g] >> 4);
        for (int l = 0; l < 4; ++l) {
            const size_t index = blk.qs[4 * g + l] | ((blk.qh[g] << (8 - 2 * l)) & 0x300);
            row.entry(first + 32 * g + 8 * l, kIq2sGrid[index], signs[4 * g + l], 8);
        }
    }
}

void unpack_iq3_xxs(const BlockIQ3_XXS& blk, size_t first, LatticeRow row) {
    const uint8_t* scales_and_signs = blk.qs + QK_K / 4;
    for (int g = 0; g < 8; ++g) {
        const uint32_t aux = u32_at(scales_and_signs + 4 * g);
        row.scale(first + 32 * g, aux >> 28);
        row.scale(first + 32 * g + 16, aux >> 28);
        for (int l = 0; l < 4; ++l) {
            const uint8_t signs = kKsignsIq2xs[(aux >> 7 * l) & 127];
            row.entry(first + 32 * g + 8 * l, kIq3xxsGrid[blk.qs[8 * g + 2 * l]], signs, 4);
            row.entry(first + 32 * g + 8 * l + 4, kIq3xxsGrid[blk.qs[8 * g + 2 * l + 1]], signs, 4, 4);
        }
    }
}

void unpack_iq3_s(const BlockIQ3_S& blk, size_t first, LatticeRow row) {
    for (int g = 0; g < 8; ++g) {
        const int ls = (blk.scales[g / 2] >> 4 * (g % 2)) & 0x0f;
        row.scale(first + 32 * g, ls);
        row.scale(first + 32 * g + 16, ls);
        for (int l = 0; l < 4; ++l) {
            const uint8_t* qs = blk.qs + 8 * g + 2 * l;
            const uint8_t signs = blk.signs[4 * g + l];
            row.entry(first + 32 * g + 8 * l, kIq3sGrid[size_t(qs[0] | ((blk.qh[g] << (8 - 2 * l)) & 256))], signs, 4);
            row.entry(first + 32 * g + 8 * l + 4, kIq3sGrid[size_t(qs[1] | ((blk.qh[g] << (7 - 2 * l)) & 256))], signs, 4, 4);
        }
    }
}

// IQ1_S: grid values −1, 0, +1 (int8 bytes), a scale 2·ls + 1 per 32 and a delta of ±1/8 times
// it, which ggml adds as Σ ±(2·ls + 1)·bsum in a float sum of its own, times 1/8 at the end: here
// Q5_K's mins (one sum) with min ±(2·ls + 1) and dmin −d/8 (the 1/8 is exact in either place).
void unpack_iq1_s(const BlockIQ1_S& blk, size_t first, LatticeRow row) {
    row.p.dmin[first / QK_K * kRows + row.r] = -0.125f * half_at(blk.d);
    for (int g = 0; g < 8; ++g) {
        uint16_t qh;
        std::memcpy(&qh, blk.qh + 2 * g, 2);
        const int ls = (qh >> 12) & 7;
        row.scale(first + 32 * g, ls);
        row.scale(first + 32 * g + 16, ls);
        const int delta = (qh & 0x8000 ? -1 : 1) * (2 * ls + 1);
        set_min_pair(row.p, (first + 32 * g) / 32, row.r, delta, delta);
        for (int l = 0; l < 4; ++l) {
            const uint64_t entry = kIq1sGrid[size_t(blk.qs[4 * g + l] | ((qh >> 3 * l) & 7) << 8)];
            for (int j = 0; j < 8; ++j) row.value(first + 32 * g + 8 * l + j, static_cast<int8_t>(entry >> 8 * j));
        }
    }
}

// IQ1_M: IQ1_S's grid, a scale 2·ls + 1 per 16 and a delta sign per 8 values; ggml sums the
// deltas' products, ±(2·ls + 1)·Σx per 4 values, in 8 lanes of their own (the panel's delta).
void unpack_iq1_m(const BlockIQ1_M& blk, size_t first, LatticeRow row) {
    uint16_t sc[4];
    std::memcpy(sc, blk.scales, sizeof sc);
    // No F16 field: the scale's 16 bits are the top nibbles of the four scale words.
    const auto bits = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
    uint8_t raw[2];
    std::memcpy(raw, &bits, 2);
    row.p.d[first / QK_K * kRows + row.r] = half_at(raw);
    for (int g = 0; g < 8; ++g) {
        const int ls[2] = {(sc[g / 2] >> 6 * (g % 2)) & 7, (sc[g / 2] >> (6 * (g % 2) + 3)) & 7};
        row.scale(first + 32 * g, ls[0]);
        row.scale(first + 32 * g + 16, ls[1]);
        const uint8_t* qh = blk.qh + 2 * g;
        for (int l = 0; l < 4; ++l) {
            const uint8_t high = qh[l / 2] >> 4 * (l % 2);  // 3 index bits, then the delta's sign
            const uint64_t entry = kIq1sGrid[size_t(blk.qs[4 * g + l] | (high & 7) << 8)];
            const size_t at = first + 32 * g + 8 * l;
            for (int j = 0; j < 8; ++j) row.value(at + j, static_cast<int8_t>(entry >> 8 * j));
            const int delta = (high & 8 ? -1 : 1) * (2 * ls[l / 2] + 1);
            row.p.delta[(at / 4) * kRows + row.r] = delta;
            row.p.delta[(at / 4 + 1) * kRows + row.r] = delta;
        }
    }
}

template <class Block, void (*Unpack)(const Block&, size_t, LatticeRow)>
void unpack_lattice(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<Block>(row, s);
        if constexpr (requires { blk.d; }) p.d[s * kRows + r] = half_at(blk.d);  // IQ1_M sets its own
        Unpack(blk, s * QK_K, LatticeRow{p, r});
    }
}

// TQ1_0, TQ2_0: codes 0, 1, 2 for −1, 0, +1 (the kernel takes the 1 off per chunk of 32), scale 1.
// TQ1_0 packs 5 trits per byte as a base-3 fraction (trit n: byte·3ⁿ mod 256, times 3, >> 8):
// runs of 32 bytes give values 32n + m, then runs of 16 give 16n + m, and qh the last 16 (4n + j).
void unpack_tq1_0(const std::byte* row, size_t r, size_t n, Panel& p) {
    constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    const auto trit = [&](uint8_t packed, int k) { return static_cast<uint8_t>((uint8_t(packed * kPow3[k]) * 3) >> 8); };
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<BlockTQ1_0>(row, s);
        p.d[s * kRows + r] = half_at(blk.d);
        size_t i = s * QK_K;
        for (size_t j = 0; j < 32; j += 32)
            for (int k = 0; k < 5; ++k)
                for (size_t m = 0; m < 32; ++m) code(p, i++, r) = trit(blk.qs[j + m], k);
        for (size_t j = 32; j < sizeof blk.qs; j += 16)
            for (int k = 0; k < 5; ++k)
                for (size_t m = 0; m < 16; ++m) code(p, i++, r) = trit(blk.qs[j + m], k);
        for (int k = 0; k < 4; ++k)
            for (size_t j = 0; j < sizeof blk.qh; ++j) code(p, i++, r) = trit(blk.qh[j], k);
        for (size_t g = 0; g < QK_K / 16; ++g) p.scale[(s * 16 + g) * kRows + r] = 1;
    }
}

// TQ2_0: 2 bits per value; byte m of run j (32 bytes) holds values 4j + 32l + m in bits 2l, 2l+1.
void unpack_tq2_0(const std::byte* row, size_t r, size_t n, Panel& p) {
    for (size_t s = 0; s < n / QK_K; ++s) {
        const auto blk = block_at<BlockTQ2_0>(row, s);
        p.d[s * kRows + r] = half_at(blk.d);
        for (size_t j = 0; j < sizeof blk.qs; j += 32)
            for (int l = 0; l < 4; ++l)
                for (size_t m = 0; m < 32; ++m) code(p, s * QK_K + 4 * j + 32 * l + m, r) = (blk.qs[j + m] >> 2 * l) & 3;
        for (size_t g = 0; g < QK_K / 16; ++g) p.scale[(s * 16 + g) * kRows + r] = 1;
    }
}

// One row per type (int8_product.hpp's TypeRow).
constexpr TypeRow kTypeRows[] = {
    // type              sums                  codes             mins              offset                      post    rows   unpack
    {TensorType::Q8_0,   Sums::lanes32,        Codes::signed128, Mins::none,       code_offset<BlockQ8_0>(),   1,      true,  unpack_q8_0},
    {TensorType::Q4_0,   Sums::block_integers, Codes::offset,    Mins::none,       code_offset<BlockQ4_0>(),   1,      true,  unpack_nibbles<BlockQ4_0>},
    {TensorType::Q5_0,   Sums::lanes32,        Codes::offset,    Mins::none,       code_offset<BlockQ5_0>(),   1,      true,  unpack_nibbles<BlockQ5_0>},
    {TensorType::Q4_1,   Sums::lanes32,        Codes::plain,     Mins::block,      0,                          1,      true,  unpack_nibbles<BlockQ4_1>},
    {TensorType::Q5_1,   Sums::lanes32,        Codes::plain,     Mins::block,      0,                          1,      true,  unpack_nibbles<BlockQ5_1>},
    {TensorType::Q2_K,   Sums::lanes256,       Codes::plain,     Mins::in_lanes,   0,                          1,      true,  unpack_q2_k},
    {TensorType::Q3_K,   Sums::lanes256,       Codes::offset,    Mins::none,       4,                          1,      true,  unpack_q3_k},
    {TensorType::Q4_K,   Sums::lanes256,       Codes::plain,     Mins::four_lanes, 0,                          1,      true,  unpack_scale_min_k<BlockQ4_K>},
    {TensorType::Q5_K,   Sums::lanes256,       Codes::plain,     Mins::one_sum,    0,                          1,      true,  unpack_scale_min_k<BlockQ5_K>},
    {TensorType::Q6_K,   Sums::lanes256,       Codes::offset,    Mins::none,       32,                         1,      true,  unpack_q6_k},
    {TensorType::IQ4_NL, Sums::lanes32,        Codes::signed128, Mins::none,       128,                        1,      false, unpack_iq4_nl},
    {TensorType::IQ4_XS, Sums::lanes256,       Codes::signed128, Mins::none,       128,                        1,      true,  unpack_iq4_xs},
    {TensorType::IQ2_XXS, Sums::lanes256,      Codes::signed128, Mins::none,       128,                        0.125f, false, unpack_lattice<BlockIQ2_XXS, unpack_iq2_xxs>},
    {TensorType::IQ2_XS, Sums::lanes256,       Codes::signed128, Mins::none,       128,                        0.125f, false, unpack_lattice<BlockIQ2_XS, unpack_iq2_xs>},
    {TensorType::IQ2_S,  Sums::lanes256,       Codes::signed128, Mins::none,       128,                        0.125f, false, unpack_lattice<BlockIQ2_S, unpack_iq2_s>},
    {TensorType::IQ3_XXS, Sums::lanes256,      Codes::signed128, Mins::none,       128,                        0.25f,  false, unpack_lattice<BlockIQ3_XXS, unpack_iq3_xxs>},
    {TensorType::IQ3_S,  Sums::lanes256,       Codes::signed128, Mins::none,       128,                        1,      false, unpack_lattice<BlockIQ3_S, unpack_iq3_s>},
    {TensorType::IQ1_S,  Sums::lanes256,       Codes::signed128, Mins::one_sum,    128,                        1,      false, unpack_lattice<BlockIQ1_S, unpack_iq1_s>},
    {TensorType::IQ1_M,  Sums::lanes256,       Codes::signed128, Mins::deltas,     128,                        1,      false, unpack_lattice<BlockIQ1_M, unpack_iq1_m>},
    {TensorType::TQ1_0,  Sums::lanes256,       Codes::ternary,   Mins::none,       0,                          1,      false, unpack_tq1_0},
    {TensorType::TQ2_0,  Sums::lanes256,       Codes::ternary,   Mins::none,       0,                          1,      false, unpack_tq2_0},
};

}  // namespace

const TypeRow* type_row(TensorType type) {
    for (const TypeRow& row : kTypeRows)
        if (row.type == type) return &row;
    return nullptr;
}

void unpack(TensorType type, const std::byte* rows, size_t row_bytes, size_t nr, size_t n, Panel& p) {
    const TypeRow& t = *type_row(type);
    p.sums = t.sums;
    p.codes = t.codes;
    p.mins = t.mins;
    p.offset = t.offset;
    p.post = t.post;
    const bool super_blocks = t.sums == Sums::lanes256;
    const bool group_mins = t.mins == Mins::in_lanes || t.mins == Mins::four_lanes || t.mins == Mins::one_sum;
    const size_t blocks = super_blocks ? n / QK_K : n / QK;
    p.w.assign(n * kRows, 0);
    p.d.assign(blocks * kRows, 0.0f);
    p.dmin.assign(group_mins || t.mins == Mins::block ? blocks * kRows : 0, 0.0f);
    p.scale.assign(super_blocks ? n / 16 * kRows : 0, 0);
    p.min.assign(group_mins ? n / 32 * kRows * 2 : 0, 0);
    p.delta.assign(t.mins == Mins::deltas ? n / 4 * kRows : 0, 0);
    for (size_t r = 0; r < nr; ++r) t.unpack(rows + r * row_bytes, r, n, p);
    p.scale_pairs.resize(p.scale.size());
    for (size_t i = 0; i < p.scale.size(); ++i) {
        const auto v = static_cast<uint32_t>(p.scale[i]) & 0xffffu;
        p.scale_pairs[i] = static_cast<int32_t>(v | v << 16);
    }
}

}  // namespace qframe::engine::int8
