#include "llama_bench.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <optional>

#include "qframe/engine/pass_timing.hpp"
#include "qframe/error.hpp"

namespace qframe::speed {
namespace {

using engine::median;

// A row's seconds: the median of its samples (the mean where a row has none).
double row_seconds(const nlohmann::json& row) {
    std::vector<double> samples;
    for (const auto& s : row.value("samples_ns", nlohmann::json::array())) samples.push_back(s.get<double>() * 1e-9);
    const double seconds = samples.empty() ? row.at("avg_ns").get<double>() * 1e-9 : median(samples);
    if (!(seconds > 0)) throw Error("its time is not positive");
    return seconds;
}

// The first value a field takes in the rows, and every later row's the same.
template <typename T>
void same(std::optional<T>& seen, const T& value, const char* field, size_t line) {
    if (!seen) seen = value;
    else if (*seen != value)
        throw Error(fmt::format("line {}: {} {} where earlier rows have {}: give rows of one machine, build, threads and length "
                                "(one llama-bench run)",
                                line, field, fmt::to_string(value), fmt::to_string(*seen)));
}

}  // namespace

LlamaBenchRun read_llama_bench(const std::filesystem::path& jsonl) {
    std::ifstream in(jsonl);
    if (!in) throw Error(fmt::format("{}: cannot read it (llama-bench -o jsonl writes one row a line)", jsonl.string()));
    LlamaBenchRun run;
    std::optional<std::string> cpu, gpu, backends, build;
    std::optional<unsigned> threads;
    std::optional<uint32_t> prompt, gen;
    struct Tests {
        std::optional<double> prompt, gen, prompt_then_gen;
        std::string measured;
    };
    std::map<std::string, Tests> tests;
    std::vector<std::string> order;
    size_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            const auto row = nlohmann::json::parse(line);
            const auto path = row.at("model_filename").get<std::string>();
            const auto n_prompt = row.at("n_prompt").get<uint32_t>(), n_gen = row.at("n_gen").get<uint32_t>();
            if (!n_prompt && !n_gen) throw Error("a test of no tokens");
            same(cpu, row.at("cpu_info").get<std::string>(), "cpu_info", line_no);
            same(gpu, row.value("gpu_info", std::string()), "gpu_info", line_no);
            same(backends, row.at("backends").get<std::string>(), "backends", line_no);
            same(build, row.value("build_commit", std::string("unknown")), "build_commit", line_no);
            same(threads, row.at("n_threads").get<unsigned>(), "n_threads", line_no);
            auto [it, added] = tests.try_emplace(path);
            if (added) order.push_back(path);
            const double seconds = row_seconds(row);
            if (n_prompt && n_gen) {  // -pg: the prompt, then generation after it
                same(prompt, n_prompt, "n_prompt", line_no);
                same(gen, n_gen, "n_gen", line_no);
                if (it->second.prompt_then_gen) throw Error(fmt::format("a second prompt-then-generation test of {}", path));
                it->second.prompt_then_gen = seconds;
            } else if (n_prompt) {
                same(prompt, n_prompt, "n_prompt", line_no);
                if (it->second.prompt) throw Error(fmt::format("a second prompt test of {}", path));
                it->second.prompt = seconds;
            } else {
                same(gen, n_gen, "n_gen", line_no);
                if (it->second.gen) throw Error(fmt::format("a second generation test of {}", path));
                it->second.gen = seconds / n_gen;
            }
            it->second.measured = row.value("test_time", std::string()).substr(0, 10);
        } catch (const nlohmann::json::exception& e) {
            throw Error(fmt::format("{} line {}: not a row of llama-bench -o jsonl ({})", jsonl.string(), line_no, e.what()));
        } catch (const Error& e) {
            const std::string what = e.what();
            throw Error(what.starts_with("line ") ? fmt::format("{} {}", jsonl.string(), what)
                                                  : fmt::format("{} line {}: {}", jsonl.string(), line_no, what));
        }
    }
    if (order.empty()) throw Error(fmt::format("{}: no rows (llama-bench -o jsonl writes one a test)", jsonl.string()));
    // Generation from an empty cache (-n) where the rows have it; else after the prompt (-pg less
    // -p), as qframe times it — a difference of two noisy times, so the second choice.
    run.gen_after_prompt = std::none_of(order.begin(), order.end(), [&](const std::string& p) { return tests.at(p).gen.has_value(); });
    for (const auto& path : order) {
        const Tests& t = tests.at(path);
        if (!t.prompt || (!t.gen && !t.prompt_then_gen))
            throw Error(fmt::format("{}: {} has no {} test: run llama-bench with -p {} and -n {} (or -pg {},{})", jsonl.string(), path,
                                    t.prompt ? "generation" : "prompt", prompt.value_or(512), gen.value_or(32), prompt.value_or(512), gen.value_or(32)));
        if (!run.gen_after_prompt && !t.gen)
            throw Error(fmt::format("{}: {} has no generation test (-n), others have: give every file the same tests", jsonl.string(), path));
        const double gen_seconds = run.gen_after_prompt ? (*t.prompt_then_gen - *t.prompt) / *gen : *t.gen;
        if (!(gen_seconds > 0))
            throw Error(fmt::format("{}: {}'s prompt-then-generation test took no longer than its prompt: time it with more repetitions (-r)",
                                    jsonl.string(), path));
        run.files.push_back({path, *t.prompt, gen_seconds, t.measured});
    }
    run.cpu_info = *cpu;
    run.gpu_info = *gpu;
    run.backends = *backends;
    run.build_commit = *build;
    run.threads = *threads;
    run.prompt_tokens = *prompt;
    run.gen_tokens = *gen;
    return run;
}

