// qframe bench-types MODEL [--types LIST] [--threads N] [--prompt-tokens N] [--gen-tokens N] [--repetitions N]
//                         [--out DIR] [--force] [--predict FILE]... [--measure] [--from-llama-bench ROWS]
// The engine's time per token for every matrix shape of MODEL at every type: prompt batches and
// one-token generation, kept in a table per machine (reused by later runs) and reported for the
// model (docs/speed.md); then a whole pass of MODEL, for the speed model's rest, and the tokens/s
// of other files of MODEL's shape (its mixes) predicted, and with --measure measured too.
// --from-llama-bench: llama.cpp's speed on any machine, from llama-bench's rows of files of MODEL
// (speed/llama_bench.hpp), as a table of its own beside qframe's, and the two compared per type.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common.hpp"
#include "progress.hpp"
#include "qframe/engine/pass_timing.hpp"
#include "qframe/engine/type_timing.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "speed/llama_bench.hpp"
#include "speed/mix_speed.hpp"
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

// The shapes of the model's matrix products (speed::matrix_uses; an expert tensor's rows are
// every expert's), each with the model's matrices of that shape.
std::vector<speed::MatrixShape> matrix_shapes(const GgufFile& file) {
    std::map<std::pair<uint64_t, uint64_t>, speed::MatrixShape> by_shape;
    std::vector<std::pair<uint64_t, uint64_t>> order;
    for (const auto& u : speed::matrix_uses(file)) {
        const auto key = std::make_pair(u.cols, u.rows);
        auto [it, added] = by_shape.try_emplace(key, speed::MatrixShape{u.cols, u.rows, {}});
        if (added) order.push_back(key);
        it->second.tensors.push_back(u.name);
    }
    std::vector<speed::MatrixShape> out;
    for (const auto& k : order) out.push_back(by_shape.at(k));
    return out;
}

// The mean time of the timed matrices of one shape (cols × rows, an expert tensor's rows all experts').
engine::WeightTiming mean_of_shape(const GgufFile& file, const std::map<std::string, engine::WeightTiming>& timed, uint64_t cols, uint64_t rows) {
    engine::WeightTiming sum;
    size_t n = 0;
    for (const auto& [name, t] : timed) {
        const TensorInfo& tensor = *file.find_tensor(name);
        if (tensor.dims[0] != cols || tensor.n_values / cols != rows) continue;
        sum.prompt_seconds += t.prompt_seconds;
        sum.generation_seconds += t.generation_seconds;
        ++n;
    }
    return {sum.prompt_seconds / static_cast<double>(n), sum.generation_seconds / static_cast<double>(n)};
}

