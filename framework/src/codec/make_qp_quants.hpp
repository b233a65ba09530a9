// Private to the codecs: ggml's make_qp_quants (weighted_encode.cpp), which fits non-negative
// values to 0..nmax times one scale — the k-quants' sub-block scales with an importance matrix,
// and the IQ2 encoders' first guess of a group's scale.
#pragma once

#include <cstdint>

namespace qframe::codec {

float make_qp_quants(int n, int nmax, const float* x, uint8_t* L, const float* w);

}  // namespace qframe::codec
