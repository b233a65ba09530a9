// llama.cpp's standard type mixes (llama-quantize's Q2_K … Q8_0 "ftypes") for the llama
// architecture: which GGUF type each tensor gets. A transcription of llama_tensor_get_type and
// the tensor filter of llama_model_quantize_impl (src/llama-quant.cpp, llama.cpp c392e50),
// without an importance matrix and without the IQ mixes; checked against llama-quantize's own
// choices in tests/cli/data/llama_mixes/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "qframe/stage.hpp"
#include "qframe/types.hpp"

namespace qframe::llama_mix {

enum class Mix { Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 };

struct MixInfo {
    Mix mix;
    const char* name;   // as llama-quantize spells it: "Q4_K_M"
    TensorType base;    // the type most tensors get
};

// nullptr for a name that is not one of the mixes.
const MixInfo* find_mix(std::string_view name);
std::string mix_names();  // "Q2_K, Q3_K_S, …", for messages

// The type llama-quantize gives `tensor` (its name, dims and model) under `mix`; nullopt when
// it leaves the tensor as it is (norms, 1-D tensors, …). Throws qframe::Error where
// llama-quantize refuses (rows that fit no type of the mix), and for a model that is not llama.
std::optional<TensorType> mix_type(const MixInfo& mix, const TensorData& tensor);

}  // namespace qframe::llama_mix
