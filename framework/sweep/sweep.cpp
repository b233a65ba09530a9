#include "qframe/sweep.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <unordered_set>

#include "baseline.hpp"
#include "candidate.hpp"
#include "qframe/engine/pass_timing.hpp"
#include "qframe/catalog.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/output_file.hpp"
#include "qframe/parallel.hpp"
#include "qframe/sha256.hpp"
#include "qframe/tensor_view.hpp"
#include "study_as_run.hpp"
#include "sweep_report.hpp"

namespace qframe {
namespace {

using Clock = std::chrono::steady_clock;

// Part of every result's key: a result written by an older qframe, with fewer keys, is evaluated
// again. 2: bytes_after_per_tensor. 3: the engine's ggml numerics (study.numerics).
// 4: type_after_per_tensor.
constexpr int kResultsVersion = 4;

unsigned threads_of(const SweepOptions& options) { return options.threads ? options.threads : default_thread_count(); }

// What makes results reusable: the input file and the study as read (settings included). The
// file's canonical identity: a Slurm task that names it from another folder shares the results.
std::string input_key(const Study& study) { return file_identity(study.input); }

// Every step of a sweep starts here: the keys, the model, the candidates and the treatments'
// stages, all checked before anything is written.
struct OpenStudy {
    const Study& study;
    std::string base_key, study_key;
    GgufFile input;
    FileModelInfo input_info;
    std::string input_header_key;
    std::vector<Candidate> candidates;
    std::vector<std::shared_ptr<Quantizer>> quantizers;
    std::vector<sweep::TreatmentRun> treatments;
    TensorImportance importance;  // the study's importance matrix, matched to the model
    std::map<std::string, std::string, std::less<>> importance_digests;

    explicit OpenStudy(const Study& s) : study(s), input(GgufFile::open(s.input)), input_info(input) {
        const auto header = input.bytes().first(std::min<uint64_t>(input.data_offset(), input.bytes().size()));
        input_header_key = sha256_hex(std::string_view(reinterpret_cast<const char*>(header.data()), header.size()));
        // The importance matrix's values, not its path, key what was computed with it.
        std::string importance_key;
        if (!study.imatrix.file.empty()) {
            const ImportanceMatrix im = read_chosen(study.imatrix);
            if (!im.entries.empty()) {
                importance = importance_for(im, input, study.imatrix.file);
                input_info.info.has_importance = true;
            }
            for (const auto& [name, weights] : importance) {
                importance_digests[name] = importance_digest(weights);
                importance_key += fmt::format("{} {}\n", name, importance_digests[name]);
            }
        }
        const std::string input_id = input_key(study);
        base_key = sha256_hex(input_id + "\n" + study.baseline_text + importance_key);
        study_key = sha256_hex(fmt::format("{}\n{}\n{}results v{}", input_id, study.results_text, importance_key, kResultsVersion));
        candidates = plan_candidates(study, input);
        for (const auto& t : study.treatments) {
            quantizers.push_back(make_call_as<Quantizer>(t.call));
            treatments.push_back({*quantizers.back(), sweep::treatment_text(t.call)});
        }
    }

    // The model every candidate starts from: the input, or the input through the study's baseline
    // stages (written to the study folder once, on first need).
    const GgufFile& baseline_file() const {
        if (!baseline_ready_) {
            const auto path = sweep::baseline_model(study, base_key);
            if (path != study.input) generated_baseline_ = GgufFile::open(path);
            baseline_ready_ = true;
        }
        return generated_baseline_ ? *generated_baseline_ : input;
    }

    void create_folder() const {
        refuse_overwriting(study.out / "study.yaml", {study.path, study.input});  // `out:` the study file's own folder
        std::filesystem::create_directories(study.out / "candidates");
        write_text_atomically(study.out / "study.yaml", sweep::study_as_run(study));
    }

    // A file name for a candidate id: group and treatment names are tensor names and words.
    std::filesystem::path result_path(const Candidate& c) const {
        std::string name = c.id();
        for (char& ch : name)
            if (ch == '/' || ch == ' ') ch = '_';
        return study.out / "candidates" / (name + ".json");
    }