TimingTable llama_bench_key(const LlamaBenchRun& run) {
    TimingTable key;
    key.cpu = run.gpu_info.empty() ? run.cpu_info : fmt::format("{} + {}", run.cpu_info, run.gpu_info);
    key.threads = run.threads;
    key.prompt_tokens = run.prompt_tokens;
    key.numerics = fmt::format("llama.cpp {} ({})", run.build_commit, run.backends);
    return key;
}

TimingTable from_llama_bench(const LlamaBenchRun& run, std::span<const LlamaBenchModel> models, const TimingTable& local,
                             const PassRest& local_rest, const std::string& shape, const std::string& date) {
    if (local.prompt_tokens != run.prompt_tokens || local_rest.gen_tokens != run.gen_tokens)
        throw Error(fmt::format("qframe's table is of prompts of {} and {} generated tokens, llama-bench's of {} and {}", local.prompt_tokens,
                                local_rest.gen_tokens, run.prompt_tokens, run.gen_tokens));
    // Per single-type file: llama-bench's times and qframe's products for it.
    struct Single {
        const LlamaBenchModel* model;
        MatrixSeconds local;
    };
    std::vector<Single> singles;
    for (const auto& m : models) {
        if (m.single_type.empty()) continue;
        for (const auto& s : singles)
            if (s.model->single_type == m.single_type)
                throw Error(fmt::format("{} and {} both have every matrix at {}: give one file a type", s.model->file->path, m.file->path, m.single_type));
        singles.push_back({&m, matrix_seconds(local, m.uses)});
        if (!singles.back().local.missing.empty())
            throw Error(fmt::format("qframe's table has no time for {} (needed to share out {}'s)", singles.back().local.missing.front(), m.file->path));
    }
    if (singles.empty())
        throw Error("no file of the rows has one type for all its matrices: make them with `qframe quantize --pure MODEL OUT TYPE` and run "
                    "llama-bench on those");

    // The rest: each file's time × the rest's share of qframe's pass of it, the median; at most
    // 95% of the fastest file's time, so every type's matrices keep some.
    const auto estimate_rest = [&](auto llama_seconds, double local_rest_seconds, auto local_products) {
        std::vector<double> estimates;
        double fastest = std::numeric_limits<double>::infinity();
        for (const auto& s : singles) {
            const double pass = local_rest_seconds + local_products(s.local);
            estimates.push_back(pass > 0 ? llama_seconds(*s.model->file) * std::max(0.0, local_rest_seconds) / pass : 0.0);
            fastest = std::min(fastest, llama_seconds(*s.model->file));
        }
        return std::min(median(estimates), 0.95 * fastest);
    };
    const double rest_prompt = estimate_rest([](const LlamaBenchFile& f) { return f.prompt_seconds; }, local_rest.prompt_seconds,
                                             [](const MatrixSeconds& m) { return m.prompt; });
    const double rest_gen = estimate_rest([](const LlamaBenchFile& f) { return f.gen_seconds; }, local_rest.generation_seconds,
                                          [](const MatrixSeconds& m) { return m.generation; });

    TimingTable table = llama_bench_key(run);
    for (const auto& s : singles) {
        // qframe's times of this type, scaled so the file's matrices take llama-bench's time less the rest.
        const double prompt_scale = (s.model->file->prompt_seconds - rest_prompt) / s.local.prompt;
        const double gen_scale = (s.model->file->gen_seconds - rest_gen) / s.local.generation;
        for (const auto& u : s.model->uses) {
            if (table.find(u.type, u.cols, u.rows)) continue;
            const TypeTiming& mine = *local.find(u.type, u.cols, u.rows);
            table.put({u.type, u.cols, u.rows, mine.bpw, mine.prompt_seconds * prompt_scale, mine.generation_seconds * gen_scale,
                       s.model->file->measured.empty() ? date : s.model->file->measured});
        }
    }
    table.put(PassRest{shape, run.prompt_tokens, run.gen_tokens, rest_prompt, rest_gen,
                       fmt::format("llama-bench's {} single-type file(s), each less the rest's share of qframe's pass of it (the median)", singles.size()),
                       date});
    return table;
}

}  // namespace qframe::speed
