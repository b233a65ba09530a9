// qframe sweep STUDY [--input M] [--out DIR] [--set key.path=v]... [--jobs N] [--threads N] [--dry-run]
//                    [--executor local|slurm [--partition P] [--time T] [--cpus-per-task N] …]
// A study file is checked whole before any work; finished candidates are never evaluated twice.
// `--worker ROLE --batch DIR` is what the Slurm executor's jobs run (qframe/sweep_slurm.hpp).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "catalog_loading.hpp"
#include "common.hpp"
#include "plan/adaptive_study.hpp"
#include "progress.hpp"
#include "qframe/recipe.hpp"
#include "qframe/sweep.hpp"
#include "qframe/sweep_slurm.hpp"

namespace qframe::cli {
namespace {

std::string mib(uint64_t bytes) { return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1 << 20)); }

void print_dry_run(const Study& study, const GgufFile& model, const std::vector<Candidate>& candidates, const SweepOptions& options) {
    fmt::print("dry run of {} on {}: {} candidate(s) ({} treatment(s)); nothing is evaluated\n", study.path.string(),
               study.input.string(), candidates.size(), study.treatments.size());
    for (const auto& c : candidates) {
        uint64_t bytes = 0;
        for (size_t i : c.tensors) bytes += model.tensors()[i].n_bytes;
        fmt::print("  {:<40} {:>4} tensor(s) {:>12} bytes\n", c.id(), c.tensors.size(), bytes);
    }
    fmt::print("work: {} tokens through the model (the baseline once, then each candidate: {} chunks × {} tokens)\n",
               sweep_tokens(study, candidates.size()), study.chunks, study.ctx);
    if (study.mode == StudyMode::Adaptive) {
        const size_t budget = plan::adaptive_budget(study, candidates.size());
        const std::vector<std::string> groups = plan::study_groups(candidates);
        const size_t calibrated = plan::calibration_groups(groups, budget, study.adaptive.calibrate_layers).size();
        fmt::print("adaptive: at most {} of the {} candidates measured (measure_budget {}), {} of the {} groups calibrated{}, the others' costs "
                   "predicted{}\n",
                   budget, candidates.size(), study.adaptive.measure_budget, calibrated, groups.size(),
                   calibrated < groups.size() ? " (a few layers of each role; the others' gains interpolated between them)" : "",
                   calibrated > budget ? " — the budget cannot pay for the calibration: the study would stop before any work" : "");
    }
    const SweepMemory m = estimate_sweep_memory(study, model, candidates, options);
    const unsigned jobs = std::max(1u, options.jobs);
    // Compact: 8 bytes a kept token, at most every token, or the cap.
    const uint64_t baseline = m.compact_cap ? m.compact_cap : m.compact ? 2 * m.log_probs : m.log_probs;
    fmt::print("memory (estimated): the model mapped, {}; besides it, the baseline's log-probabilities {}, layer streams {}, {} candidate "
               "pass(es) {} each, the largest group's treated tensors at most {}: {} in all\n",
               mib(m.model), m.compact ? fmt::format("compact (at most {}; the full {})", mib(baseline), mib(m.log_probs)) : mib(m.log_probs),
               m.streams ? mib(m.streams) : "off", jobs, mib(m.per_job), mib(m.largest_group), mib(baseline + m.streams + jobs * (m.per_job + m.largest_group)));
    fmt::print("results would go to {}\n", (study.out / "results.jsonl").string());
    if (study.executor.kind == "slurm")
        fmt::print("executor: slurm, {} array task(s) at most{}{}{}\n", study.executor.tasks ? study.executor.tasks : 8,
                   study.executor.partition.empty() ? "" : ", partition " + study.executor.partition,
                   study.executor.time.empty() ? "" : ", time " + study.executor.time,
                   study.executor.cpus_per_task ? fmt::format(", {} CPUs per task", study.executor.cpus_per_task) : "");
}

