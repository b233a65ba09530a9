// The engine's kernels for avx512 (see kernels_impl.hpp; compile flags in CMakeLists.txt).
#if defined(__x86_64__)
#define QF_NS avx512
#define QF_VW 16
#define QF_R 4
#define QF_T_BROADCAST 12
#define QF_T_LANES16 3
#define QF_T 6
#define QF_FAST_DECODE 1
#include "kernels_impl.hpp"

namespace qframe::engine::kernels {
const Ops ops_avx512{"avx512", avx512::dot_block, avx512::dot_block_f16, avx512::dot_block_t, avx512::dot_block_t_f16, avx512::decode};
}  // namespace qframe::engine::kernels
#endif
