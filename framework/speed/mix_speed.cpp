#include "mix_speed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "qframe/error.hpp"
#include "qframe/sha256.hpp"

namespace qframe::speed {

std::vector<MatrixUse> matrix_uses(const GgufFile& file) {
    const bool tied = file.find_tensor("output.weight") == nullptr;
    std::vector<MatrixUse> out;
    for (const auto& t : file.tensors()) {
        if (t.dims.size() < 2 || !t.known_type()) continue;
        const bool output = t.name == "output.weight" || (tied && t.name == "token_embd.weight");
        if (t.name == "token_embd.weight" && !output) continue;
        out.push_back({t.name, std::string(t.type->name), t.dims[0], t.n_values / t.dims[0]});
    }
    return out;
}

std::string shape_key(const GgufFile& file) {
    std::string text = file.metadata().get_string("general.architecture").value_or("");
    for (const auto& t : file.tensors()) {
        text += '\n' + t.name;
        for (const uint64_t d : t.dims) text += fmt::format(" {}", d);
    }
    return sha256_hex(text).substr(0, 16);
}

MatrixSeconds matrix_seconds(const TimingTable& table, std::span<const MatrixUse> uses) {
    MatrixSeconds out;
    for (const auto& u : uses) {
        const TypeTiming* t = table.find(u.type, u.cols, u.rows);
        if (!t) {
            const std::string what = fmt::format("{} {}×{}", u.type, u.cols, u.rows);
            if (std::find(out.missing.begin(), out.missing.end(), what) == out.missing.end()) out.missing.push_back(what);
            continue;
        }
        out.prompt += t->prompt_seconds * table.prompt_tokens;
        out.generation += t->generation_seconds;
    }
    return out;
}

SpeedPrediction predict(const MatrixSeconds& products, const PassRest& rest) {
    if (!products.missing.empty())
        throw Error(fmt::format("the table has no time for {}{}: run `qframe bench-types` on the model with that type", products.missing.front(),
                                products.missing.size() > 1 ? fmt::format(" (and {} more)", products.missing.size() - 1) : ""));
    // A rest below zero (a noisy pass whose products' clocks summed to more than the pass) still
    // adds: it is what the measurements say; a pass cannot take less than nothing.
    const double prompt = std::max(products.prompt + rest.prompt_seconds, 1e-9), generation = std::max(products.generation + rest.generation_seconds, 1e-9);
    return {rest.prompt_tokens / prompt, 1.0 / generation};
}

double relative_error(double predicted, double measured) { return measured > 0 ? predicted / measured - 1 : 0; }

void SpeedErrors::add(const SpeedPrediction& predicted, const SpeedPrediction& measured) {
    const double prompt = std::abs(relative_error(predicted.prompt_tps, measured.prompt_tps));
    const double gen = std::abs(relative_error(predicted.gen_tps, measured.gen_tps));
    const double n = static_cast<double>(files);
    prompt_mean = (prompt_mean * n + prompt) / (n + 1);
    gen_mean = (gen_mean * n + gen) / (n + 1);
    prompt_worst = std::max(prompt_worst, prompt);
    gen_worst = std::max(gen_worst, gen);
    ++files;
}

std::string SpeedErrors::summary() const {
    return fmt::format("mean |error| {:.1f}% for prompts (worst {:.1f}%), {:.1f}% for generation (worst {:.1f}%)", 100 * prompt_mean, 100 * prompt_worst,
                       100 * gen_mean, 100 * gen_worst);
}

}  // namespace qframe::speed