// The command-line's executor options over the study's executor: section.
void apply_executor_options(const po::variables_map& vm, ExecutorSettings& e) {
    if (vm.count("executor")) e.kind = vm["executor"].as<std::string>();
    if (e.kind != "local" && e.kind != "slurm") throw UsageError(fmt::format("--executor must be local or slurm, not '{}'", e.kind));
    if (vm.count("partition")) e.partition = vm["partition"].as<std::string>();
    if (vm.count("time")) e.time = vm["time"].as<std::string>();
    if (vm.count("cpus-per-task")) e.cpus_per_task = vm["cpus-per-task"].as<unsigned>();
    if (vm.count("tasks")) e.tasks = vm["tasks"].as<unsigned>();
    if (vm.count("sbatch-arg")) {
        const auto& extra = vm["sbatch-arg"].as<std::vector<std::string>>();
        e.sbatch_args.insert(e.sbatch_args.end(), extra.begin(), extra.end());
    }
    if (e.cpus_per_task == 0 && vm.count("cpus-per-task")) throw UsageError("--cpus-per-task must be at least 1");
    if (e.tasks == 0 && vm.count("tasks")) throw UsageError("--tasks must be at least 1");
}

// What a Slurm job passes after `qframe sweep` to read the same study and evaluate alike: paths
// made absolute, since a job may start elsewhere (it runs in this folder: --chdir).
std::vector<std::string> worker_args(const po::variables_map& vm, const Study& study) {
    const auto abs = [](const std::string& p) { return std::filesystem::absolute(p).string(); };
    std::vector<std::string> args{abs(vm["study"].as<std::string>()), "--out", std::filesystem::absolute(study.out).string()};
    if (vm.count("input")) args.insert(args.end(), {"--input", abs(vm["input"].as<std::string>())});
    if (vm.count("set"))
        for (const auto& set : vm["set"].as<std::vector<std::string>>()) args.insert(args.end(), {"--set", set});
    if (vm.count("bank")) args.insert(args.end(), {"--bank", abs(vm["bank"].as<std::string>())});
    if (vm.count("no-bank")) args.push_back("--no-bank");
    if (vm.count("no-prefix-reuse")) args.push_back("--no-prefix-reuse");
    return args;
}

}  // namespace