// llama-bench's files, opened into `files` (their paths into `paths`): found where the rows say,
// or beside the rows; each of the model's shape. The first file of each one type shares out that
// type's time (speed::from_llama_bench); a later one (llama.cpp's Q8_0 mix is all Q8_0) is
// predicted, as a mix is.
std::vector<speed::LlamaBenchModel> open_llama_bench_files(const speed::LlamaBenchRun& run, const std::filesystem::path& rows, const std::string& shape,
                                                           const std::string& model_name, std::vector<GgufFile>& files,
                                                           std::vector<std::filesystem::path>& paths) {
    std::vector<speed::LlamaBenchModel> out;
    for (const auto& f : run.files) {
        std::filesystem::path p = f.path;
        if (!std::filesystem::exists(p)) p = rows.parent_path() / p.filename();
        if (!std::filesystem::exists(p)) throw Error(fmt::format("--from-llama-bench: {} (a file of its rows) is neither there nor beside the rows", f.path));
        files.push_back(GgufFile::open(p));
        paths.push_back(p);
        if (speed::shape_key(files.back()) != shape)
            throw Error(fmt::format("--from-llama-bench: {} is not of {}'s shape (other tensors or dimensions)", f.path, model_name));
        speed::LlamaBenchModel m{&f, speed::matrix_uses(files.back()), {}};
        const std::string& first = m.uses.front().type;
        const bool single = std::all_of(m.uses.begin(), m.uses.end(), [&](const speed::MatrixUse& u) { return u.type == first; });
        if (single && std::none_of(out.begin(), out.end(), [&](const speed::LlamaBenchModel& o) { return o.single_type == first; })) m.single_type = first;
        out.push_back(std::move(m));
    }
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
        ("gen-tokens", po::value<uint32_t>()->default_value(32), "tokens generated after the prompt in a whole pass (llama-bench's -n)")
        ("repetitions,r", po::value<unsigned>()->default_value(5), "timed passes at each type, after a warm-up (the median is kept)")
        ("min-seconds", po::value<double>()->default_value(2.0), "and more passes until the timed ones took this long")
        ("out,o", po::value<std::string>()->default_value("bench-types"), "folder of the tables (one per machine, threads and batch) and the model's report")
        ("force", "measure again what the table holds already")
        ("predict", po::value<std::vector<std::string>>()->multitoken()->composing(), "GGUF files of MODEL's shape (its mixes): predict their tokens/s")
        ("measure", "also time a whole pass of each --predict file, beside the prediction")
        ("from-llama-bench", po::value<std::string>(),
         "llama-bench -o jsonl rows (-p and -n tests) of files of MODEL's shape, single-type ones from `qframe quantize --pure`: "
         "llama.cpp's speed on the rows' machine as a table of its own (their types are timed here too, to share each file's time out)");
    po::positional_options_description positional;
    positional.add("model", 1);
    const auto vm = parse(args, "qframe bench-types MODEL [--types LIST] [--threads N] [--prompt-tokens N] [--gen-tokens N] [--repetitions N] [--out DIR] [--force] "
                          "[--predict FILE]... [--measure] [--from-llama-bench ROWS]",
                          options, positional);
    if (!vm) return 0;
    if (!vm->count("model")) throw UsageError("MODEL is required");
    // llama-bench's rows set the lengths (and, unless given, the types and threads) of the run.
    std::optional<speed::LlamaBenchRun> llama;
    if (vm->count("from-llama-bench")) {
        llama = speed::read_llama_bench((*vm)["from-llama-bench"].as<std::string>());
        for (const auto& [flag, value] : {std::pair{"prompt-tokens", llama->prompt_tokens}, std::pair{"gen-tokens", llama->gen_tokens}})
            if (!(*vm)[flag].defaulted() && (*vm)[flag].as<uint32_t>() != value)
                throw UsageError(fmt::format("--{} {}: llama-bench's rows are of {} (leave it out)", flag, (*vm)[flag].as<uint32_t>(), value));
    }
    const uint32_t prompt_tokens = llama ? llama->prompt_tokens : (*vm)["prompt-tokens"].as<uint32_t>();
    if (prompt_tokens < 1 || prompt_tokens > 8192) throw UsageError(fmt::format("--prompt-tokens {}: 1 to 8192", prompt_tokens));
    const uint32_t gen_tokens = llama ? llama->gen_tokens : (*vm)["gen-tokens"].as<uint32_t>();
    if (gen_tokens < 1 || gen_tokens > 4096) throw UsageError(fmt::format("--gen-tokens {}: 1 to 4096", gen_tokens));
    if (vm->count("measure") && !vm->count("predict") && !vm->count("from-llama-bench"))
        throw UsageError("--measure times the --predict (and --from-llama-bench) files: name at least one");
    const unsigned repetitions = (*vm)["repetitions"].as<unsigned>();
    if (repetitions < 1 || repetitions > 1000) throw UsageError(fmt::format("--repetitions {}: 1 to 1000", repetitions));
    const double min_seconds = (*vm)["min-seconds"].as<double>();
    if (!(min_seconds >= 0 && min_seconds <= 3600)) throw UsageError(fmt::format("--min-seconds {}: 0 to 3600", min_seconds));
    unsigned threads = (*vm)["threads"].as<unsigned>();
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    if (llama && (*vm)["threads"].defaulted()) threads = std::min(threads, llama->threads);
    const std::filesystem::path model_path = (*vm)["model"].as<std::string>(), out = (*vm)["out"].as<std::string>();

    // Every check before the work: the model's shapes, the table (readable, of this key).
    const GgufFile file = GgufFile::open(model_path);
    const std::vector<speed::MatrixShape> shapes = matrix_shapes(file);
    if (shapes.empty()) throw Error(fmt::format("{} has no matrix to time", model_path.string()));
    const std::string shape = speed::shape_key(file);
    std::vector<std::filesystem::path> predicted_paths;
    std::vector<GgufFile> predicted;
    if (vm->count("predict"))
        for (const auto& p : (*vm)["predict"].as<std::vector<std::string>>()) {
            predicted.push_back(GgufFile::open(p));
            predicted_paths.emplace_back(p);
            if (speed::shape_key(predicted.back()) != shape)
                throw Error(fmt::format("--predict {}: not of {}'s shape (other tensors or dimensions): the rest of a pass is measured per model", p,
                                        model_path.filename().string()));
        }
    std::vector<speed::LlamaBenchModel> llama_models;
    if (llama)
        llama_models = open_llama_bench_files(*llama, (*vm)["from-llama-bench"].as<std::string>(), shape, model_path.filename().string(), predicted,
                                              predicted_paths);
    std::vector<std::string> types = parse_types((*vm)["types"].as<std::string>());
    if (llama && (*vm)["types"].defaulted()) {
        types.clear();
        for (const auto& m : llama_models)
            if (!m.single_type.empty()) types.push_back(m.single_type);
        if (types.empty())
            throw Error(fmt::format("--from-llama-bench: no file of its rows has one type for all its matrices: make them with "
                                    "`qframe quantize --pure {} OUT TYPE` and run llama-bench on those",
                                    model_path.string()));
    }
    speed::TimingTable key;
    key.cpu = speed::this_cpu();
    key.threads = threads;
    key.prompt_tokens = prompt_tokens;
    const auto table_path = speed::table_file(out, key);
    speed::TimingTable table = vm->count("force") ? key : speed::read_table(table_path, key);
    const speed::TimingTable llama_key = llama ? speed::llama_bench_key(*llama) : speed::TimingTable{};
    const auto llama_path = speed::table_file(out, llama_key);
    speed::TimingTable llama_table = llama ? speed::read_table(llama_path, llama_key) : llama_key;
    std::filesystem::create_directories(out);

    // The (type, shape) entries to time: those of --types, and the types MODEL's own matrices and
    // the --predict files have at their shapes, that the table lacks.
    std::map<std::string, std::set<std::pair<uint64_t, uint64_t>>> todo;
    size_t reused = 0, untimeable = 0;
    const auto want = [&](const std::string& type, uint64_t cols, uint64_t rows) {
        if (!engine::can_time(find_type(type)->type, cols)) ++untimeable;
        else if (table.find(type, cols, rows)) ++reused;
        else todo[type].emplace(cols, rows);
    };
    for (const auto& s : shapes)
        for (const auto& t : types) want(t, s.cols, s.rows);
    std::vector<const GgufFile*> used{&file};
    for (const auto& f : predicted) used.push_back(&f);
    for (const GgufFile* f : used)
        for (const auto& u : speed::matrix_uses(*f))
            if (engine::can_time(find_type(u.type)->type, u.cols) && !table.find(u.type, u.cols, u.rows)) todo[u.type].emplace(u.cols, u.rows);
    size_t to_time = 0;
    for (const auto& [_, s] : todo) to_time += s.size();
    spdlog::info("{}: {} shape(s) × {} type(s): {} to time, {} from {}{}", model_path.filename().string(), shapes.size(), types.size(), to_time,
                 reused, table_path.string(), untimeable ? fmt::format(", {} not whole blocks of their type (left out)", untimeable) : "");

    engine::TimingOptions timing;
    timing.prompt_tokens = prompt_tokens;
    timing.gen_tokens = gen_tokens;
    timing.threads = threads;
    timing.repetitions = repetitions;
    timing.min_seconds = min_seconds;
    std::vector<std::string> matrices;
    for (const auto& s : shapes) matrices.insert(matrices.end(), s.tensors.begin(), s.tensors.end());
    const std::vector<std::string> sample = engine::timing_sample(file, matrices);
    ProgressBar bar(spdlog::get_level() <= spdlog::level::info);
    const std::string date = utc_date();
    size_t type_done = 0;
    std::vector<engine::PassSeconds> rests;  // of every pass timed now: the rest does not depend on the types
    for (const auto& [type, wanted] : todo) {
        bar.update(fmt::format("timing passes at {}", type), type_done++, todo.size());
        const TypeInfo& info = *find_type(type);
        std::vector<std::string> weights;  // the sample's matrices of the shapes wanted
        for (const auto& name : sample) {
            const TensorInfo& t = *file.find_tensor(name);
            if (wanted.count({t.dims[0], t.n_values / t.dims[0]})) weights.push_back(name);
        }
        const auto pass = engine::time_in_pass(file, info.type, weights, timing);
        rests.push_back(pass.rest);
        for (const auto& [cols, rows] : wanted) {
            const engine::WeightTiming t = mean_of_shape(file, pass.weights, cols, rows);
            table.put({type, cols, rows, 8.0 * info.block_bytes / info.block_size, t.prompt_seconds, t.generation_seconds, date});
            spdlog::debug("{} {}×{}: prompt {:.2f} µs/token, generation {:.1f} µs", type, cols, rows, t.prompt_seconds * 1e6, t.generation_seconds * 1e6);
        }
        speed::write_table(table_path, table);  // after each type: an interrupted run keeps what it measured
    }
    bar.update("timing passes", todo.size(), todo.size());

    // The rest of a pass: MODEL timed whole, less the time its products took in that pass.
    const auto pass_of = [&](const std::filesystem::path& path) {
        return engine::median_pass(engine::Model::load(path), prompt_tokens, gen_tokens, threads, engine::Numerics::ggml, repetitions, 1,
                                   timing.min_seconds);
    };
    if (!table.find_rest(shape, gen_tokens) || vm->count("force") || !rests.empty()) {
        bar.update("timing the model's pass", 0, 1);
        rests.push_back(engine::rest_of(pass_of(model_path)));
        const engine::PassSeconds rest = engine::median_of(rests);
        table.put(speed::PassRest{shape, prompt_tokens, gen_tokens, rest.prompt, rest.generation,
                                  fmt::format("{} and {} pass(es) at other types, the median", model_path.filename().string(), rests.size() - 1), date});
        speed::write_table(table_path, table);
    }
    const speed::PassRest& rest = *table.find_rest(shape, gen_tokens);
    std::vector<speed::MixSpeed> mixes;
    for (size_t i = 0; i < predicted.size(); ++i)
        mixes.push_back({predicted_paths[i].filename().string(), speed::predict(speed::matrix_seconds(table, speed::matrix_uses(predicted[i])), rest), {}});
    if (vm->count("measure")) {
        std::vector<engine::Model> models;
        for (const auto& p : predicted_paths) models.push_back(engine::Model::load(p));
        const auto passes = engine::median_passes_interleaved(models, prompt_tokens, gen_tokens, threads, engine::Numerics::ggml, repetitions,
                                                              timing.min_seconds,
                                                              [&](size_t done, size_t total) { bar.update("measuring the files' passes", done, total); });
        for (size_t i = 0; i < mixes.size(); ++i) mixes[i].measured = speed::SpeedPrediction{prompt_tokens / passes[i].prompt, 1.0 / passes[i].generation};
    }
    // llama.cpp's table: its single-type files shared out as qframe's table shares their types.
    std::optional<speed::LlamaBenchComparison> comparison;
    if (llama) {
        const speed::TimingTable derived = speed::from_llama_bench(*llama, llama_models, table, rest, shape, date);
        for (const auto& e : derived.entries) llama_table.put(e);
        for (const auto& r : derived.rests) llama_table.put(r);
        speed::write_table(llama_path, llama_table);
        comparison = speed::LlamaBenchComparison{llama_path.string(), llama_key, *llama_table.find_rest(shape, gen_tokens), llama->gen_after_prompt, {}};
        const size_t first = mixes.size() - llama_models.size();  // the rows' files follow --predict's
        for (size_t i = 0; i < llama_models.size(); ++i) {
            const speed::LlamaBenchModel& m = llama_models[i];
            const speed::MatrixSeconds products = speed::matrix_seconds(llama_table, m.uses);
            std::optional<speed::SpeedPrediction> predicted;
            if (products.missing.empty()) predicted = speed::predict(products, comparison->rest);
            comparison->files.push_back({m.single_type, {prompt_tokens / m.file->prompt_seconds, 1.0 / m.file->gen_seconds}, predicted, mixes[first + i]});
        }
    }
    bar.finish();
    const auto report_dir = out / model_path.stem();
    speed::write_type_report(report_dir, model_path.filename().string(), shapes, types, table, &rest, mixes, comparison ? &*comparison : nullptr);
    for (const auto& m : mixes)
        fmt::print("{}: predicted {:.2f} prompt tok/s, {:.2f} generation tok/s{}\n", m.file, m.predicted.prompt_tps, m.predicted.gen_tps,
                   m.measured ? fmt::format("; measured {:.2f} ({:+.1f}%), {:.2f} ({:+.1f}%)", m.measured->prompt_tps,
                                            100 * speed::relative_error(m.predicted.prompt_tps, m.measured->prompt_tps), m.measured->gen_tps,
                                            100 * speed::relative_error(m.predicted.gen_tps, m.measured->gen_tps))
                              : std::string());
    fmt::print("{}: {} shape(s) × {} type(s) ({} timed now, {} from the table) on {}, {} thread(s); report in {}\n", model_path.filename().string(),
               shapes.size(), types.size(), to_time, reused, key.cpu, threads, (report_dir / "REPORT.md").string());
    if (comparison)
        fmt::print("llama.cpp's speed from {} file(s) of llama-bench ({}, {} thread(s)): table {}\n", comparison->files.size(), llama_key.cpu,
                   llama_key.threads, llama_path.string());
    return 0;
}

}  // namespace qframe::cli
