#include "qframe/engine/scoring.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "qframe/error.hpp"
#include "qframe/input_file.hpp"

namespace qframe::engine {

std::string read_text(const std::string& path) {
    return read_evaluation_text(path);
}

ChunkPlan plan_chunks(const std::string& text_path, const std::vector<int32_t>& tokens, uint32_t n_ctx, uint32_t max_chunks, int32_t bos) {
    if (tokens.size() < 2ull * n_ctx)
        throw Error(fmt::format("{} tokenizes to {} tokens; a context of {} needs at least {}", text_path, tokens.size(), n_ctx, 2 * n_ctx));
    ChunkPlan plan{tokens, n_ctx, static_cast<uint32_t>(tokens.size() / n_ctx), bos};
    if (max_chunks) plan.n_chunks = std::min(plan.n_chunks, max_chunks);
    return plan;
}

std::vector<int32_t> ChunkPlan::chunk(uint32_t i) const {
    std::vector<int32_t> out(tokens.begin() + static_cast<ptrdiff_t>(i) * n_ctx, tokens.begin() + static_cast<ptrdiff_t>(i + 1) * n_ctx);
    if (bos >= 0) out[0] = bos;
    return out;
}

// llama-perplexity's own arithmetic (log_softmax in examples/perplexity/perplexity.cpp), so that
// identical logits give its perplexity to the last digit: float differences from the max, their
// expf summed in double.
double log_prob(std::span<const float> logits, int32_t token) {
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float l : logits) sum += std::exp(l - max);
    return static_cast<double>(logits[token] - max) - std::log(sum);
}

void log_softmax(std::span<const float> logits, std::vector<double>& out) {
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
    const double log_sum = std::log(sum);
    out.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - max - log_sum;
}

std::vector<float> scored_logits(Context& context, const ChunkPlan& plan, uint32_t i) {
    context.reset();
    const auto tokens = plan.chunk(i);
    return scored_rows(context.eval(tokens, true), plan);
}

std::vector<float> scored_rows(std::vector<float> all, const ChunkPlan& plan) {
    const size_t n_vocab = all.size() / plan.n_ctx;
    all.erase(all.begin(), all.begin() + static_cast<ptrdiff_t>(plan.first_scored() * n_vocab));
    all.resize(plan.scored_per_chunk() * n_vocab);  // the last position predicts past the chunk
    return all;
}

}  // namespace qframe::engine
