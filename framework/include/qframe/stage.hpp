// The kinds of pipeline stage a plugin can provide: one interface each, all derived from Stage,
// each naming its StageKind so that registration needs nothing else (see plugin.hpp).
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qframe/findings.hpp"
#include "qframe/metadata.hpp"
#include "qframe/options.hpp"
#include "qframe/types.hpp"

namespace qframe {

// The layer N of a "blk.N.…" tensor name, or -1 for tensors outside the blocks.
QFRAME_API int tensor_layer(std::string_view tensor_name);

// How many blocks blk.0 … blk.N-1 the model has: its `{general.architecture}.block_count`.
// Throws qframe::Error naming the missing or malformed key.
QFRAME_API uint32_t block_count(const Metadata& model);

// The model a tensor comes from, as the input file has it: for stages whose choice depends on
// the whole model (its depth, its head counts, which tensors it has), like llama.cpp's mixes.
struct QFRAME_API ModelInfo {
    const Metadata& metadata;
    std::span<const std::string_view> tensor_names;  // file order
    // Whether the run quantizes with an importance matrix (llama.cpp's has_imatrix: some of its
    // mixes choose other types then).
    bool has_importance = false;

    bool has_tensor(std::string_view name) const;
};

// A tensor as a stage sees it: its current type and bytes (the input's, or an earlier stage's).
// The views point into the model or a stage's result; a TensorData does not outlive the call
// it is handed to.
struct QFRAME_API TensorData {
    std::string_view name;
    uint32_t type_id;
    const TypeInfo* type;  // nullptr for a type id this build does not know
    std::span<const uint64_t> dims;
    std::span<const std::byte> bytes;
    const ModelInfo* model = nullptr;  // the input model; null for a tensor outside one (tests)
    // The importance of each input column (llama-imatrix's mean squares; for a 3-D tensor of
    // experts [n_expert][row_length]) when the run has an importance matrix with this tensor in
    // it; empty otherwise. encoded_as() weighs each value's error by it, as llama-quantize does.
    std::span<const float> importance{};

    std::string type_name() const { return type_name_or_id(type, type_id); }  // "Q4_K", or "type 42"

    uint64_t n_values() const;
    uint64_t row_length() const { return dims.empty() ? 0 : dims[0]; }
    int layer() const { return tensor_layer(name); }  // see tensor_layer
    bool decodable() const;
    // The values as F32; throws qframe::Error naming the tensor when the type cannot be decoded.
    std::vector<float> decode() const;
    // The values encoded as `type` (encode()'s bytes, codec.hpp; weighted by `importance` when
    // it is set), decoded a band of rows at a time: no F32 copy of the whole tensor is made. The
    // rows must be whole blocks of `type`; throws qframe::Error naming the tensor otherwise, or
    // when either type has no codec.
    std::vector<std::byte> encoded_as(TensorType type) const;
};

enum class StageKind { Selector, Quantizer, Analyzer, Evaluator, ModelEvaluator };

// What every stage object is; the catalog creates them all through one factory type.
class Stage {
public:
    virtual ~Stage() = default;
};

// Does a tensor belong to the set a stage works on? `model` is the input model's metadata, for
// rules that depend on the whole model (such as its number of layers).
class Selector : public Stage {
public:
    static constexpr StageKind kind = StageKind::Selector;
    virtual bool selects(const TensorData& tensor, const Metadata& model) const = 0;
};

// Tensor in, tensor out: the same type for fake quantization, or a new GGUF type.
struct QuantizedTensor {
    TensorType type;
    std::vector<std::byte> bytes;  // exactly byte_size(type, n_values)
    Findings findings = Findings::object();
};

class Quantizer : public Stage {
public:
    static constexpr StageKind kind = StageKind::Quantizer;
    // Called from several threads at once on different tensors: keep it free of shared state.
    virtual QuantizedTensor quantize(const TensorData& tensor) const = 0;
    // The type quantize() will give `tensor`, where the quantizer can tell without encoding it
    // (its current type when it leaves the tensor as it is); nullopt when it cannot. A dry run
    // uses it to list each tensor's type and the output's exact size without writing anything.
    virtual std::optional<TensorType> planned_type(const TensorData&) const { return std::nullopt; }
};

// Reads a tensor and reports on it.
class Analyzer : public Stage {
public:
    static constexpr StageKind kind = StageKind::Analyzer;
    virtual Findings analyze(const TensorData& tensor) const = 0;
};

// Compares a tensor before and after the pipeline changed it.
class Evaluator : public Stage {
public:
    static constexpr StageKind kind = StageKind::Evaluator;
    virtual Findings evaluate(const TensorData& before, const TensorData& after) const = 0;
};

// A whole model as a model evaluator sees it: the input's metadata and each tensor's current
// type and bytes (from the input mapping, or as an earlier stage left it).
class ModelView {
public:
    virtual ~ModelView() = default;
    virtual const Metadata& metadata() const = 0;
    virtual std::vector<std::string> tensor_names() const = 0;  // file order
    virtual std::optional<TensorData> tensor(std::string_view name) const = 0;
    virtual const std::filesystem::path& source() const = 0;    // the input file
};

// Reports on progress of long work: units done, total.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Compares whole models (perplexity, KL divergence, generations, sizes): runs once per stage on
// the input model and the pipeline's result so far.
class ModelEvaluator : public Stage {
public:
    static constexpr StageKind kind = StageKind::ModelEvaluator;
    virtual Findings evaluate(const ModelView& original, const ModelView& result, const ProgressFn& progress) const = 0;
};

}  // namespace qframe
