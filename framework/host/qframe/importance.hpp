// Importance matrices: per column of each matrix, the sum of its inputs' squares over some
// calibration text, and how many input rows were summed — what llama-imatrix measures and what
// the encoders weight their error by. Read and written in both of llama.cpp's formats:
//   - GGUF (current llama.cpp, tools/imatrix): general.type = "imatrix", imatrix.datasets,
//     imatrix.chunk_count, imatrix.chunk_size; per matrix the F32 tensors "<name>.in_sum2"
//     [columns × n_matrices] and "<name>.counts" [1 × n_matrices] (and, newer, "<name>.in_sum").
//   - legacy .dat (llama.cpp c392e50): int32 entry count; per entry int32 name length, the name,
//     int32 ncall, int32 value count, float values (the mean square times ncall); then int32
//     chunk count, int32 length and the dataset's name. Little-endian, no magic.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "qframe/metadata.hpp"

namespace qframe {

// One weight matrix's statistics. Experts (a 3-D *_exps tensor) have one slice per expert.
struct QFRAME_API ImportanceEntry {
    uint32_t n_matrices = 1;
    std::vector<float> sum_squares;  // [n_matrices][columns]: Σ x² per input column
    std::vector<float> counts;       // [n_matrices]: input rows summed (floats, as the GGUF stores them)
    // The calls a legacy .dat counted (llama.cpp c392e50's ncall); 0 when the file did not say.
    int32_t legacy_calls = 0;

    size_t columns() const { return n_matrices ? sum_squares.size() / n_matrices : 0; }
    // The mean squares of one matrix's input columns: what llama-quantize hands the encoders.
    std::vector<float> mean_squares(uint32_t matrix = 0) const;
};

enum class ImportanceFormat { gguf, legacy_dat };

class QFRAME_API ImportanceMatrix {
public:
    std::map<std::string, ImportanceEntry> entries;  // by weight name ("blk.0.attn_q.weight"), sorted
    std::vector<std::string> datasets;               // the calibration texts' names
    uint32_t chunk_count = 0;                        // chunks of text evaluated
    uint32_t chunk_size = 0;                         // tokens per chunk (0: unknown, a legacy file)

    // Reads either format, told apart by content (GGUF's magic). Throws qframe::Error naming
    // the file and, where one is at fault, the entry: a truncated or foreign file, sizes that
    // disagree, NaN, infinite or negative sums, negative counts.
    static ImportanceMatrix read(const std::filesystem::path& path);
    // Writes atomically (complete or absent). Legacy .dat: entries in name order; an entry whose
    // legacy_calls is 0 stores chunk_count as its ncall (what c392e50 counted with one batch
    // per chunk).
    void write(const std::filesystem::path& path, ImportanceFormat format) const;

    const ImportanceEntry* find(std::string_view weight_name) const;
};

class GgufFile;

// What the encoders weigh each tensor of `model` by: per tensor named in `im`, the mean squares
// of its columns (a tensor of experts: expert after expert), as llama-quantize derives them.
// Checked against the model before any work: an entry for a tensor the model lacks (an
// importance matrix of another model), or of another width or expert count, is a qframe::Error
// naming `im_path` and the tensor.
using TensorImportance = std::map<std::string, std::vector<float>, std::less<>>;
QFRAME_API TensorImportance importance_for(const ImportanceMatrix& im, const GgufFile& model, const std::filesystem::path& im_path);

// Which importance matrix a run or a study weighs by, and which of its entries count: those whose
// name contains one of `include` (all when empty), less those containing one of `exclude`
// (llama-quantize's --include-weights / --exclude-weights).
struct ImportanceChoice {
    std::filesystem::path file;  // empty: none
    std::vector<std::string> include{}, exclude{};
};

// The chosen entries of choice.file; none left means the run weighs by nothing.
QFRAME_API ImportanceMatrix read_chosen(const ImportanceChoice& choice);

// The keys llama-quantize writes into a model quantized with `im` (its chosen entries), read from
// `file`: quantize.imatrix.file, .dataset, .entries_count and .chunks_count. Empty for no entries.
QFRAME_API std::vector<std::pair<std::string, Value>> importance_metadata(const ImportanceMatrix& im, const std::filesystem::path& file);

// A digest of what `weights` makes the encoders do: part of the keys of anything computed with them.
QFRAME_API std::string importance_digest(std::span<const float> weights);

// .dat → legacy_dat, anything else → gguf (current llama.cpp's default).
QFRAME_API ImportanceFormat importance_format_for(const std::filesystem::path& path);

}  // namespace qframe
