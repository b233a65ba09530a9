// Private to the codecs: ggml's IQ tables — lattice grids (each entry packs 4 or 8 grid values
// in bytes), sign patterns and the non-linear 4-bit values — generated from ggml's sources by
// tools/codec/gen_iq_grids.py (the sources' digests head iq_grids.inc). The tests compare each
// table's digest with ggml's memory (tests/codec/test_iq_grids.cpp).
#pragma once

#include <array>
#include <cstdint>

namespace qframe::codec {

#include "codec/iq_grids.inc"

}  // namespace qframe::codec
