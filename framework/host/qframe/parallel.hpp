// Spreading independent work items over cores.
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <functional>

namespace qframe {

// Hardware threads, at least 1.
QFRAME_API unsigned default_thread_count();

// Calls fn(i) for every i in [0, n) on up to `threads` threads (0: default_thread_count()).
// Items are taken in order from a shared counter, so large and small items balance out. The
// first exception thrown stops the hand-out of new items and is rethrown here after all
// threads have finished.
QFRAME_API void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

}  // namespace qframe
