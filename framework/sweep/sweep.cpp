#include "qframe/sweep.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>

#include "baseline.hpp"
#include "candidate.hpp"
#include "qframe/catalog.hpp"
#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "qframe/parallel.hpp"
#include "qframe/sha256.hpp"
#include "sweep_report.hpp"

namespace qframe {
namespace {

using Clock = std::chrono::steady_clock;

// What makes results reusable: the input file and the study as read (settings included).
std::string input_key(const Study& study) {
    const auto size = std::filesystem::file_size(study.input);
    const auto mtime = std::filesystem::last_write_time(study.input).time_since_epoch().count();
    return fmt::format("{} {} {}", std::filesystem::absolute(study.input).string(), size, mtime);
}

// A file name for a candidate id: group and treatment names are tensor names and words.
std::filesystem::path result_path(const Study& study, const Candidate& c) {
    std::string name = c.id();
    for (char& ch : name)
        if (ch == '/' || ch == ' ') ch = '_';
    return study.out / "candidates" / (name + ".json");
}

// A finished result of this same study, or null.
Findings finished_result(const std::filesystem::path& path, const std::string& study_key) {
    std::ifstream in(path);
    if (!in) return nullptr;
    try {
        Findings f = Findings::parse(in);
        if (f.value("study_key", "") == study_key && !f.contains("error")) return f;
    } catch (const std::exception&) {
    }
    return nullptr;
}

}  // namespace

uint64_t sweep_tokens(const Study& study, size_t candidates) { return static_cast<uint64_t>(candidates + 1) * study.chunks * study.ctx; }

SweepSummary run_sweep(const Study& study, const SweepOptions& options) {
    const std::string input_id = input_key(study);
    const std::string base_key = sha256_hex(input_id + "\n" + study.baseline_text);
    const std::string study_key = sha256_hex(input_id + "\n" + study.text);

    const GgufFile input = GgufFile::open(study.input);
    const std::vector<Candidate> candidates = plan_candidates(study, input);
    std::vector<std::shared_ptr<Quantizer>> quantizers;
    std::vector<sweep::TreatmentRun> treatments;
    for (const auto& t : study.treatments) {
        quantizers.push_back(make_call_as<Quantizer>(t.call));
        treatments.push_back({*quantizers.back(), sweep::treatment_text(t.call)});
    }

    // Everything is checked; now the study folder may be written.
    std::filesystem::create_directories(study.out / "candidates");
    write_text_atomically(study.out / "study.yaml", study.text);

    std::vector<Findings> results(candidates.size());
    std::vector<size_t> todo;
    for (size_t i = 0; i < candidates.size(); ++i) {
        results[i] = finished_result(result_path(study, candidates[i]), study_key);
        if (results[i].is_null()) todo.push_back(i);
    }
    spdlog::info("{} candidates, {} to evaluate ({} finished earlier)", candidates.size(), todo.size(), candidates.size() - todo.size());

    const unsigned threads = options.threads ? options.threads : default_thread_count();
    const unsigned jobs = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(std::max<size_t>(todo.size(), 1))));
    SweepSummary summary;
    summary.candidates = candidates.size();
    // The input is the baseline unless the study has baseline stages: then it is a file of its own.
    const auto base_path = sweep::baseline_model(study, base_key);
    std::optional<GgufFile> generated;
    if (base_path != study.input) generated = GgufFile::open(base_path);
    const GgufFile& base_file = generated ? *generated : input;
    const sweep::Baseline baseline =
        sweep::prepare_baseline(study, base_file, base_key, threads, options.prefix_reuse && !todo.empty(), options.prefix_cap);
    summary.baseline_evaluated = baseline.evaluated;
    summary.ppl_baseline = baseline.ppl;
    sweep::TensorBank bank(options.bank ? *options.bank : study.out.parent_path() / ".tensor-bank", options.bank_cap);
    const sweep::Models models{input, base_file, baseline, bank};

    std::atomic<size_t> done{candidates.size() - todo.size()}, failed{0};
    if (options.progress) options.progress(done, candidates.size());
    parallel_for(todo.size(), jobs, [&](size_t k) {
        const size_t i = todo[k];
        const Candidate& c = candidates[i];
        const auto start = Clock::now();
        Findings r;
        try {
            r = sweep::evaluate_candidate(c, treatments[c.treatment], models, std::max(1u, threads / jobs));
        } catch (const std::exception& e) {
            r = {{"group", c.group}, {"treatment", c.treatment_name}, {"error", e.what()}};
            spdlog::error("candidate {} failed: {}", c.id(), e.what());
            ++failed;
        }
        r["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
        r["study_key"] = study_key;
        write_text_atomically(result_path(study, c), r.dump(1) + "\n");
        results[i] = std::move(r);
        if (options.progress) options.progress(++done, candidates.size());
    });
    summary.evaluated = todo.size();
    summary.failed = failed;
    summary.bank_hits = bank.hits();
    summary.bank_misses = bank.misses();
    bank.evict();

    std::string jsonl;
    for (const auto& r : results) jsonl += r.dump() + "\n";
    summary.results = study.out / "results.jsonl";
    write_text_atomically(summary.results, jsonl);
    sweep::write_reports(study, results, summary);
    return summary;
}

}  // namespace qframe
