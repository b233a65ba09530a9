// libFuzzer target: the engine's model loader on arbitrary GGUF bytes (hyperparameters, tensor
// shapes and types of every architecture it runs), the vocabulary's tokenizer, and — for a model
// small enough to run in a fuzz iteration — a forward pass of a few tokens. qframe::Error is the
// answer to a bad model; any other exception, a sanitizer report, a crash or logits of the wrong
// shape are findings.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fuzz_support.hpp"
#include "qframe/engine/model.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/tokenizer.hpp"

namespace {

// Larger models load and validate but are not run: a fuzz iteration should take milliseconds.
constexpr uint64_t kMaxRunBytes = 4u << 20;
constexpr uint32_t kMaxRunWidth = 1024, kMaxRunLayers = 8, kMaxRunVocab = 1u << 16;

void run_a_few_tokens(const qframe::engine::Model& model) {
    const auto& c = model.config();
    if (model.weight_bytes() > kMaxRunBytes || c.n_embd > kMaxRunWidth || c.n_ff > 4 * kMaxRunWidth ||
        c.n_layer > kMaxRunLayers || c.n_vocab > kMaxRunVocab || c.n_head > kMaxRunWidth)
        return;
    qframe::engine::Context context(model, 8, 1, 4);
    const std::vector<int32_t> tokens = {0, static_cast<int32_t>(1 % c.n_vocab), static_cast<int32_t>(c.n_vocab - 1)};
    const auto logits = context.eval(tokens, true);
    if (logits.size() != tokens.size() * c.n_vocab) {
        std::fprintf(stderr, "fuzz_model: %zu logits for %zu tokens of a %u-token vocabulary\n", logits.size(), tokens.size(), c.n_vocab);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto file = qframe::GgufFile::parse({reinterpret_cast<const std::byte*>(data), size}, "fuzz.gguf");
        try {
            const auto tokenizer = qframe::Tokenizer::from_gguf(file);
            qframe::fuzz::check_token_ids(tokenizer, tokenizer.tokenize("Hello world, it's 42 <s>!", true, true));
        } catch (const qframe::Error&) {
        }
        run_a_few_tokens(qframe::engine::Model::load(file));
    } catch (const qframe::Error&) {
    }
    return 0;
}
