// qframe imatrix MODEL --text FILE [--ctx N] [--chunks N] [--threads N] -o OUT
// qframe imatrix --convert IN OUT
// An importance matrix as llama-imatrix (llama.cpp c392e50) measures it, on qframe's engine: the
// text tokenized with BOS, cut into chunks of --ctx tokens (each chunk's first token BOS), each
// chunk evaluated in batches of at most 512 (llama.cpp's micro-batch), every product's inputs
// summed (qframe/engine/importance_collector.hpp). OUT's extension picks the format: .dat for
// llama.cpp c392e50's, anything else GGUF (current llama.cpp's).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common.hpp"
#include "progress.hpp"
#include "qframe/engine/importance_collector.hpp"
#include "qframe/engine/model.hpp"
#include "qframe/engine/scoring.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/importance.hpp"
#include "qframe/tokenizer.hpp"

namespace qframe::cli {
namespace {

constexpr uint32_t kMicroBatch = 512;  // llama.cpp's default n_ubatch: one product per 512 tokens

int convert(const std::string& in, const std::string& out) {
    refuse_overwriting(out, {in});
    const ImportanceMatrix im = ImportanceMatrix::read(in);
    im.write(out, importance_format_for(out));
    spdlog::info("wrote {} ({} entries, {})", out, im.entries.size(), importance_format_for(out) == ImportanceFormat::legacy_dat ? "llama.cpp .dat" : "GGUF");
    return 0;
}

}  // namespace

int run_imatrix(const std::vector<std::string>& args) {
    po::options_description options("imatrix options");
    options.add_options()
        ("model", po::value<std::string>(), "GGUF model to measure")
        ("text,f", po::value<std::string>(), "calibration text (UTF-8)")
        ("output,o", po::value<std::string>(), "importance matrix to write (.dat: llama.cpp c392e50's format; else GGUF)")
        ("ctx,c", po::value<uint32_t>()->default_value(512), "tokens per chunk (llama-imatrix's default: 512)")
        ("chunks", po::value<uint32_t>()->default_value(0), "chunks to evaluate (0: the whole text)")
        ("threads,t", po::value<unsigned>()->default_value(0), "threads (0: every hardware thread)")
        ("convert", po::value<std::vector<std::string>>()->multitoken(), "IN OUT: rewrite an importance matrix in OUT's format");
    po::positional_options_description positional;
    positional.add("model", 1);
    const auto vm = parse(args, "qframe imatrix MODEL --text FILE [--ctx N] [--chunks N] -o OUT | qframe imatrix --convert IN OUT", options, positional);
    if (!vm) return 0;
    if (vm->count("convert")) {
        const auto files = (*vm)["convert"].as<std::vector<std::string>>();
        if (files.size() != 2 || vm->count("model")) throw UsageError("--convert takes two files, IN and OUT, and nothing else");
        return convert(files[0], files[1]);
    }
    for (const char* required : {"model", "text", "output"})
        if (!vm->count(required)) throw UsageError(fmt::format("--{} is required", required));
    const std::string model_path = (*vm)["model"].as<std::string>(), text_path = (*vm)["text"].as<std::string>();
    const std::string out = (*vm)["output"].as<std::string>();
    const uint32_t n_ctx = (*vm)["ctx"].as<uint32_t>();
    if (n_ctx < 16) throw UsageError(fmt::format("--ctx {}: llama-imatrix measures products of 16 tokens or more", n_ctx));

    // Every check before the work: the output is writable in place, the model loads, the text
    // is long enough.
    refuse_overwriting(out, {model_path, text_path});
    const GgufFile file = GgufFile::open(model_path);
    const engine::Model model = engine::Model::load(file);
    const Tokenizer tokenizer = Tokenizer::from_gguf(file);
    const auto tokens = tokenizer.tokenize(engine::read_text(text_path), /*add_special=*/true);
    const engine::ChunkPlan plan = engine::plan_chunks(text_path, tokens, n_ctx, (*vm)["chunks"].as<uint32_t>(),
                                                       tokenizer.adds_bos() ? tokenizer.bos() : -1);

    engine::Context context(model, n_ctx, (*vm)["threads"].as<unsigned>(), std::min(n_ctx, kMicroBatch));
    engine::ImportanceCollector collector;
    context.observe(&collector);
    ProgressBar progress(spdlog::get_level() <= spdlog::level::info);
    for (uint32_t i = 0; i < plan.n_chunks; ++i) {
        context.reset();
        context.eval(plan.chunk(i), false);
        progress.update("imatrix", i + 1, plan.n_chunks);
    }
    progress.finish();
    const ImportanceMatrix im = collector.result({text_path}, plan.n_chunks, n_ctx);
    im.write(out, importance_format_for(out));
    spdlog::info("wrote {}: {} matrices measured on {} chunks of {} tokens", out, im.entries.size(), plan.n_chunks, n_ctx);
    return 0;
}

}  // namespace qframe::cli
