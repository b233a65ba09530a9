// qframe sweep STUDY [--input M] [--out DIR] [--set key.path=v]... [--jobs N] [--threads N] [--dry-run]
// A study file is checked whole before any work; finished candidates are never evaluated twice.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "catalog_loading.hpp"
#include "common.hpp"
#include "progress.hpp"
#include "qframe/recipe.hpp"
#include "qframe/sweep.hpp"

namespace qframe::cli {
namespace {

void print_dry_run(const Study& study, const GgufFile& model, const std::vector<Candidate>& candidates) {
    fmt::print("dry run of {} on {}: {} candidate(s) ({} treatment(s)); nothing is evaluated\n", study.path.string(),
               study.input.string(), candidates.size(), study.treatments.size());
    for (const auto& c : candidates) {
        uint64_t bytes = 0;
        for (size_t i : c.tensors) bytes += model.tensors()[i].n_bytes;
        fmt::print("  {:<40} {:>4} tensor(s) {:>12} bytes\n", c.id(), c.tensors.size(), bytes);
    }
    fmt::print("work: {} tokens through the model (the baseline once, then each candidate: {} chunks × {} tokens)\n",
               sweep_tokens(study, candidates.size()), study.chunks, study.ctx);
    fmt::print("results would go to {}\n", (study.out / "results.jsonl").string());
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
        ("executor", po::value<std::string>()->default_value("local"), "where candidates run: local")
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
    if ((*vm)["executor"].as<std::string>() != "local")
        throw UsageError(fmt::format("executor '{}' is not available (local)", (*vm)["executor"].as<std::string>()));

    const std::filesystem::path file = (*vm)["study"].as<std::string>();
    StudyOverrides overrides;
    if (vm->count("input")) overrides.input = (*vm)["input"].as<std::string>();
    if (vm->count("out")) overrides.out = (*vm)["out"].as<std::string>();
    if (vm->count("set")) overrides.sets = (*vm)["set"].as<std::vector<std::string>>();

    StageCatalog catalog;
    load_catalog(catalog, recipe_plugin_paths(file));
    const Study study = load_study(file, catalog, overrides);
    if (vm->count("dry-run")) {
        const GgufFile model = GgufFile::open(study.input);
        print_dry_run(study, model, plan_candidates(study, model));
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
    const SweepSummary summary = qframe::run_sweep(study, sweep_options);
    bar.finish();
    spdlog::info("{} candidates ({} evaluated now, {} failed); baseline PPL {:.4f}; tensor bank {} hit(s), {} miss(es); results in {}, report {}",
                 summary.candidates, summary.evaluated, summary.failed, summary.ppl_baseline, summary.bank_hits, summary.bank_misses, summary.results.string(), (study.out / "REPORT.md").string());
    return summary.failed ? 1 : 0;
}

}  // namespace qframe::cli
