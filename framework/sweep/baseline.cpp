#include "baseline.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "qframe/engine/model.hpp"
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

// The study text's tokens, cached in the study folder beside their key (the model's key, the
// text's digest) and their own digest: tokenizing a long text costs more than a small model's
// pass, and a study reads them at every step.
std::vector<int32_t> study_tokens(const Study& study, const GgufFile& file, const std::string& key) {
    const auto cache = study.out / "baseline.tokens.i32", cache_key = study.out / "baseline.tokens.key";
    const auto digest_of = [](const std::vector<int32_t>& v) {
        return sha256_hex(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int32_t)));
    };
    const std::string stored = read_small_file(cache_key), prefix = key + "\nsha256 ";
    if (stored.starts_with(prefix)) {
        const std::string bytes = read_small_file(cache);
        std::vector<int32_t> tokens(bytes.size() / sizeof(int32_t));
        std::memcpy(tokens.data(), bytes.data(), tokens.size() * sizeof(int32_t));
        if (bytes.size() % sizeof(int32_t) == 0 && stored.substr(prefix.size()) == digest_of(tokens)) return tokens;
    }
    const Tokenizer tokenizer = Tokenizer::from_gguf(file);
    auto tokens = tokenizer.tokenize(engine::read_text(study.eval_text.string()), /*add_special=*/true);
    try {
        write_file_atomically(cache, std::as_bytes(std::span(tokens)));
        write_text_atomically(cache_key, prefix + digest_of(tokens));
    } catch (const std::exception& e) {  // the next step tokenizes again; this one goes on
        spdlog::warn("the study text's tokens are not cached: {}", e.what());
    }
    return tokens;
}

}  // namespace

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
    plan.imatrix = study.imatrix;
    run_plan(plan);
    write_text_atomically(key_path, key);
    return path;
}

Baseline prepare_baseline(const Study& study, const GgufFile& file, const std::string& key, unsigned threads, bool record_streams,
                          uint64_t stream_cap) {
    Baseline b;
    b.numerics = *engine::numerics_from_name(study.numerics);
    const std::string text_digest = sha256_file(study.eval_text);
    const auto tokens = study_tokens(study, file, fmt::format("{} text={}", key, text_digest));
    const Tokenizer tokenizer = Tokenizer::from_gguf(file);
    b.plan = engine::plan_chunks(study.eval_text.string(), tokens, study.ctx, study.chunks, tokenizer.adds_bos() ? tokenizer.bos() : -1);
    const engine::Model model = engine::Model::load(file);
    b.n_vocab = model.config().n_vocab;
    b.n_layer = model.config().n_layer;
    b.n_embd = model.config().n_embd;
    const uint64_t stream_bytes = uint64_t(b.plan.n_chunks) * (b.n_layer + 1) * b.plan.n_ctx * b.n_embd * sizeof(float);
    if (record_streams && stream_bytes > stream_cap) {
        spdlog::info("layer-prefix reuse off: the baseline's layer streams would take {} MiB (cap {} MiB)", stream_bytes >> 20, stream_cap >> 20);
        record_streams = false;
    }
    const uint64_t rows = b.plan.n_chunks * b.plan.scored_per_chunk();
    b.log_probs.resize(rows * b.n_vocab);
    b.nll.resize(rows);

    // The scored log-probabilities, cached beside their key (the model file and the scoring).
    const std::string scoring_key = fmt::format("{} text={} ctx={} chunks={} numerics={}", key, text_digest,
                                                b.plan.n_ctx, b.plan.n_chunks, study.numerics);
    const auto cache = study.out / "baseline.logprobs.f32", cache_key = study.out / "baseline.logprobs.key";
    // The key file holds the scoring key and the SHA-256 of the log-probabilities: damaged bytes
    // are evaluated again, never used.
    const auto digest_of = [](const std::vector<float>& v) {
        return sha256_hex(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    };
    const std::string stored_key = read_small_file(cache_key), key_prefix = scoring_key + "\nsha256 ";
    std::error_code ec;
    bool cached = stored_key.starts_with(key_prefix) && std::filesystem::file_size(cache, ec) == b.log_probs.size() * sizeof(float);
    if (cached) {
        std::ifstream in(cache, std::ios::binary);
        in.read(reinterpret_cast<char*>(b.log_probs.data()), static_cast<std::streamsize>(b.log_probs.size() * sizeof(float)));
        if (!in || stored_key.substr(key_prefix.size()) != digest_of(b.log_probs)) {
            spdlog::warn("{}: the cached baseline log-probabilities do not match their digest; evaluating the baseline again",
                         cache.string());
            cached = false;
        }
    }
    if (!cached || record_streams) {
        spdlog::info("evaluating the baseline: {} chunks of {} tokens{}", b.plan.n_chunks, b.plan.n_ctx,
                     record_streams ? fmt::format(", keeping its layer streams ({} MiB)", stream_bytes >> 20) : "");
        // One batch per chunk, so that a candidate's pass can restart at any layer.
        engine::Context context(model, b.plan.n_ctx, threads, b.plan.n_ctx, b.numerics);
        if (record_streams) b.streams.resize(b.plan.n_chunks);
        std::vector<double> row;
        for (uint32_t i = 0; i < b.plan.n_chunks; ++i) {
            context.reset();
            const auto tokens = b.plan.chunk(i);
            const auto logits = engine::scored_rows(
                record_streams ? context.eval_recording(tokens, b.streams[i]) : context.eval(tokens, true), b.plan);
            if (cached) continue;  // the log-probabilities are read already
            for (uint64_t k = 0; k < b.plan.scored_per_chunk(); ++k) {
                engine::log_softmax({logits.data() + k * b.n_vocab, b.n_vocab}, row);
                float* out = b.log_probs.data() + (i * b.plan.scored_per_chunk() + k) * b.n_vocab;
                for (uint32_t t = 0; t < b.n_vocab; ++t) out[t] = static_cast<float>(row[t]);
            }
        }
        if (!cached) try {
                write_file_atomically(cache, std::as_bytes(std::span(b.log_probs)));
                write_text_atomically(cache_key, key_prefix + digest_of(b.log_probs));
            } catch (const std::exception& e) {  // the next run evaluates it again; this one goes on
                spdlog::warn("the baseline's log-probabilities are not cached: {}", e.what());
            }
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
