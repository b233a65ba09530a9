#include "baseline.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <numeric>
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

// The caches of the study folder: a file of bytes beside a key file that holds what the bytes
// were made from and their SHA-256, so that damaged or stale bytes are made again, never used.
bool cache_matches(const std::filesystem::path& cache_key, const std::string& key, std::span<const std::byte> bytes) {
    return read_small_file(cache_key) == key + "\nsha256 " + sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

void write_cached(const std::filesystem::path& cache, const std::filesystem::path& cache_key, const std::string& key, std::span<const std::byte> bytes) {
    try {
        write_file_atomically(cache, bytes);
        write_text_atomically(cache_key, key + "\nsha256 " + sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
    } catch (const std::exception& e) {  // the next run makes them again; this one goes on
        spdlog::warn("{} is not cached: {}", cache.string(), e.what());
    }
}

// The study text's tokens, cached in the study folder beside their key (the model's key, the
// text's digest) and their own digest: tokenizing a long text costs more than a small model's
// pass, and a study reads them at every step.
std::vector<int32_t> study_tokens(const Study& study, const GgufFile& file, const std::string& key) {
    const auto cache = study.out / "baseline.tokens.i32", cache_key = study.out / "baseline.tokens.key";
    if (const std::string bytes = read_small_file(cache); bytes.size() % sizeof(int32_t) == 0 && cache_matches(cache_key, key, bytes_of(bytes))) {
        std::vector<int32_t> tokens(bytes.size() / sizeof(int32_t));
        std::memcpy(tokens.data(), bytes.data(), bytes.size());
        return tokens;
    }
    const Tokenizer tokenizer = Tokenizer::from_gguf(file);
    auto tokens = tokenizer.tokenize(engine::read_text(study.eval_text.string()), /*add_special=*/true);
    write_cached(cache, cache_key, key, std::as_bytes(std::span(tokens)));
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
                          uint64_t stream_cap, std::span<const uint32_t> stream_layers) {
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
    const uint64_t stream_bytes = uint64_t(b.plan.n_chunks) * stream_layers.size() * b.plan.n_ctx * b.n_embd * sizeof(float);
    if (stream_layers.empty()) record_streams = false;  // no candidate starts past the first layer
    if (record_streams && stream_bytes > stream_cap) {
        spdlog::info("layer-prefix reuse off: the baseline's layer streams would take {} MiB (cap {} MiB)", stream_bytes >> 20, stream_cap >> 20);
        record_streams = false;
    }
    const uint64_t rows = b.plan.n_chunks * b.plan.scored_per_chunk();
    const bool compact = study.baseline_tail_mass > 0;
    b.nll.resize(rows);

    // The scored log-probabilities (in full, or compact with the positions' NLL), cached beside
    // their key (the model file and the scoring) and their SHA-256: damaged bytes are evaluated
    // again, never used.
    const std::string scoring_key = fmt::format("{} text={} ctx={} chunks={} numerics={}{}", key, text_digest, b.plan.n_ctx, b.plan.n_chunks,
                                                study.numerics, compact ? fmt::format(" tail_mass={} max_tokens={}", study.baseline_tail_mass, study.baseline_max_tokens) : "");
    const auto cache = study.out / (compact ? "baseline.compact.bin" : "baseline.logprobs.f32");
    const auto cache_key = study.out / (compact ? "baseline.compact.key" : "baseline.logprobs.key");
    bool cached = false;
    std::error_code ec;
    if (compact) {
        const std::string bytes = read_small_file(cache);
        const size_t nll_bytes = rows * sizeof(double);
        if (bytes.size() > nll_bytes && cache_matches(cache_key, scoring_key, bytes_of(bytes))) {
            b.compact = CompactLogProbs::parse(bytes_of(bytes).first(bytes.size() - nll_bytes), rows, study.baseline_tail_mass, study.baseline_max_tokens);
            std::memcpy(b.nll.data(), bytes.data() + bytes.size() - nll_bytes, nll_bytes);
        }
        cached = b.compact.has_value();
    } else if (std::filesystem::file_size(cache, ec) == rows * b.n_vocab * sizeof(float)) {
        b.log_probs.resize(rows * b.n_vocab);  // read in place: a large vocabulary's rows are most of the study's memory
        std::ifstream in(cache, std::ios::binary);
        in.read(reinterpret_cast<char*>(b.log_probs.data()), static_cast<std::streamsize>(b.log_probs.size() * sizeof(float)));
        cached = in && cache_matches(cache_key, scoring_key, std::as_bytes(std::span(b.log_probs)));
    }
    if (!cached && read_small_file(cache_key).starts_with(scoring_key + "\nsha256 "))
        spdlog::warn("{}: the cached baseline log-probabilities do not match their digest; evaluating the baseline again", cache.string());
    if (!cached || record_streams) {
        spdlog::info("evaluating the baseline: {} chunks of {} tokens{}", b.plan.n_chunks, b.plan.n_ctx,
                     record_streams ? fmt::format(", keeping its layer streams ({} MiB)", stream_bytes >> 20) : "");
        // One batch per chunk, so that a candidate's pass can restart at any layer.
        engine::Context context(model, b.plan.n_ctx, threads, b.plan.n_ctx, b.numerics);
        if (record_streams) {
            b.streams.resize(b.plan.n_chunks);
            b.stream_layers.assign(stream_layers.begin(), stream_layers.end());
        }
        if (!cached) {
            if (compact) b.compact.emplace(study.baseline_tail_mass, study.baseline_max_tokens, rows);
            else b.log_probs.resize(rows * b.n_vocab);
        }
        std::vector<double> row;
        std::vector<float> lp(b.n_vocab);
        for (uint32_t i = 0; i < b.plan.n_chunks; ++i) {
            context.reset();
            const auto tokens = b.plan.chunk(i);
            const auto logits = engine::scored_rows(
                record_streams ? context.eval_recording(tokens, stream_layers, b.streams[i]) : context.eval(tokens, true), b.plan);
            if (cached) continue;  // the log-probabilities are read already
            for (uint64_t k = 0; k < b.plan.scored_per_chunk(); ++k) {
                engine::log_softmax({logits.data() + k * b.n_vocab, b.n_vocab}, row);
                float* out = compact ? lp.data() : b.log_probs.data() + (i * b.plan.scored_per_chunk() + k) * b.n_vocab;
                for (uint32_t t = 0; t < b.n_vocab; ++t) out[t] = static_cast<float>(row[t]);
                if (!compact) continue;
                b.compact->add_row(lp);
                b.nll[i * b.plan.scored_per_chunk() + k] = -lp[b.plan.next_token(i, b.plan.first_scored() + k)];
            }
        }
        if (compact && !cached) {
            std::vector<std::byte> payload = b.compact->serialize();
            const auto nll = std::as_bytes(std::span(b.nll));
            payload.insert(payload.end(), nll.begin(), nll.end());
            write_cached(cache, cache_key, scoring_key, payload);
        } else if (!cached) {  // written from where they are: a large vocabulary's rows are not copied
            write_cached(cache, cache_key, scoring_key, std::as_bytes(std::span(b.log_probs)));
        }
        b.evaluated = true;
    }
    if (!compact)
        for (uint32_t i = 0; i < b.plan.n_chunks; ++i)
            for (uint64_t k = 0; k < b.plan.scored_per_chunk(); ++k)
                b.nll[i * b.plan.scored_per_chunk() + k] = -b.row(i, k)[b.plan.next_token(i, b.plan.first_scored() + k)];
    const double sum = std::accumulate(b.nll.begin(), b.nll.end(), 0.0);
    b.ppl = std::exp(sum / static_cast<double>(rows));
    return b;
}

}  // namespace qframe::sweep
