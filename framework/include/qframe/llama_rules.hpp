// llama.cpp's own rules that qframe reproduces, kept in one place so that the toy-model generator
// and the plugins agree with each other and with llama-quantize.
#pragma once

namespace qframe {

// llama.cpp's use_more_bits (the lambda in llama_tensor_get_type, src/llama-quant.cpp, checked at
// c392e50): of n layers, layer i gets more bits in the K-quant "_M" mixes (Q4_K_M: Q6_K instead of
// Q4_K for attn_v and ffn_down) when it is in the first or last eighth, or every third layer
// between. Integer division, as in C++.
constexpr bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

}  // namespace qframe