int run_sweep(const std::vector<std::string>& args) {
    po::options_description options("sweep options");
    options.add_options()
        ("study", po::value<std::string>(), "YAML study file")
        ("input,i", po::value<std::string>(), "input model (overrides model.input)")
        ("out,o", po::value<std::string>(), "study folder (overrides out)")
        ("set", po::value<std::vector<std::string>>()->composing(), "KEY.PATH=VALUE: override a study setting, e.g. study.chunks=2")
        ("jobs,j", po::value<unsigned>()->default_value(1), "candidates evaluated at once (the threads are split between them)")
        ("threads,t", po::value<unsigned>()->default_value(0), "worker threads (0: all cores)")
        ("executor", po::value<std::string>(), "where candidates run: local (default) or slurm (overrides executor.kind)")
        ("partition", po::value<std::string>(), "slurm: sbatch --partition")
        ("time", po::value<std::string>(), "slurm: sbatch --time per job, e.g. 01:00:00")
        ("cpus-per-task", po::value<unsigned>(), "slurm: CPUs per array task (its engine threads)")
        ("tasks", po::value<unsigned>(), "slurm: array tasks (default 8, at most one per candidate)")
        ("sbatch-arg", po::value<std::vector<std::string>>()->composing(), "slurm: a further sbatch argument, e.g. --sbatch-arg=--mem=8G (repeatable)")
        ("no-wait", "slurm: submit the jobs, say their ids and return (the merge job writes the report)")
        ("poll", po::value<double>()->default_value(1.0), "slurm: seconds between looks at the jobs")
        ("worker", po::value<std::string>(), "(run by the Slurm jobs) baseline | TASK/TASKS | merge")
        ("batch", po::value<std::string>(), "(run by the Slurm jobs) the submission's folder")
        ("bank", po::value<std::string>(), "tensor bank folder (default: .tensor-bank beside the study folder)")
        ("no-bank", "make every treated tensor anew; keep none")
        ("no-prefix-reuse", "run every candidate's pass from the first layer (the results are the same, only slower)")
        ("resume", "skip finished candidates (always on: a finished candidate of the same study is never evaluated twice)")
        ("dry-run,n", "list the candidates and the work; evaluate nothing");
    po::positional_options_description positional;
    positional.add("study", 1);
    const auto vm = parse(args, "qframe sweep STUDY [--set key.path=v]... [--jobs N] [--dry-run]", options, positional);
    if (!vm) return 0;
    if (!vm->count("study")) throw UsageError("no study file given");
    if (vm->count("worker") != vm->count("batch")) throw UsageError("--worker and --batch go together (they are what Slurm jobs run)");

    const std::filesystem::path file = (*vm)["study"].as<std::string>();
    StudyOverrides overrides;
    if (vm->count("input")) overrides.input = (*vm)["input"].as<std::string>();
    if (vm->count("out")) overrides.out = (*vm)["out"].as<std::string>();
    if (vm->count("set")) overrides.sets = (*vm)["set"].as<std::vector<std::string>>();

    StageCatalog catalog;
    load_catalog(catalog, recipe_plugin_paths(file, "study file"));
    Study study = load_study(file, catalog, overrides);
    apply_executor_options(*vm, study.executor);
    if (vm->count("dry-run")) {
        const GgufFile model = GgufFile::open(study.input);
        SweepOptions dry;
        dry.jobs = std::max(1u, (*vm)["jobs"].as<unsigned>());
        dry.prefix_reuse = vm->count("no-prefix-reuse") == 0;
        print_dry_run(study, model, plan_candidates(study, model), dry);
        return 0;
    }
    ProgressBar bar(!vm->count("quiet"));
    SweepOptions sweep_options;
    sweep_options.threads = (*vm)["threads"].as<unsigned>();
    sweep_options.jobs = std::max(1u, (*vm)["jobs"].as<unsigned>());
    sweep_options.prefix_reuse = vm->count("no-prefix-reuse") == 0;
    sweep_options.progress = [&bar](size_t done, size_t total) { bar.update("candidates", done, total); };
    if (vm->count("bank")) sweep_options.bank = std::filesystem::path((*vm)["bank"].as<std::string>());
    if (vm->count("no-bank")) sweep_options.bank = std::filesystem::path();
    if (vm->count("worker")) {
        run_sweep_worker(study, (*vm)["worker"].as<std::string>(), (*vm)["batch"].as<std::string>(), sweep_options);
        return 0;
    }
    if (study.mode == StudyMode::Adaptive) {
        if (study.executor.kind == "slurm") throw Error("an adaptive study runs on this machine (executor: local): it decides what to measure as it goes");
        const plan::AdaptiveSummary a = plan::run_adaptive_study(study, catalog, sweep_options);
        bar.finish();
        spdlog::info("adaptive study: {} of {} candidates measured (budget {}), {} of {} groups calibrated at {}, {} round(s), {}; the "
                     "predictions of the {} candidates measured after them: rho {:.3f}, median error ×{:.2f}; results in {}",
                     a.measured, a.candidates, a.budget, a.calibrated, a.groups, a.calibration, a.rounds, a.settled ? "the plans settled" : "the budget is spent",
                     a.checked, a.rho, a.median_factor, a.sweep.results.string());
        return a.sweep.failed ? 1 : 0;
    }
    SweepSummary summary;
    if (study.executor.kind == "slurm") {
        SlurmSweep slurm;
        slurm.qframe = std::filesystem::read_symlink("/proc/self/exe");
        slurm.worker_args = worker_args(*vm, study);
        slurm.jobs = sweep_options.jobs;
        slurm.wait = vm->count("no-wait") == 0;
        slurm.poll_seconds = std::max(0.05, (*vm)["poll"].as<double>());
        slurm.progress = sweep_options.progress;
        summary = run_sweep_on_slurm(study, slurm);
        if (!slurm.wait) return 0;
    } else {
        summary = qframe::run_sweep(study, sweep_options);
    }
    bar.finish();
    spdlog::info("{} candidates ({} evaluated now, {} failed); baseline PPL {:.4f}; tensor bank {} hit(s), {} miss(es); results in {}, report {}",
                 summary.candidates, summary.evaluated, summary.failed, summary.ppl_baseline, summary.bank_hits, summary.bank_misses, summary.results.string(), (study.out / "REPORT.md").string());
    return summary.failed ? 1 : 0;
}

}  // namespace qframe::cli