    // The result of this same study, or null. A failed candidate counts as finished only when
    // merging: a later run evaluates it again.
    Findings result(const Candidate& c, bool failed_too) const {
        std::ifstream in(result_path(c));
        if (!in) return nullptr;
        try {
            Findings f = Findings::parse(in);
            if (f.value("study_key", "") == study_key && (failed_too || !f.contains("error"))) return f;
        } catch (const std::exception&) {
        }
        return nullptr;
    }

private:
    mutable bool baseline_ready_ = false;
    mutable std::optional<GgufFile> generated_baseline_;
};

std::filesystem::path bank_dir(const Study& study, const SweepOptions& options) {
    return options.bank ? *options.bank : study.out.parent_path() / ".tensor-bank";
}

// What candidates are treated and scored with: the tensor bank and, once scoring starts, the
// baseline's log-probabilities (and layer streams). Made once per step, or once per session.
struct Workbench {
    const OpenStudy& open;
    sweep::Baseline baseline;  // empty until scored()
    bool scored_ = false;
    sweep::TensorBank bank;
    sweep::Models models;

    Workbench(const OpenStudy& o, const SweepOptions& options)
        : open(o),
          bank(bank_dir(o.study, options), options.bank_cap),
          models{o.input, o.input_info.info, o.input_header_key, o.baseline_file(), baseline, bank, o.importance, o.importance_digests} {}
    Workbench(const Workbench&) = delete;
    Workbench& operator=(const Workbench&) = delete;

    // The baseline scored on first need; returns whether this evaluated the model.
    bool score(unsigned threads, bool record_streams, uint64_t stream_cap) {
        if (scored_) return false;
        const auto layers = record_streams ? sweep::resume_layers(open.baseline_file(), open.candidates) : std::vector<uint32_t>{};
        baseline = sweep::prepare_baseline(open.study, open.baseline_file(), open.base_key, threads, record_streams, stream_cap, layers);
        scored_ = true;
        return baseline.evaluated;
    }
};

// Evaluates candidates[todo…] (all of the same study) and writes each one's result file.
SweepSummary evaluate(const OpenStudy& open, Workbench& bench, const std::vector<size_t>& todo, const SweepOptions& options) {
    SweepSummary summary;
    summary.candidates = open.candidates.size();
    if (todo.empty()) return summary;
    const unsigned threads = threads_of(options);
    const unsigned jobs = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(todo.size())));
    summary.baseline_evaluated = bench.score(threads, options.prefix_reuse, options.prefix_cap);
    const uint64_t hits = bench.bank.hits(), misses = bench.bank.misses();

    std::atomic<size_t> done{0}, failed{0};
    if (options.progress) options.progress(0, todo.size());
    parallel_for(todo.size(), jobs, [&](size_t k) {
        const Candidate& c = open.candidates[todo[k]];
        const auto start = Clock::now();
        Findings r;
        try {
            r = sweep::evaluate_candidate(c, open.treatments[c.treatment], bench.models, std::max(1u, threads / jobs), open.study.kld_rel_error);
        } catch (const std::exception& e) {
            r = {{"group", c.group}, {"treatment", c.treatment_name}, {"error", e.what()}};
            spdlog::error("candidate {} failed: {}", c.id(), e.what());
            ++failed;
        }
        r["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
        r["study_key"] = open.study_key;
        write_text_atomically(open.result_path(c), r.dump(1) + "\n");
        if (options.progress) options.progress(++done, todo.size());
    });
    summary.evaluated = todo.size();
    summary.failed = failed;
    summary.bank_hits = bench.bank.hits() - hits;
    summary.bank_misses = bench.bank.misses() - misses;
    bench.bank.evict();
    return summary;
}

SweepSummary evaluate(const OpenStudy& open, const std::vector<size_t>& todo, const SweepOptions& options) {
    if (todo.empty()) {  // a finished study evaluates no model, not even the baseline
        SweepSummary summary;
        summary.candidates = open.candidates.size();
        return summary;
    }
    Workbench bench(open, options);
    return evaluate(open, bench, todo, options);
}

std::vector<size_t> unfinished(const OpenStudy& open) {
    std::vector<size_t> todo;
    for (size_t i = 0; i < open.candidates.size(); ++i)
        if (open.result(open.candidates[i], false).is_null()) todo.push_back(i);
    return todo;
}

SweepSummary merge(const OpenStudy& open, const SweepSummary& evaluated, const std::map<std::string, Findings>& predicted, bool reports) {
    const Study& study = open.study;
    std::vector<Findings> results;
    std::vector<std::string> missing;
    for (const auto& c : open.candidates) {
        results.push_back(open.result(c, true));
        if (!results.back().is_null()) continue;
        if (const auto p = predicted.find(c.id()); p != predicted.end()) results.back() = p->second;
        else missing.push_back(c.id());
    }
    if (!missing.empty()) {
        const size_t shown = std::min<size_t>(missing.size(), 5);
        throw Error(fmt::format("{}: {} of {} candidates have no result yet ({}{}); run the study again to evaluate them", study.out.string(),
                                missing.size(), open.candidates.size(), fmt::join(missing.begin(), missing.begin() + shown, ", "),
                                missing.size() > shown ? ", …" : ""));
    }
    SweepSummary summary = evaluated;
    summary.candidates = open.candidates.size();
    summary.failed = 0;
    for (const auto& r : results) summary.failed += r.contains("error");

    std::string jsonl;
    for (const auto& r : results) jsonl += r.dump() + "\n";
    summary.results = study.out / "results.jsonl";
    write_text_atomically(summary.results, jsonl);
    if (!reports) return summary;
    // The baseline's perplexity, from its cached log-probabilities.
    summary.ppl_baseline = sweep::prepare_baseline(study, open.baseline_file(), open.base_key, 1, false, 0, {}).ppl;
    sweep::write_reports(study, results, summary);
    return summary;
}

}  // namespace

