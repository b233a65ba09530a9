// Private to the codecs: the row kernels dispatch.cpp chooses between.
// Each works on whole blocks; `n_blocks` blocks in, `n_blocks * block_size` values out (or back).
#pragma once

#include <cstddef>

namespace qframe::codec {

using DecodeFn = void (*)(const std::byte* src, float* dst, size_t n_blocks);
using EncodeFn = void (*)(const float* src, std::byte* dst, size_t n_blocks);

// float.cpp
void decode_f32(const std::byte*, float*, size_t);
void decode_f16(const std::byte*, float*, size_t);
void decode_bf16(const std::byte*, float*, size_t);
void encode_f32(const float*, std::byte*, size_t);
void encode_f16(const float*, std::byte*, size_t);
void encode_bf16(const float*, std::byte*, size_t);
void encode_bf16_trunc(const float*, std::byte*, size_t);

// q8.cpp
void decode_q8_0(const std::byte*, float*, size_t);
void encode_q8_0(const float*, std::byte*, size_t);

// q4_q5.cpp
void decode_q4_0(const std::byte*, float*, size_t);
void decode_q4_1(const std::byte*, float*, size_t);
void decode_q5_0(const std::byte*, float*, size_t);
void decode_q5_1(const std::byte*, float*, size_t);
void encode_q4_0(const float*, std::byte*, size_t);
void encode_q4_1(const float*, std::byte*, size_t);
void encode_q5_0(const float*, std::byte*, size_t);
void encode_q5_1(const float*, std::byte*, size_t);

// k_quants.cpp
void decode_q2_k(const std::byte*, float*, size_t);
void decode_q3_k(const std::byte*, float*, size_t);
void decode_q4_k(const std::byte*, float*, size_t);
void decode_q5_k(const std::byte*, float*, size_t);
void decode_q6_k(const std::byte*, float*, size_t);

// k_quants_encode.cpp
void encode_q2_k(const float*, std::byte*, size_t);
void encode_q3_k(const float*, std::byte*, size_t);
void encode_q4_k(const float*, std::byte*, size_t);
void encode_q5_k(const float*, std::byte*, size_t);
void encode_q6_k(const float*, std::byte*, size_t);

// iq4.cpp: the encoders are llama-quantize's (quantize_iq4_nl / quantize_iq4_xs), with and
// without importance.
void decode_iq4_nl(const std::byte*, float*, size_t);
void decode_iq4_xs(const std::byte*, float*, size_t);
void encode_iq4_nl(const float*, std::byte*, size_t);
void encode_iq4_xs(const float*, std::byte*, size_t);

// iq_lattice.cpp and mxfp4.cpp: decoders (the IQ encoders are in iq3_encode.cpp, iq2_encode.cpp
// and iq1_encode.cpp; MXFP4 has none yet); ternary.cpp: both.
void decode_iq2_xxs(const std::byte*, float*, size_t);
void decode_iq2_xs(const std::byte*, float*, size_t);
void decode_iq2_s(const std::byte*, float*, size_t);
void decode_iq3_xxs(const std::byte*, float*, size_t);
void decode_iq3_s(const std::byte*, float*, size_t);
void decode_iq1_s(const std::byte*, float*, size_t);
void decode_iq1_m(const std::byte*, float*, size_t);
void decode_tq1_0(const std::byte*, float*, size_t);
void decode_tq2_0(const std::byte*, float*, size_t);
void encode_iq3_xxs(const float*, std::byte*, size_t);  // iq3_encode.cpp
void encode_iq3_s(const float*, std::byte*, size_t);
void encode_iq2_s(const float*, std::byte*, size_t);  // iq2_encode.cpp
void encode_iq1_m(const float*, std::byte*, size_t);  // iq1_encode.cpp
void encode_tq1_0(const float*, std::byte*, size_t);  // ternary.cpp
void encode_tq2_0(const float*, std::byte*, size_t);
void decode_mxfp4(const std::byte*, float*, size_t);  // mxfp4.cpp

// weighted_encode.cpp: with an importance matrix, ggml's quantize_row_*_impl — a different
// search from the reference encoders above, weighted per column. One row of n_per_row values
// (a multiple of the block size); `weights` holds one weight per column of the row (llama-imatrix's
// mean squares, as llama-quantize passes them). Q8_0 has none: ggml ignores the weights there.
using WeightedEncodeFn = void (*)(const float* row, std::byte* dst, size_t n_per_row, const float* weights);
void encode_q4_0_weighted(const float*, std::byte*, size_t, const float*);
void encode_q4_1_weighted(const float*, std::byte*, size_t, const float*);
void encode_q5_0_weighted(const float*, std::byte*, size_t, const float*);
void encode_q5_1_weighted(const float*, std::byte*, size_t, const float*);
void encode_q2_k_weighted(const float*, std::byte*, size_t, const float*);
void encode_q3_k_weighted(const float*, std::byte*, size_t, const float*);
void encode_q4_k_weighted(const float*, std::byte*, size_t, const float*);
void encode_q5_k_weighted(const float*, std::byte*, size_t, const float*);
void encode_q6_k_weighted(const float*, std::byte*, size_t, const float*);
void encode_iq4_nl_weighted(const float*, std::byte*, size_t, const float*);  // iq4.cpp
void encode_iq4_xs_weighted(const float*, std::byte*, size_t, const float*);
void encode_iq3_xxs_weighted(const float*, std::byte*, size_t, const float*);  // iq3_encode.cpp
void encode_iq3_s_weighted(const float*, std::byte*, size_t, const float*);
void encode_iq2_xxs_weighted(const float*, std::byte*, size_t, const float*);  // iq2_encode.cpp: only weighted
void encode_iq2_xs_weighted(const float*, std::byte*, size_t, const float*);
void encode_iq2_s_weighted(const float*, std::byte*, size_t, const float*);
void encode_iq1_s_weighted(const float*, std::byte*, size_t, const float*);  // iq1_encode.cpp: IQ1_S only weighted
void encode_iq1_m_weighted(const float*, std::byte*, size_t, const float*);

}  // namespace qframe::codec
