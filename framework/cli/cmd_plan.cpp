// qframe plan STUDY_DIR (--target-size SIZE | --target-bpw X) [--objective …] [--pin R=T]...
//                       [--tie R]... [--types a,b] [--out plan.yaml] [--apply --output M.gguf]
//                       [--frontier N] [--measure [--mixes Q4_K_M,…]] [--report DIR]
// Mixed precision from a finished study: the plan is a recipe; --apply also runs it; --frontier
// and --measure write a report with the plans (and llama.cpp's mixes) on one plot.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/split.hpp>

#include <cmath>
#include <cstdio>
#include <map>

#include "catalog_loading.hpp"
#include "common.hpp"
#include "plan/frontier.hpp"
#include "plan/gain_predictor.hpp"
#include "progress.hpp"
#include "qframe/output_file.hpp"
#include "qframe/file_type.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/plan.hpp"
#include "qframe/recipe.hpp"
#include "qframe/runner.hpp"

namespace qframe::cli {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    boost::algorithm::split(out, s, boost::algorithm::is_any_of(","));
    std::erase(out, std::string());
    return out;
}

void print_plan(const MixPlan& plan, const std::string& objective) {
    std::map<std::string, std::pair<size_t, uint64_t>> per;  // treatment → groups, bytes
    for (const auto& g : plan.groups) {
        auto& [n, bytes] = per[g.treatment ? plan.study.treatments[*g.treatment].name : "baseline"];
        ++n;
        bytes += g.bytes;
    }
    fmt::print("plan for {} within {} bytes: {} bytes ({:.4f} bits per weight), predicted {} {:.6g}\n", plan.study.name, plan.budget,
               plan.file_bytes, plan.bpw, objective, plan.predicted);
    fmt::print("  llama.cpp will call the file {} (general.file_type {})\n", llama_file_type_name(plan.file_type), plan.file_type);
    for (const auto& [name, v] : per) fmt::print("  {:<12} {:>4} group(s) {:>14} bytes\n", name, v.first, v.second);
    fmt::print("  (reachable: {} … {} bytes)\n", plan.smallest, plan.largest);
    if (plan.speed_prompt_tokens)
        fmt::print("  predicted speed: {:.1f} prompt tokens/s ({} a batch), {:.2f} generated tokens/s ({})\n", plan.predicted_prompt_tps,
                   plan.speed_prompt_tokens, plan.predicted_gen_tps, plan.speed_source);
    if (plan.predicted_choices)
        fmt::print("  {} of the {} groups' chosen costs are predicted by the adaptive study (gain predictor), not measured\n",
                   plan.predicted_choices, plan.groups.size());
    fmt::print("the proxy rel_l2 ranks the study's {} candidates with Spearman's rho {:.3f} against {} ({:.3f} within a treatment)\n",
               plan.proxy_pairs, plan.proxy_rank_correlation, objective, plan.proxy_rank_correlation_within);
    if (plan.output_proxy_pairs)
        fmt::print("the proxy output_err2 (E|dW x|^2 under the importance matrix) ranks the {} candidates it covers with Spearman's rho {:.3f} "
                   "({:.3f} within a treatment)\n",
                   plan.output_proxy_pairs, plan.output_proxy_rank_correlation, plan.output_proxy_rank_correlation_within);
    if (!plan.gain_checks.empty()) fmt::print("{}\n", plan::gain_summary(plan.gain_checks, plan.gain_error_key, objective));
    std::fflush(stdout);  // before the log lines of --apply
}

}  // namespace