SweepSummary& SweepSummary::operator+=(const SweepSummary& part) {
    evaluated += part.evaluated;
    failed += part.failed;
    bank_hits += part.bank_hits;
    bank_misses += part.bank_misses;
    baseline_evaluated = baseline_evaluated || part.baseline_evaluated;
    return *this;
}

uint64_t sweep_tokens(const Study& study, size_t candidates) { return static_cast<uint64_t>(candidates + 1) * study.chunks * study.ctx; }

SweepSummary run_sweep(const Study& study, const SweepOptions& options) {
    const OpenStudy open(study);
    open.create_folder();
    const auto todo = unfinished(open);
    spdlog::info("{} candidates, {} to evaluate ({} finished earlier)", open.candidates.size(), todo.size(), open.candidates.size() - todo.size());
    return merge(open, evaluate(open, todo, options), {}, true);
}

SweepState sweep_state(const Study& study) {
    const OpenStudy open(study);
    SweepState state;
    state.candidates = open.candidates.size();
    for (const auto& c : open.candidates) {
        const Findings r = open.result(c, true);
        if (!r.is_null() && !r.contains("error")) continue;
        state.unfinished.push_back(c.id());
        if (!r.is_null()) state.failed.push_back(c.id());
    }
    return state;
}

SweepState open_sweep(const Study& study) {
    OpenStudy(study).create_folder();
    return sweep_state(study);
}

bool prepare_sweep_baseline(const Study& study, const SweepOptions& options) {
    const OpenStudy open(study);
    return sweep::prepare_baseline(study, open.baseline_file(), open.base_key, threads_of(options), false, 0, {}).evaluated;
}

SweepSummary run_sweep_part(const Study& study, const SweepPart& part, const SweepOptions& options) {
    if (part.tasks == 0 || part.task >= part.tasks) throw Error(fmt::format("task {} of {}: no such task", part.task, part.tasks));
    const OpenStudy open(study);
    std::vector<size_t> listed;
    if (part.only.empty()) {
        listed = unfinished(open);
    } else {
        const std::unordered_set<std::string> wanted(part.only.begin(), part.only.end());
        for (size_t i = 0; i < open.candidates.size(); ++i)
            if (wanted.count(open.candidates[i].id())) listed.push_back(i);
        if (listed.size() != wanted.size())
            throw Error(fmt::format("{} of the {} candidates named are not candidates of this study", wanted.size() - listed.size(), wanted.size()));
    }
    std::vector<size_t> todo;
    for (size_t k = part.task; k < listed.size(); k += part.tasks)
        if (open.result(open.candidates[listed[k]], false).is_null()) todo.push_back(listed[k]);
    spdlog::info("task {} of {}: {} candidate(s) to evaluate", part.task, part.tasks, todo.size());
    return evaluate(open, todo, options);
}

SweepSummary merge_sweep(const Study& study, const SweepSummary& evaluated) { return merge(OpenStudy(study), evaluated, {}, true); }

struct SweepSession::Impl {
    OpenStudy open;
    SweepOptions options;
    std::optional<Workbench> bench;  // made on first need, kept across steps

    Impl(const Study& study, const SweepOptions& o) : open(study), options(o) {}
    Workbench& workbench() {
        if (!bench) bench.emplace(open, options);
        return *bench;
    }
};

SweepSession::SweepSession(const Study& study, const SweepOptions& options) : impl_(std::make_unique<Impl>(study, options)) {
    impl_->open.create_folder();
}
SweepSession::~SweepSession() = default;

