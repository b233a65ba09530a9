// How the threads of the streamed stage (runner.cpp) share the tensors: in units of one tensor to
// quantize, or of a run of untouched tensors that one kernel call copies, and in which order they
// take those units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "qframe/export.hpp"

namespace qframe {

struct StreamedTensor {
    bool quantized;             // the stage rewrites it
    const std::byte* in_input;  // where its bytes lie in the input file's mapping, or nullptr
    uint64_t n_bytes;           // now, which is also its size in the output when not quantized
    uint64_t n_values;
};

struct StreamUnit {
    size_t first, last;  // tensors first…last, in file order
};

// Untouched tensors that lie in the input one after the other as they will in the output (each
// at the next multiple of `alignment`) form one unit: a call per tensor cost a third more than
// cp's single call (measured); every quantized tensor is a unit of its own.
QFRAME_API std::vector<StreamUnit> stream_units(std::span<const StreamedTensor> tensors, uint64_t alignment);

// Indices into `units`, in the order the threads take them: file order, so that results can go
// straight to their place; but a quantized tensor with more work than what follows it can keep
// the other threads busy with goes first, or the stage would end with one thread working alone
// on it (TinyLlama's output.weight: a 65M-value Q6_K, last in the file). Work is counted in
// values quantized; copies count as none.
QFRAME_API std::vector<size_t> work_order(std::span<const StreamUnit> units, std::span<const StreamedTensor> tensors, unsigned threads);

}  // namespace qframe
