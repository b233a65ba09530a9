#include "qframe/engine/pass_timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace qframe::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int32_t most_probable(std::span<const float> logits) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

PassSeconds median_of(std::span<const PassSeconds> passes) {
    std::vector<double> prompt, generation;
    for (const auto& p : passes) {
        prompt.push_back(p.prompt);
        generation.push_back(p.generation);
    }
    return {median(prompt), median(generation)};
}

std::vector<int32_t> probe_tokens(const Model& model, size_t n) {
    std::vector<int32_t> tokens;
    const uint32_t vocab = model.config().n_vocab;
    const auto bos = model.config().bos_token;
    for (size_t i = 0; i < n; ++i)
        tokens.push_back(i == 0 && bos && *bos >= 0 ? *bos : static_cast<int32_t>((i * 7919 + 13) % vocab));
    return tokens;
}

PassSeconds time_pass(Context& context, std::span<const int32_t> prompt, uint32_t gen_tokens, ProductSeconds* prompt_clock,
                      ProductSeconds* generation_clock) {
    context.reset();
    PassSeconds out;
    context.time_products(prompt_clock);
    auto start = Clock::now();
    const auto logits = context.eval(prompt, false);
    out.prompt = seconds_since(start);
    context.time_products(generation_clock);
    start = Clock::now();
    int32_t next = most_probable(logits);
    for (uint32_t i = 0; i < gen_tokens; ++i) next = most_probable(context.eval(std::span(&next, 1), false));
    out.generation = gen_tokens ? seconds_since(start) / gen_tokens : 0;
    context.time_products(nullptr);
    return out;
}

PassProfile median_pass(const Model& model, uint32_t prompt_tokens, uint32_t gen_tokens, unsigned threads, Numerics numerics,
                        unsigned repetitions, unsigned warmup, double min_seconds) {
    const auto tokens = probe_tokens(model, prompt_tokens);
    Context context(model, prompt_tokens + gen_tokens + 1, threads, prompt_tokens, numerics);
    for (unsigned i = 0; i < warmup; ++i) time_pass(context, tokens, gen_tokens);  // touches the weights, wakes the threads
    std::vector<PassSeconds> passes;
    PassProfile out;
    unsigned n = 0;
    double spent = 0;
    for (; n < std::max(1u, repetitions) || spent < min_seconds; ++n) {
        passes.push_back(time_pass(context, tokens, gen_tokens, &out.prompt_products, &out.generation_products));
        spent += passes.back().prompt + passes.back().generation * gen_tokens;
    }
    out.median = median_of(passes);
    for (auto& [_, seconds] : out.prompt_products) seconds /= n;
    for (auto& [_, seconds] : out.generation_products) seconds /= static_cast<double>(n) * std::max(1u, gen_tokens);
    return out;
}

std::vector<PassSeconds> median_passes_interleaved(std::span<const Model> models, uint32_t prompt_tokens, uint32_t gen_tokens, unsigned threads,
                                                   Numerics numerics, unsigned repetitions, double min_seconds,
                                                   const std::function<void(size_t, size_t)>& progress) {
    if (models.empty()) return {};
    const auto tokens = probe_tokens(models.front(), prompt_tokens);
    std::vector<Context> contexts;
    for (const auto& m : models) contexts.emplace_back(m, prompt_tokens + gen_tokens + 1, threads, prompt_tokens, numerics);
    for (auto& c : contexts) time_pass(c, tokens, gen_tokens);  // warm-up
    std::vector<std::vector<PassSeconds>> passes(models.size());
    std::vector<double> spent(models.size(), 0.0);
    double least_spent = 0;
    for (unsigned round = 0; round < std::max(1u, repetitions) || least_spent < min_seconds; ++round) {
        for (size_t i = 0; i < contexts.size(); ++i) {
            passes[i].push_back(time_pass(contexts[i], tokens, gen_tokens));
            spent[i] += passes[i].back().prompt + passes[i].back().generation * gen_tokens;
        }
        least_spent = *std::min_element(spent.begin(), spent.end());
        if (progress) {
            const double per_round = least_spent / (round + 1);
            const size_t rounds = std::max<size_t>(std::max(1u, repetitions), per_round > 0 ? static_cast<size_t>(std::ceil(min_seconds / per_round)) : 0);
            progress(round + 1, std::max<size_t>(rounds, round + 1));
        }
    }
    std::vector<PassSeconds> out;
    for (const auto& p : passes) out.push_back(median_of(p));
    return out;
}

}  // namespace qframe::engine