const std::vector<Candidate>& SweepSession::candidates() const { return impl_->open.candidates; }

std::map<std::string, Findings> SweepSession::finished_results() const {
    std::map<std::string, Findings> out;
    for (const auto& c : impl_->open.candidates)
        if (Findings r = impl_->open.result(c, false); !r.is_null()) out.emplace(c.id(), std::move(r));
    return out;
}

std::vector<Findings> SweepSession::model_free_results() {
    const OpenStudy& open = impl_->open;
    Workbench& bench = impl_->workbench();
    std::vector<Findings> out(open.candidates.size());
    std::atomic<size_t> done{0};
    const auto& progress = impl_->options.progress;
    if (progress) progress(0, out.size());
    parallel_for(out.size(), threads_of(impl_->options), [&](size_t k) {
        const Candidate& c = open.candidates[k];
        sweep::Change change;
        for (size_t i : c.tensors) change.emplace_back(i, &open.treatments[c.treatment]);
        out[k] = {{"group", c.group}, {"treatment", c.treatment_name}};
        out[k].update(sweep::model_free_findings(change, bench.models));
        if (progress) progress(++done, out.size());
    });
    bench.bank.evict();
    return out;
}

SweepSummary SweepSession::evaluate(const std::vector<std::string>& ids) {
    const OpenStudy& open = impl_->open;
    const std::unordered_set<std::string> wanted(ids.begin(), ids.end());
    std::vector<size_t> todo;
    for (size_t i = 0; i < open.candidates.size(); ++i)
        if (wanted.count(open.candidates[i].id()) && open.result(open.candidates[i], false).is_null()) todo.push_back(i);
    return qframe::evaluate(open, impl_->workbench(), todo, impl_->options);
}

SweepSummary SweepSession::merge(const SweepSummary& evaluated, const std::map<std::string, Findings>& predicted, bool reports) const {
    return qframe::merge(impl_->open, evaluated, predicted, reports);
}

std::vector<Findings> measure_mixes(const Study& study, const std::vector<MixToMeasure>& mixes, const SweepOptions& options) {
    const OpenStudy open(study);
    const unsigned threads = threads_of(options);
    const GgufFile& base_file = open.baseline_file();
    Workbench bench(open, options);
    bench.score(threads, false, 0);
    const sweep::Models& models = bench.models;
    std::map<std::string, size_t, std::less<>> index;
    for (size_t i = 0; i < open.input.tensors().size(); ++i) index.emplace(open.input.tensors()[i].name, i);

    std::vector<Findings> out;
    for (size_t m = 0; m < mixes.size(); ++m) {
        const auto& mix = mixes[m];
        std::vector<std::shared_ptr<Quantizer>> quantizers;
        std::vector<sweep::TreatmentRun> runs;
        runs.reserve(mix.tensors.size());  // the change points into it
        sweep::Change change;
        for (const auto& [name, call] : mix.tensors) {
            const auto it = index.find(name);
            if (it == index.end()) throw Error(fmt::format("mix {}: the model has no tensor '{}'", mix.name, name));
            quantizers.push_back(make_call_as<Quantizer>(call));
            runs.push_back({*quantizers.back(), sweep::treatment_text(call)});
            change.emplace_back(it->second, &runs.back());
        }
        Findings r = {{"name", mix.name}};
        Findings speed;
        const auto time_passes = [&](const engine::Model& model) {
            const engine::PassSeconds pass = engine::median_pass(model, options.pass_prompt_tokens, options.pass_gen_tokens, options.pass_threads,
                                                                 models.scores.numerics, options.pass_repetitions).median;
            speed = {{"measured_prompt_tps", options.pass_prompt_tokens / pass.prompt}, {"measured_gen_tps", 1.0 / pass.generation},
                     {"speed_threads", options.pass_threads}, {"speed_prompt_tokens", options.pass_prompt_tokens},
                     {"speed_gen_tokens", options.pass_gen_tokens}};
        };
        r.update(sweep::evaluate_change(change, models, threads, 0, options.pass_prompt_tokens ? time_passes : std::function<void(const engine::Model&)>{}));
        if (!speed.is_null()) r.update(speed);
        uint64_t file = base_file.data_offset();
        const auto& after = r.at("bytes_after_per_tensor");
        for (const auto& t : base_file.tensors()) file += base_file.padded(after.contains(t.name) ? after.at(t.name).get<uint64_t>() : t.n_bytes);
        r["file_bytes"] = file;
        if (options.progress) options.progress(m + 1, mixes.size());
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace qframe