int run_plan_command(const std::vector<std::string>& args) {
    po::options_description options("plan options");
    options.add_options()
        ("study", po::value<std::string>(), "a finished study folder (study.yaml, results.jsonl)")
        ("target-size,s", po::value<std::string>(), "the output file's size at most: bytes, or with K/M/G (1000s) or KiB/MiB/GiB")
        ("target-bpw,b", po::value<double>(), "bits per weight at most, over every tensor of the output")
        ("objective", po::value<std::string>()->default_value("kld_mean"), "kld_mean | kld_p99 | dppl: the study's measure the plan sums")
        ("pin", po::value<std::vector<std::string>>()->composing(), "REGEX=TREATMENT: groups matching get it (or baseline); repeatable")
        ("tie", po::value<std::vector<std::string>>()->composing(), "REGEX: matching groups with the same captures share a choice, e.g. 'blk\\.(\\d+)\\.attn_[qkv]'")
        ("types", po::value<std::string>(), "treatments to choose from, comma-separated (default: all the study measured)")
        ("speed-table", po::value<std::string>(), "the table `qframe bench-types MODEL` wrote (bench-types/types-….json): the plans' tokens/s predicted")
        ("min-prompt-speed", po::value<double>(), "prompt tokens/s the plan must be predicted to reach at least (needs --speed-table)")
        ("min-gen-speed", po::value<double>(), "generated tokens/s the plan must be predicted to reach at least (needs --speed-table)")
        ("input,i", po::value<std::string>(), "the study's model, when not where its study.yaml says")
        ("out", po::value<std::string>(), "the plan recipe to write (default: STUDY/plan.yaml)")
        ("emit-tensor-types", po::value<std::string>(), "also write the plan as llama-quantize's --tensor-type-file (one ^NAME$=type per line)")
        ("apply", "also run the plan: write the model (--output)")
        ("output,o", po::value<std::string>(), "the model --apply writes (default: STUDY/plan.gguf)")
        ("frontier", po::value<unsigned>(), "N plans from the smallest to the largest reachable size (no target needed), into --report")
        ("measure", "evaluate the plan(s) and llama.cpp's mixes against the study's baseline (the study's text, ctx, chunks)")
        ("mixes", po::value<std::string>()->default_value("Q2_K,Q3_K_S,Q3_K_M,Q3_K_L,Q4_K_S,Q4_K_M,Q5_K_S,Q5_K_M,Q6_K,Q8_0"),
         "llama.cpp mixes --measure evaluates beside the plans (quant.mix), comma-separated; 'none' for none")
        ("report", po::value<std::string>(), "the report folder of --frontier/--measure (default: STUDY/plans)")
        ("threads,t", po::value<unsigned>()->default_value(0), "worker threads for --measure (0: all cores)");
    po::positional_options_description positional;
    positional.add("study", 1);
    const auto vm = parse(args, "qframe plan STUDY_DIR (--target-size SIZE | --target-bpw X) [--out plan.yaml] [--apply --output M.gguf]", options, positional);
    if (!vm) return 0;
    if (!vm->count("study")) throw UsageError("no study folder given");
    const bool frontier = vm->count("frontier") > 0;
    if (frontier && (vm->count("target-size") || vm->count("target-bpw") || vm->count("apply") || vm->count("out") || vm->count("emit-tensor-types")))
        throw UsageError("--frontier plans at its own budgets: no --target-size/--target-bpw, --out, --emit-tensor-types or --apply");
    const bool speed_bound = vm->count("min-prompt-speed") || vm->count("min-gen-speed");
    if (frontier && speed_bound) throw UsageError("--frontier plans at every size: a speed bound is for one plan (--speed-table alone gives the frontier's speeds)");
    if (speed_bound && !vm->count("speed-table")) throw UsageError("--min-prompt-speed and --min-gen-speed need --speed-table (`qframe bench-types MODEL` writes it)");
    if (!frontier && vm->count("target-size") && vm->count("target-bpw")) throw UsageError("give one target: --target-size SIZE or --target-bpw X");
    if (!frontier && !vm->count("target-size") && !vm->count("target-bpw") && !speed_bound)
        throw UsageError("give a target: --target-size SIZE or --target-bpw X (or a speed bound, --min-prompt-speed / --min-gen-speed)");
    constexpr unsigned kMaxFrontierPlans = 1000;  // each is a solve, a recipe and a point drawn
    if (frontier && ((*vm)["frontier"].as<unsigned>() < 1 || (*vm)["frontier"].as<unsigned>() > kMaxFrontierPlans))
        throw UsageError(fmt::format("--frontier needs 1 to {} plans", kMaxFrontierPlans));
    if (vm->count("output") && !vm->count("apply")) throw UsageError("--output is the model --apply writes: add --apply");

    PlanRequest request;
    request.study_dir = (*vm)["study"].as<std::string>();
    if (vm->count("target-size")) request.target_bytes = parse_size((*vm)["target-size"].as<std::string>());
    if (vm->count("target-bpw")) {
        request.target_bpw = (*vm)["target-bpw"].as<double>();
        // F32 is 32 bits per weight; a budget above 64 is a typo, not a plan.
        if (!(*request.target_bpw > 0 && *request.target_bpw <= 64))
            throw UsageError(fmt::format("--target-bpw {}: bits per weight are above 0 and at most 64", *request.target_bpw));
    }
    request.objective = (*vm)["objective"].as<std::string>();
    if (vm->count("input")) request.input = (*vm)["input"].as<std::string>();
    if (vm->count("pin"))
        for (const auto& pin : (*vm)["pin"].as<std::vector<std::string>>()) {
            const auto eq = pin.rfind('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == pin.size()) throw UsageError(fmt::format("--pin {}: expected REGEX=TREATMENT", pin));
            request.pins.emplace_back(pin.substr(0, eq), pin.substr(eq + 1));
        }
    if (vm->count("tie")) request.ties = (*vm)["tie"].as<std::vector<std::string>>();
    if (vm->count("types")) request.types = split_commas((*vm)["types"].as<std::string>());
    if (vm->count("speed-table")) request.speed_table = (*vm)["speed-table"].as<std::string>();
    for (const auto& [flag, bound] : {std::pair{"min-prompt-speed", &request.min_prompt_tps}, std::pair{"min-gen-speed", &request.min_gen_tps}})
        if (vm->count(flag)) {
            *bound = (*vm)[flag].as<double>();
            if (!(**bound > 0 && std::isfinite(**bound))) throw UsageError(fmt::format("--{} {}: tokens/s above 0", flag, **bound));
        }

    const auto study_file = request.study_dir / "study.yaml";
    StageCatalog catalog;
    load_catalog(catalog, recipe_plugin_paths(study_file, "study file"));
    const Planner planner(request, catalog);
    plan::FrontierOptions report;
    report.dir = vm->count("report") ? std::filesystem::path((*vm)["report"].as<std::string>()) : request.study_dir / "plans";
    report.objective = request.objective;
    report.measure = vm->count("measure") > 0;
    if ((*vm)["mixes"].as<std::string>() != "none") report.mixes = split_commas((*vm)["mixes"].as<std::string>());
    report.evaluation.threads = (*vm)["threads"].as<unsigned>();
    if (const auto speed = planner.speed_setting(); speed && report.measure) {
        if (speed->numerics != "ggml")
            throw UsageError(fmt::format("--measure times qframe's engine here, and the speed table is of {}: leave --measure out, or give "
                                         "the table `qframe bench-types` measured here",
                                         speed->source));
        // Measured as the table was: its threads, its prompt and generation lengths.
        report.evaluation.pass_prompt_tokens = speed->prompt_tokens;
        report.evaluation.pass_gen_tokens = speed->gen_tokens;
        report.evaluation.pass_threads = speed->threads;
    }
    ProgressBar bar(!vm->count("quiet"));
    report.evaluation.progress = [&bar](size_t done, size_t total) { bar.update("measured", done, total); };

    if (frontier) {
        const auto plans = plan_frontier(planner, (*vm)["frontier"].as<unsigned>(), report.dir);
        const auto points = plan::write_frontier(planner, plans, catalog, report);
        bar.finish();
        for (const auto& p : points)
            fmt::print("{:<10} {:>12} bytes {:>7.4f} bpw  predicted {:>10}  measured {:>10}{}\n", p.name, p.file_bytes, p.bpw,
                       p.predicted < 0 ? std::string("–") : fmt::format("{:.5g}", p.predicted),
                       p.measured.is_null() ? std::string("–") : fmt::format("{:.5g}", p.measured.value(request.objective, 0.0)),
                       p.predicted_gen_tps > 0 ? fmt::format("  {:.1f} prompt, {:.2f} generated tok/s predicted", p.predicted_prompt_tps, p.predicted_gen_tps)
                                               : std::string());
        spdlog::info("report: {}/REPORT.md (the plans' recipes: plan-N.yaml)", report.dir.string());
        return 0;
    }

    const std::filesystem::path recipe = vm->count("out") ? std::filesystem::path((*vm)["out"].as<std::string>()) : request.study_dir / "plan.yaml";
    const std::filesystem::path model = vm->count("output") ? std::filesystem::path((*vm)["output"].as<std::string>()) : request.study_dir / "plan.gguf";
    // What the plan writes never replaces what it reads: the study's model and files.
    std::vector<std::filesystem::path> reads{planner.study().input, request.study_dir / "study.yaml", request.study_dir / "results.jsonl",
                                             request.study_dir / "baseline.gguf"};
    refuse_overwriting(recipe, reads);
    reads.push_back(recipe);
    if (vm->count("apply")) refuse_overwriting(model, reads);
    if (vm->count("emit-tensor-types")) refuse_overwriting((*vm)["emit-tensor-types"].as<std::string>(), reads);
    const MixPlan plan = planner.plan(planner.budget_of(request), model);
    print_plan(plan, request.objective);
    write_text_atomically(recipe, plan.recipe);
    spdlog::info("plan recipe: {} (`qframe run {}` writes {})", recipe.string(), recipe.string(), model.string());
    if (vm->count("emit-tensor-types")) {
        const std::filesystem::path types_file = (*vm)["emit-tensor-types"].as<std::string>();
        write_text_atomically(types_file, plan_tensor_types(plan, GgufFile::open(plan.study.input)));
        // The patterns apply under a quantized TYPE only (F16, BF16 and F32 convert every tensor):
        // the plan's own file type where it is one, else Q8_0.
        const uint32_t ftype = plan.file_type == 0 || plan.file_type == 1 || plan.file_type == 32 ? 7 : plan.file_type;
        spdlog::info("tensor types: {} (`qframe quantize --tensor-type-file {} IN OUT {}`, or current llama-quantize's, writes the same tensors)",
                     types_file.string(), types_file.string(), ftype);
    }
    if (vm->count("apply")) {
        // The recipe just written, read back: --apply and `qframe run` are the same run.
        const Plan run = load_plan(recipe, catalog);
        run_plan(run, {0, false, [&bar](const std::string& label, uint64_t done, uint64_t total) { bar.update(label, done, total); }});
        bar.finish();
        const auto written = std::filesystem::file_size(model);
        spdlog::info("wrote {} ({} bytes{})", model.string(), written, written == plan.file_bytes ? ", as planned" : "");
        if (written != plan.file_bytes)
            throw Error(fmt::format("{}: {} bytes, but the plan computed {}: a bug in the plan's size arithmetic", model.string(), written, plan.file_bytes));
    }
    if (report.measure) {
        const auto points = plan::write_frontier(planner, {plan}, catalog, report);
        bar.finish();
        const auto& m = points.front().measured;
        fmt::print("measured {} {:.6g} (predicted {:.6g}); report {}/REPORT.md\n", request.objective, m.value(request.objective, 0.0), plan.predicted,
                   report.dir.string());
        if (m.contains("measured_gen_tps"))
            fmt::print("measured speed: {:.1f} prompt tokens/s, {:.2f} generated tokens/s ({} thread(s); predicted {:.1f} and {:.2f})\n",
                       m.at("measured_prompt_tps").get<double>(), m.at("measured_gen_tps").get<double>(), m.at("speed_threads").get<unsigned>(),
                       plan.predicted_prompt_tps, plan.predicted_gen_tps);
    }
    return 0;
}

}  // namespace qframe::cli
