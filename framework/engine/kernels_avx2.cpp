// The engine's kernels for avx2 (see kernels_impl.hpp; compile flags in CMakeLists.txt).
#if defined(__x86_64__)
#define QF_NS avx2
#define QF_VW 8
#define QF_R 3
#define QF_T_BROADCAST 6
#define QF_T_LANES16 2
#define QF_T 4
#define QF_FAST_DECODE 1
#include "kernels_impl.hpp"

namespace qframe::engine::kernels {
const Ops ops_avx2{"avx2", avx2::dot_block, avx2::dot_block_f16, avx2::dot_block_t, avx2::dot_block_t_f16, avx2::decode};
}  // namespace qframe::engine::kernels
#endif
