// qframe bench-types MODEL [--types LIST] [--threads N] [--prompt-tokens N] [--repetitions N] [--out DIR] [--force]
// The engine's time per token for every matrix shape of MODEL at every type: prompt batches and
// one-token generation, kept in a table per machine (reused by later runs) and reported for the
// model (docs/speed.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

#include "common.hpp"
#include "progress.hpp"
#include "qframe/engine/type_timing.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "speed/type_report.hpp"
#include "speed/type_table.hpp"

namespace qframe::cli {
namespace {

// The types a mix can give a matrix, widest first: what llama.cpp's mixes and qframe's plans use.
constexpr const char* kDefaultTypes =
    "F16,BF16,Q8_0,Q6_K,Q5_K,Q5_1,Q5_0,Q4_K,Q4_1,Q4_0,IQ4_XS,IQ4_NL,Q3_K,IQ3_S,IQ3_XXS,Q2_K,IQ2_S,IQ2_XS,IQ2_XXS,IQ1_M,IQ1_S";

std::vector<std::string> parse_types(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        if (name.empty()) continue;
        const TypeInfo* type = find_type(name);
        if (!type) throw UsageError(fmt::format("--types: '{}' is not a ggml type", name));
        if (!engine::can_time(type->type, type->block_size))
            throw UsageError(fmt::format("--types: qframe cannot time {} (its codecs do not encode and decode it)", type->name));
        if (std::find(out.begin(), out.end(), type->name) == out.end()) out.emplace_back(type->name);
    }
    if (out.empty()) throw UsageError("--types names no type");
    return out;
}

// The shapes of the model's matrix products: every tensor of 2 or more dimensions but the token
// embeddings (rows looked up, not multiplied); an expert tensor counts once per expert.
std::vector<speed::MatrixShape> matrix_shapes(const GgufFile& file) {
    std::map<std::pair<uint64_t, uint64_t>, speed::MatrixShape> by_shape;
    std::vector<std::pair<uint64_t, uint64_t>> order;
    for (const auto& t : file.tensors()) {
        if (t.dims.size() < 2 || t.name == "token_embd.weight") continue;
        const auto key = std::make_pair(t.dims[0], t.dims[1]);
        auto [it, added] = by_shape.try_emplace(key, speed::MatrixShape{t.dims[0], t.dims[1], {}});
        if (added) order.push_back(key);
        const uint64_t copies = t.dims.size() > 2 ? t.dims[2] : 1;
        for (uint64_t e = 0; e < copies; ++e) it->second.tensors.push_back(copies > 1 ? fmt::format("{}[{}]", t.name, e) : t.name);
    }
    std::vector<speed::MatrixShape> out;
    for (const auto& k : order) out.push_back(by_shape.at(k));
    return out;
}

std::string utc_date() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

}  // namespace

int run_bench_types(const std::vector<std::string>& args) {
    po::options_description options("bench-types options");
    options.add_options()
        ("model", po::value<std::string>(), "GGUF model whose matrix shapes are timed")
        ("types", po::value<std::string>()->default_value(kDefaultTypes), "comma-separated types to time")
        ("threads,t", po::value<unsigned>()->default_value(0), "threads (0: every hardware thread)")
        ("prompt-tokens", po::value<uint32_t>()->default_value(512), "tokens of a prompt batch (llama-bench's -p)")
        ("repetitions,r", po::value<unsigned>()->default_value(5), "timed repetitions of each product, after a warm-up (the median is kept)")
        ("out,o", po::value<std::string>()->default_value("bench-types"), "folder of the tables (one per machine, threads and batch) and the model's report")
        ("force", "measure again what the table holds already");
    po::positional_options_description positional;
    positional.add("model", 1);
    const auto vm = parse(args, "qframe bench-types MODEL [--types LIST] [--threads N] [--prompt-tokens N] [--repetitions N] [--out DIR] [--force]",
                          options, positional);
    if (!vm) return 0;
    if (!vm->count("model")) throw UsageError("MODEL is required");
    const std::vector<std::string> types = parse_types((*vm)["types"].as<std::string>());
    const uint32_t prompt_tokens = (*vm)["prompt-tokens"].as<uint32_t>();
    if (prompt_tokens < 1 || prompt_tokens > 8192) throw UsageError(fmt::format("--prompt-tokens {}: 1 to 8192", prompt_tokens));
    const unsigned repetitions = (*vm)["repetitions"].as<unsigned>();
    if (repetitions < 1 || repetitions > 1000) throw UsageError(fmt::format("--repetitions {}: 1 to 1000", repetitions));
    unsigned threads = (*vm)["threads"].as<unsigned>();
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    const std::filesystem::path model_path = (*vm)["model"].as<std::string>(), out = (*vm)["out"].as<std::string>();

    // Every check before the work: the model's shapes, the table (readable, of this key).
    const GgufFile file = GgufFile::open(model_path);
    const std::vector<speed::MatrixShape> shapes = matrix_shapes(file);
    if (shapes.empty()) throw Error(fmt::format("{} has no matrix to time", model_path.string()));
    speed::TimingTable key;
    key.cpu = speed::this_cpu();
    key.threads = threads;
    key.prompt_tokens = prompt_tokens;
    const auto table_path = speed::table_file(out, key);
    speed::TimingTable table = vm->count("force") ? key : speed::read_table(table_path, key);
    std::filesystem::create_directories(out);

    std::vector<std::pair<const speed::MatrixShape*, std::string>> todo;
    size_t reused = 0, untimeable = 0;
    for (const auto& s : shapes)
        for (const auto& t : types) {
            if (!engine::can_time(find_type(t)->type, s.cols)) ++untimeable;
            else if (table.find(t, s.cols, s.rows)) ++reused;
            else todo.emplace_back(&s, t);
        }
    spdlog::info("{}: {} shape(s) × {} type(s): {} to time, {} from {}{}", model_path.filename().string(), shapes.size(), types.size(), todo.size(),
                 reused, table_path.string(), untimeable ? fmt::format(", {} not whole blocks of their type (left out)", untimeable) : "");

    engine::TimingOptions timing;
    timing.prompt_tokens = prompt_tokens;
    timing.threads = threads;
    timing.repetitions = repetitions;
    ProgressBar bar(spdlog::get_level() <= spdlog::level::info);
    const std::string date = utc_date();
    for (size_t i = 0; i < todo.size(); ++i) {
        const auto& [shape, type] = todo[i];
        bar.update("timing", i, todo.size());
        const TypeInfo& info = *find_type(type);
        const engine::ProductTiming t = engine::time_product(info.type, shape->cols, shape->rows, timing);
        table.put({type, shape->cols, shape->rows, 8.0 * info.block_bytes / info.block_size, t.prompt_seconds, t.generation_seconds, date});
        speed::write_table(table_path, table);  // after each one: an interrupted run keeps what it measured
        spdlog::debug("{} {}×{}: prompt {:.2f} µs/token, generation {:.1f} µs", type, shape->cols, shape->rows, t.prompt_seconds * 1e6,
                      t.generation_seconds * 1e6);
    }
    bar.update("timing", todo.size(), todo.size());
    const auto report_dir = out / model_path.stem();
    speed::write_type_report(report_dir, model_path.filename().string(), shapes, types, table);
    fmt::print("{}: {} shape(s) × {} type(s) ({} timed now, {} from the table) on {}, {} thread(s); report in {}\n", model_path.filename().string(),
               shapes.size(), types.size(), todo.size(), reused, key.cpu, threads, (report_dir / "REPORT.md").string());
    return 0;
}

}  // namespace qframe::cli
