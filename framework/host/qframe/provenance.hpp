// What a written model says about how it was made: general.file_type and
// general.quantization_version as llama.cpp reads them, and qframe.* keys naming the qframe
// version, the recipe, the input and the date.
#pragma once

#include "qframe/export.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qframe/file_type.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/metadata.hpp"

namespace qframe {

namespace provenance_key {
inline constexpr std::string_view version = "qframe.version";
inline constexpr std::string_view date = "qframe.date";
inline constexpr std::string_view recipe_name = "qframe.recipe.name";
inline constexpr std::string_view recipe_sha256 = "qframe.recipe.sha256";
inline constexpr std::string_view recipe_text = "qframe.recipe.text";
inline constexpr std::string_view recipe_overrides = "qframe.recipe.overrides";
inline constexpr std::string_view input_file = "qframe.input.file";
inline constexpr std::string_view input_sha256 = "qframe.input.sha256";
inline constexpr std::string_view page_padding = "qframe.padding";
}  // namespace provenance_key

// The page size the output's data section is placed for (x86-64's and most ARM64 Linux kernels'):
// a constant, not the machine's, so that the same run writes the same bytes everywhere.
inline constexpr uint64_t kCopyPageBytes = 4096;

// One key the output's metadata is given, whatever the input says (a recipe's `metadata:`,
// `qframe quantize --override-kv`, llama-quantize's quantize.imatrix.* keys).
struct MetadataSetting {
    std::string key;
    Value value;
};

// "TYPE:VALUE" as llama.cpp's --override-kv writes it: int (stored as i32, as llama-quantize
// does), float (f32), bool (true/false), str; and u32 for the keys llama.cpp reads as u32
// (general.file_type). Throws qframe::Error naming the key: an unknown type, a value that does
// not parse or does not fit, a string over 127 bytes (llama.cpp's limit), or a key qframe
// writes itself (qframe.*) or that shapes the file (general.alignment).
QFRAME_API MetadataSetting parse_metadata_setting(const std::string& key, const std::string& typed_value);

struct Provenance {
    std::string recipe_name;
    std::string recipe_text;                     // empty: the plan was not read from a recipe
    std::vector<std::string> recipe_overrides;   // --set STAGE.OPTION=VALUE, in order
    std::string input_file;                      // the input's file name, without its folder
    std::string input_sha256;                    // empty: not computed (--no-hash), not written
    std::vector<MetadataSetting> metadata{};     // set in this order after the keys above
};

// The output's metadata: the input's, with
// - when a quantizer rewrote any tensor (`rewritten`), what llama-quantize always writes:
//   general.quantization_version = 2, and general.file_type as llama.cpp guesses it from the
//   types (file_type.hpp) when a type changed; otherwise the input's value stays (types alone
//   cannot tell Q4_K_S from Q4_K_M), or the guess is added where the input has none;
// - provenance.metadata's keys set, in order;
// - every qframe.* key of the input replaced by this run's.
// Which keys there are depends on `rewritten` only, never on the types, so a header's size is
// known before the quantizers run. `before` and `after` list the same tensors, in the same order.
QFRAME_API Metadata output_metadata(const Metadata& input, std::span<const NamedTensorType> before,
                                    std::span<const NamedTensorType> after, bool rewritten, const Provenance& provenance);

// The layout of a run's output from `input`: its version and padding, output_metadata's keys,
// and last qframe.padding, spaces that start the output's data section at the input's offset
// within a page (kCopyPageBytes). The kernel then copies untouched tensors page to page: a 2 GiB
// copy_file_range at offsets that differ within their pages took 15% longer (docs/performance.md).
// `after` gives each of the input's tensors' type in the output, in file order.
QFRAME_API GgufLayout output_layout(const GgufFile& input, std::span<const NamedTensorType> after, bool rewritten,
                                    const Provenance& provenance);

// The time a run records, ISO 8601 UTC to the second: now, or SOURCE_DATE_EPOCH when it is set
// (the reproducible-builds convention), so that two runs can be compared byte for byte.
QFRAME_API std::string provenance_date();

}  // namespace qframe
