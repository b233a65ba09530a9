// qframe run RECIPE [--input M] [--output O] [--report DIR] [--set stage.option=v]... [--dry-run]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "catalog_loading.hpp"
#include "common.hpp"
#include "progress.hpp"
#include "qframe/recipe.hpp"
#include "qframe/runner.hpp"

namespace qframe::cli {
namespace {

void print_dry_run(const RunResult& r) {
    fmt::print("dry run of {} on {} (nothing is written; selections are evaluated on the input's tensors)\n",
               r.plan->recipe_path.string(), r.plan->input.string());
    for (const auto& s : r.stages) {
        fmt::print("stage {}: {} tensor(s)\n", s.planned->label, s.selected.size());
        for (const auto& name : s.selected) fmt::print("  {}\n", name);
    }
    if (r.plan->output.empty()) return;
    if (r.planned_output_bytes) fmt::print("would write {} ({} bytes)\n", r.plan->output.string(), *r.planned_output_bytes);
    else fmt::print("would write {}\n", r.plan->output.string());
}

}  // namespace

int run_run(const std::vector<std::string>& args) {
    po::options_description options("run options");
    options.add_options()
        ("recipe", po::value<std::string>()->default_value("recipes/ffn_norm_bf16.yaml"), "YAML recipe")
        ("input,i", po::value<std::string>(), "input model (overrides model.input)")
        ("output,o", po::value<std::string>(), "output model (overrides model.output)")
        ("report,r", po::value<std::string>(), "report directory (overrides report)")
        ("imatrix", po::value<std::string>(), "importance matrix every quantizer weighs by (overrides imatrix; .dat or GGUF)")
        ("set", po::value<std::vector<std::string>>()->composing(), "STAGE.OPTION=VALUE: override a stage option (STAGE: index, name or short name)")
        ("threads,t", po::value<unsigned>()->default_value(0), "worker threads (0: all cores)")
        ("dry-run,n", "print which tensors each stage would touch; change nothing")
        ("no-hash", "skip the SHA-256 of the input and the output (the report and qframe.input.sha256 then lack them)")
        ("sync", "fsync the output before it takes its name, so that it survives a power loss (waits for the disk)");
    po::positional_options_description positional;
    positional.add("recipe", 1);
    const auto vm = parse(args, "qframe run [RECIPE] [--input M] [--output O] [--imatrix F] [--set stage.option=v]... [--dry-run] [--no-hash] [--sync]", options, positional);
    if (!vm) return 0;

    const std::filesystem::path recipe = (*vm)["recipe"].as<std::string>();
    RecipeOverrides overrides;
    if (vm->count("input")) overrides.input = (*vm)["input"].as<std::string>();
    if (vm->count("output")) overrides.output = (*vm)["output"].as<std::string>();
    if (vm->count("report")) overrides.report = (*vm)["report"].as<std::string>();
    if (vm->count("imatrix")) overrides.imatrix = (*vm)["imatrix"].as<std::string>();
    if (vm->count("set")) overrides.sets = (*vm)["set"].as<std::vector<std::string>>();

    StageCatalog catalog;
    load_catalog(catalog, recipe_plugin_paths(recipe));
    const Plan plan = load_plan(recipe, catalog, overrides);
    ProgressBar bar(!vm->count("quiet"));
    RunOptions run_options{(*vm)["threads"].as<unsigned>(), vm->count("dry-run") > 0,
                           [&bar](const std::string& label, uint64_t done, uint64_t total) { bar.update(label, done, total); },
                           vm->count("no-hash") == 0, vm->count("sync") > 0};
    // With an output, the report is written before the output takes its name (a report that
    // cannot be written leaves no new model); without one, after the run.
    const bool reports_before = !plan.report.empty() && !plan.output.empty();
    if (reports_before) run_options.before_output_published = [&plan](const RunResult& r) { write_reports(r, plan.report); };
    const RunResult result = run_plan(plan, run_options);
    bar.finish();
    if (run_options.dry_run) {
        print_dry_run(result);
        return 0;
    }
    if (!plan.report.empty()) {
        if (!reports_before) write_reports(result, plan.report);
        spdlog::info("report: {}/REPORT.md and REPORT.json", plan.report.string());
    }
    if (!plan.output.empty())
        spdlog::info("wrote {} ({} tensor(s) rewritten, {} different from the input)", plan.output.string(), result.rewritten.size(),
                     result.changed.size());
    return 0;
}

}  // namespace qframe::cli
