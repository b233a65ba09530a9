#include "sweep_report.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "plots.hpp"
#include "qframe/output_file.hpp"

namespace qframe::sweep {
namespace {

constexpr size_t kExtremes = 5;  // groups named as most and least sensitive, per treatment

// Per treatment, its evaluated candidates by mean KLD, highest first.
std::vector<const Findings*> ranked(const std::vector<Findings>& results, const std::string& treatment) {
    std::vector<const Findings*> out;
    for (const auto& r : results)
        if (r.value("treatment", "") == treatment && r.contains("kld_mean")) out.push_back(&r);
    std::stable_sort(out.begin(), out.end(), [](const Findings* a, const Findings* b) { return a->at("kld_mean").get<double>() > b->at("kld_mean").get<double>(); });
    return out;
}

std::string mib(uint64_t bytes) { return fmt::format("{:.2f}", static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

void write_reports(const Study& study, const std::vector<Findings>& results, const SweepSummary& summary) {
    Findings json = Findings::object();
    json["study"] = study.name;
    json["input"] = study.input.string();
    json["settings"] = {{"text", study.eval_text.string()}, {"ctx", study.ctx}, {"chunks", study.chunks},
                        {"per", to_string(study.per)}, {"mode", to_string(study.mode)},
                        {"baseline_stages", study.baseline.size()}};
    json["ppl_baseline"] = summary.ppl_baseline;
    json["candidates"] = summary.candidates;
    json["evaluated_this_run"] = summary.evaluated;
    json["failed"] = summary.failed;
    json["tensor_bank"] = {{"hits", summary.bank_hits}, {"misses", summary.bank_misses}};

    std::string md = fmt::format("# Study {}\n\nModel `{}`; {} groups per {}, {}; text `{}`, {} chunks × {} tokens; baseline: {}.\n\n",
                                 study.name, study.input.string(), summary.candidates / std::max<size_t>(1, study.treatments.size()),
                                 to_string(study.per), to_string(study.mode), study.eval_text.string(),
                                 study.chunks, study.ctx, study.baseline.empty() ? "the input model" : fmt::format("the input after {} stage(s)", study.baseline.size()));
    md += fmt::format("Baseline perplexity **{:.4f}**. {} candidates, {} evaluated in this run, {} failed. Results: `results.jsonl` "
                      "(one object per candidate).\n",
                      summary.ppl_baseline, summary.candidates, summary.evaluated, summary.failed);
    const size_t predicted = static_cast<size_t>(std::count_if(results.begin(), results.end(), [](const Findings& r) { return r.contains("predicted"); }));
    json["predicted"] = predicted;
    if (predicted)
        md += fmt::format("**{} of the {} candidates' costs are predicted** (marked `predicted` in `results.jsonl`: the gain predictor, from "
                          "the group's measured candidates; `adaptive.json` says what was measured and how well the predictions held), the "
                          "others measured. The plots draw both.\n",
                          predicted, summary.candidates);
    if (summary.bank_hits + summary.bank_misses)
        md += fmt::format("Tensor bank: {} of {} treated tensors reused ({:.0f}% hit rate).\n", summary.bank_hits,
                          summary.bank_hits + summary.bank_misses, 100.0 * summary.bank_hits / (summary.bank_hits + summary.bank_misses));
    for (const auto& r : results)
        if (r.contains("error")) md += fmt::format("\n- **failed**: {} @ {}: {}", r.value("group", "?"), r.value("treatment", "?"), r.value("error", "?"));

    // Pictures first, so the text can link them; a missing gnuplot costs the pictures only.
    std::vector<std::string> plots;
    try {
        plots = draw_plots(study, results);
    } catch (const std::exception& e) {
        spdlog::warn("no plots: {}", e.what());
        md += fmt::format("\n\nNo plots: {}.\n", e.what());
    }
    json["plots"] = plots;

    json["treatments"] = Findings::object();
    for (const auto& t : study.treatments) {
        const auto rows = ranked(results, t.name);
        Findings& jt = json["treatments"][t.name];
        jt["stage"] = t.call.stage->name;
        jt["most_sensitive"] = Findings::array();
        jt["least_sensitive"] = Findings::array();
        for (size_t k = 0; k < std::min(kExtremes, rows.size()); ++k) {
            jt["most_sensitive"].push_back({{"group", rows[k]->at("group")}, {"kld_mean", rows[k]->at("kld_mean")}});
            jt["least_sensitive"].push_back({{"group", rows[rows.size() - 1 - k]->at("group")}, {"kld_mean", rows[rows.size() - 1 - k]->at("kld_mean")}});
        }
        md += fmt::format("\n## Treatment `{}` ({})\n\n", t.name, t.call.stage->name);
        if (rows.empty()) {
            md += "No candidate was evaluated.\n";
            continue;
        }
        for (const char* kind : {"heatmap", "roles"}) {
            const std::string png = fmt::format("plots/{}_{}.png", kind, t.name);
            if (std::find(plots.begin(), plots.end(), png) != plots.end())
                md += fmt::format("![{} of {}]({}) ([SVG](plots/{}_{}.svg))\n\n", kind, t.name, png, kind, t.name);
        }
        md += fmt::format("Most sensitive: {}. Least sensitive: {}.\n\n", rows.front()->at("group").get<std::string>(),
                          rows.back()->at("group").get<std::string>());
        md += "| group | tensors | MiB before → after | KLD mean | KLD p99 | KLD max | top-1 | ΔPPL ± | rel. L2 |\n"
              "|---|---:|---|---:|---:|---:|---:|---|---:|\n";
        for (const Findings* r : rows) {
            const std::string skipped = r->contains("skipped") ? fmt::format(" ({} skipped)", r->at("skipped").size()) : "";
            // A predicted candidate has predicted costs, and nothing a model run alone tells.
            const auto value = [r](const char* key, const char* spec) {
                return r->contains(key) ? fmt::format(fmt::runtime(spec), r->at(key).get<double>()) : std::string("–");
            };
            const std::string dppl = r->contains("dppl_err") ? fmt::format("{:+.4f} ± {:.4f}", r->at("dppl").get<double>(), r->at("dppl_err").get<double>())
                                                             : value("dppl", "{:+.4f}");
            md += fmt::format("| `{}`{} | {}{} | {} → {} | {} | {} | {} | {} | {} | {:.4f} |\n", r->at("group").get<std::string>(),
                              r->contains("predicted") ? " (predicted)" : "", r->at("tensors").size(), skipped, mib(r->at("bytes_before")),
                              mib(r->at("bytes_after")), value("kld_mean", "{:.3g}"), value("kld_p99", "{:.3g}"), value("kld_max", "{:.3g}"),
                              value("top1_agreement", "{:.4f}"), dppl, r->at("rel_l2").get<double>());
        }
    }
    write_text_atomically(study.out / "REPORT.json", json.dump(2) + "\n");
    write_text_atomically(study.out / "REPORT.md", md);
}

}  // namespace qframe::sweep
