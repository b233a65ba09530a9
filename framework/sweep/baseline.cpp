#include "baseline.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>

#include "qframe/engine/llama.hpp"
#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "qframe/runner.hpp"
#include "qframe/sha256.hpp"
#include "qframe/tokenizer.hpp"

namespace qframe::sweep {
namespace {

std::string read_small_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return in ? std::string(std::istreambuf_iterator<char>(in), {}) : std::string();
}

// The baseline model file: the input, or the input through the baseline stages (written once).
std::filesystem::path baseline_model(const Study& study, const std::string& key) {
    if (study.baseline.empty()) return study.input;
    const auto path = study.out / "baseline.gguf", key_path = study.out / "baseline.gguf.key";
    if (std::filesystem::exists(path) && read_small_file(key_path) == key) return path;
    spdlog::info("writing the baseline model {}", path.string());
    Plan plan;
    plan.name = study.name + " baseline";
    plan.input = study.input;
    plan.output = path;
    plan.stages = study.baseline;
    run_plan(plan);
    write_text_atomically(key_path, key);
    return path;
}

}  // namespace

Baseline prepare_baseline(const Study& study, const std::string& key, unsigned threads) {
    Baseline b;
    b.model = baseline_model(study, key);
    const GgufFile file = GgufFile::open(b.model);
    const Tokenizer tokenizer = Tokenizer::from_gguf(file);
    const auto tokens = tokenizer.tokenize(engine::read_text(study.eval_text.string()), /*add_special=*/true);
    b.plan = engine::plan_chunks(study.eval_text.string(), tokens, study.ctx, study.chunks, tokenizer.adds_bos() ? tokenizer.bos() : -1);
    const engine::LlamaModel model = engine::LlamaModel::load(file);
    b.n_vocab = model.config().n_vocab;
    const uint64_t rows = b.plan.n_chunks * b.plan.scored_per_chunk();
    b.log_probs.resize(rows * b.n_vocab);
    b.nll.resize(rows);

    // The scored log-probabilities, cached beside their key (the model file and the scoring).
    const std::string scoring_key = fmt::format("{} text={} ctx={} chunks={}", key, sha256_file(study.eval_text), b.plan.n_ctx, b.plan.n_chunks);
    const auto cache = study.out / "baseline.logprobs.f32", cache_key = study.out / "baseline.logprobs.key";
    if (read_small_file(cache_key) == scoring_key && std::filesystem::file_size(cache) == b.log_probs.size() * sizeof(float)) {
        std::ifstream in(cache, std::ios::binary);
        in.read(reinterpret_cast<char*>(b.log_probs.data()), static_cast<std::streamsize>(b.log_probs.size() * sizeof(float)));
        if (!in) throw Error(fmt::format("{}: read failed", cache.string()));
    } else {
        spdlog::info("evaluating the baseline: {} chunks of {} tokens", b.plan.n_chunks, b.plan.n_ctx);
        engine::LlamaContext context(model, b.plan.n_ctx, threads);
        std::vector<double> row;
        for (uint32_t i = 0; i < b.plan.n_chunks; ++i) {
            const auto logits = engine::scored_logits(context, b.plan, i);
            for (uint64_t k = 0; k < b.plan.scored_per_chunk(); ++k) {
                engine::log_softmax({logits.data() + k * b.n_vocab, b.n_vocab}, row);
                float* out = b.log_probs.data() + (i * b.plan.scored_per_chunk() + k) * b.n_vocab;
                for (uint32_t t = 0; t < b.n_vocab; ++t) out[t] = static_cast<float>(row[t]);
            }
        }
        write_file_atomically(cache, std::as_bytes(std::span(b.log_probs)));
        write_text_atomically(cache_key, scoring_key);
        b.evaluated = true;
    }
    double sum = 0;
    for (uint32_t i = 0; i < b.plan.n_chunks; ++i)
        for (uint64_t k = 0; k < b.plan.scored_per_chunk(); ++k) {
            const double v = -b.row(i, k)[b.plan.next_token(i, b.plan.first_scored() + k)];
            b.nll[i * b.plan.scored_per_chunk() + k] = v;
            sum += v;
        }
    b.ppl = std::exp(sum / static_cast<double>(rows));
    return b;
}

}  // namespace qframe::sweep
