// The engine's kernels for generic (see kernels_impl.hpp; compile flags in CMakeLists.txt).
#define QF_NS generic
#define QF_VW 4
#define QF_R 2
#define QF_T_BROADCAST 6
#define QF_T_LANES16 2
#define QF_T 4
#define QF_FAST_DECODE 0
#include "kernels_impl.hpp"

namespace qframe::engine::kernels {
const Ops ops_generic{"generic", generic::dot_block, nullptr, generic::dot_block_t, nullptr, generic::decode};
}  // namespace qframe::engine::kernels
