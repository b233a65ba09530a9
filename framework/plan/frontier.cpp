#include "frontier.hpp"
#include "gain_predictor.hpp"

#include <tuple>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/output_file.hpp"
#include "qframe/recipe.hpp"
#include "statistics.hpp"
#include "speed/mix_speed.hpp"
#include "sweep/plots.hpp"

namespace qframe::plan {
namespace {

// quant.mix with {mix: NAME} as a stage call, read the way a recipe names it.
StageCall mix_call(const std::string& mix, const Study& study, const StageCatalog& catalog) {
    const std::string text = fmt::format("qframe: 1\nname: mix\nmodel: {{ input: \"{}\" }}\nstages:\n  - quantize: mix\n    options: {{ mix: \"{}\" }}\n",
                                         study.input.string(), mix);
    return load_plan_text(text, "--mixes " + mix, catalog).stages.at(0).call;
}

MixToMeasure plan_change(const MixPlan& plan, const std::string& name) {
    MixToMeasure m{name, {}};
    for (const auto& g : plan.groups)
        if (g.treatment)
            for (const auto& t : g.tensors) m.tensors.emplace_back(t, plan.study.treatments[*g.treatment].call);
    return m;
}

std::string number(double v) { return v < 0 ? std::string("–") : fmt::format("{:.5g}", v); }

// The frontier plot: predicted and measured cost of the plans, the measured cost of the mixes.
void draw(const std::vector<FrontierPoint>& points, const std::filesystem::path& dir, const std::string& study, const std::string& objective) {
    std::string plans, mixes[2];  // the mixes' labels alternate above and below, so neighbours stay readable
    size_t n_mixes = 0;
    for (const auto& p : points) {
        const double measured = p.measured.is_null() ? NAN : p.measured.value(objective, NAN);
        if (p.is_mix) mixes[n_mixes++ % 2] += fmt::format("{:.6g} {:.6g} {}\n", p.bpw, measured, p.name);
        else plans += fmt::format("{:.6g} {:.6g} {:.6g}\n", p.bpw, p.predicted, measured);
    }
    write_text_atomically(dir / "frontier_plans.dat", plans);
    write_text_atomically(dir / "frontier_mixes_a.dat", mixes[0]);
    write_text_atomically(dir / "frontier_mixes_b.dat", mixes[1]);
    const bool log_y = objective != "dppl";
    std::string script = fmt::format(R"GP(# qframe plan --frontier: {study}
set title "{study}: mixed-precision plans and llama.cpp's mixes" noenhanced
set xlabel "bits per weight (whole file)"
set ylabel "{objective} against the baseline" noenhanced
{logscale}
set format y "%.0e"
set grid
set key top right
do for [kind in "svg pngcairo"] {{
  set terminal kind size 860,520 font ",11"
  set output sprintf("frontier.%s", kind eq "svg" ? "svg" : "png")
  plot "frontier_plans.dat" using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "plans: predicted (sum of one-at-a-time costs)", \
       "frontier_plans.dat" using 1:3 with points pt 9 ps 1.4 title "plans: measured", \
       "frontier_mixes_a.dat" using 1:2 with points pt 5 ps 1.2 lc rgb "#3a7bd5" title "llama.cpp mixes: measured", \
       "frontier_mixes_b.dat" using 1:2 with points pt 5 ps 1.2 lc rgb "#3a7bd5" notitle, \
       "frontier_mixes_a.dat" using 1:2:3 with labels offset 0.8,0.7 left font ",9" noenhanced notitle, \
       "frontier_mixes_b.dat" using 1:2:3 with labels offset 0.8,-0.7 left font ",9" noenhanced notitle
}}
)GP",
                                     fmt::arg("study", study), fmt::arg("objective", objective), fmt::arg("logscale", log_y ? "set logscale y" : ""));
    write_text_atomically(dir / "frontier.gnuplot", script);
    sweep::run_gnuplot(dir / "frontier.gnuplot");
}

// The frontier in three dimensions: cost against bits per weight, each point coloured by its
// predicted generation tokens/s (plans at their measured cost where measured, else predicted;
// mixes at their measured cost). Two panels: generation and prompt speed.
void draw_speed(const std::vector<FrontierPoint>& points, const std::filesystem::path& dir, const std::string& study, const std::string& objective) {
    std::string data;
    for (const auto& p : points) {
        if (p.predicted_gen_tps <= 0) continue;
        const double measured = p.measured.is_null() ? NAN : p.measured.value(objective, NAN);
        const double cost = std::isnan(measured) ? p.predicted : measured;
        if (!(cost > 0) && objective != "dppl") continue;
        data += fmt::format("{:.6g} {:.6g} {:.6g} {:.6g} {} {}\n", p.bpw, cost, p.predicted_gen_tps, p.predicted_prompt_tps, p.is_mix ? 5 : 7,
                            p.is_mix ? p.name : "");
    }
    write_text_atomically(dir / "frontier_speed.dat", data);
    const std::string script = fmt::format(R"GP(# qframe plan --frontier with --speed-table: {study}
set xlabel "bits per weight (whole file)"
set ylabel "{objective} against the baseline" noenhanced
{logscale}
set format y "%.0e"
set grid
set palette rgbformulae 33,13,10
do for [kind in "svg pngcairo"] {{
  set terminal kind size 1200,520 font ",11"
  set output sprintf("frontier_speed.%s", kind eq "svg" ? "svg" : "png")
  set multiplot layout 1,2 title "{study}: cost, size and predicted speed (plans: circles, llama.cpp mixes: squares)" noenhanced
  set cblabel "generated tokens/s (predicted)"
  plot "frontier_speed.dat" using 1:2:5:3 with points pt variable ps 1.3 lc palette notitle, \
       "frontier_speed.dat" using 1:2:6 with labels offset 0.8,0.7 left font ",9" noenhanced notitle
  set cblabel "prompt tokens/s (predicted)"
  plot "frontier_speed.dat" using 1:2:5:4 with points pt variable ps 1.3 lc palette notitle, \
       "frontier_speed.dat" using 1:2:6 with labels offset 0.8,0.7 left font ",9" noenhanced notitle
  unset multiplot
}}
)GP",
                                           fmt::arg("study", study), fmt::arg("objective", objective),
                                           fmt::arg("logscale", objective != "dppl" ? "set logscale y" : ""));
    write_text_atomically(dir / "frontier_speed.gnuplot", script);
    sweep::run_gnuplot(dir / "frontier_speed.gnuplot");
}

// The types of a measured mix that the plans cannot use, with their tensor counts.
std::vector<std::string> types_not_studied(const Findings& measured, const std::set<std::string>& offered) {
    std::map<std::string, size_t> count;
    for (const auto& [name, type] : measured.at("type_after_per_tensor").items())
        if (!offered.contains(type.get<std::string>())) ++count[type.get<std::string>()];
    std::vector<std::string> out;
    for (const auto& [type, n] : count) out.push_back(fmt::format("{} ({} tensor{})", type, n, n == 1 ? "" : "s"));
    return out;
}

// Whether the mix lies below the plans' curve as the plot draws it: the measured plans joined by
// lines, the cost on a log scale (linear where a neighbour costs 0), the mix's cost compared with
// the curve's at its size; beyond the curve's ends, with the nearest plan's.
bool below_the_plans(const FrontierPoint& mix, const std::vector<FrontierPoint>& points, const std::string& objective) {
    const double cost = mix.measured.value(objective, -1.0);
    const FrontierPoint *lo = nullptr, *hi = nullptr;
    for (const auto& p : points) {
        if (p.is_mix || p.measured.is_null() || !p.measured.contains(objective)) continue;
        if (p.file_bytes <= mix.file_bytes && (!lo || p.file_bytes > lo->file_bytes)) lo = &p;
        if (p.file_bytes >= mix.file_bytes && (!hi || p.file_bytes < hi->file_bytes)) hi = &p;
    }
    if (!lo && !hi) return false;
    if (!lo || !hi) return cost < (lo ? lo : hi)->measured.at(objective).get<double>();
    const double a = lo->measured.at(objective).get<double>(), b = hi->measured.at(objective).get<double>();
    if (hi->file_bytes == lo->file_bytes) return cost < std::min(a, b);
    const double t = double(mix.file_bytes - lo->file_bytes) / double(hi->file_bytes - lo->file_bytes);
    const double curve = a > 0 && b > 0 ? std::exp(std::log(a) + t * (std::log(b) - std::log(a))) : a + t * (b - a);
    return cost < curve;
}

// The speed model's predictions, and where the passes were timed, its errors.
std::string speed_section(const std::vector<FrontierPoint>& points, const std::string& source, Findings& json) {
    if (std::none_of(points.begin(), points.end(), [](const FrontierPoint& p) { return p.predicted_prompt_tps > 0; })) return "";
    std::string md = fmt::format("\n## Speed\n\nPredicted ({}): the speed table's times of each matrix at its type plus the rest of a pass "
                                 "([docs/speed.md](../../docs/speed.md)); measured: the mix's passes, timed after its scoring.\n\n"
                                 "| | prompt tok/s predicted | measured | error | generation tok/s predicted | measured | error |\n|---|---:|---:|---:|---:|---:|---:|\n",
                                 source);
    speed::SpeedErrors errors;
    const auto cell = [](double v) { return v > 0 ? fmt::format("{:.2f}", v) : std::string("–"); };
    for (const auto& p : points) {
        const double mp = p.measured.is_null() ? 0 : p.measured.value("measured_prompt_tps", 0.0);
        const double mg = p.measured.is_null() ? 0 : p.measured.value("measured_gen_tps", 0.0);
        std::string ep = "–", eg = "–";
        if (p.predicted_prompt_tps > 0 && mp > 0 && mg > 0) {
            errors.add({p.predicted_prompt_tps, p.predicted_gen_tps}, {mp, mg});
            ep = fmt::format("{:+.1f}%", 100 * speed::relative_error(p.predicted_prompt_tps, mp));
            eg = fmt::format("{:+.1f}%", 100 * speed::relative_error(p.predicted_gen_tps, mg));
        }
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", p.is_mix ? "llama.cpp " + p.name : p.name, cell(p.predicted_prompt_tps), cell(mp), ep,
                          cell(p.predicted_gen_tps), cell(mg), eg);
    }
    if (errors.files) {
        json["speed_model"] = {{"points", errors.files},           {"mean_abs_error_prompt", errors.prompt_mean}, {"max_abs_error_prompt", errors.prompt_worst},
                               {"mean_abs_error_gen", errors.gen_mean}, {"max_abs_error_gen", errors.gen_worst}};
        md += fmt::format("\nThe speed model over {} point(s): {}.\n", errors.files, errors.summary());
    }
    return md;
}

}  // namespace

std::vector<FrontierPoint> write_frontier(const Planner& planner, const std::vector<MixPlan>& plans, const StageCatalog& catalog,
                                          const FrontierOptions& options) {
    const Study& study = planner.study();
    std::filesystem::create_directories(options.dir);
    std::vector<FrontierPoint> points;
    std::vector<MixToMeasure> to_measure;
    for (size_t k = 0; k < plans.size(); ++k) {
        FrontierPoint p{fmt::format("plan {}", k + 1), false, plans[k].file_bytes, plans[k].bpw, plans[k].predicted, nullptr,
                        options.dir / fmt::format("plan-{}.yaml", k + 1), {}, plans[k].predicted_prompt_tps, plans[k].predicted_gen_tps};
        write_text_atomically(p.recipe, plans[k].recipe);
        to_measure.push_back(plan_change(plans[k], p.name));
        points.push_back(std::move(p));
    }
    if (options.measure) {
        // The mixes change every tensor the mix quantizes; quant.mix leaves the others' bytes.
        const GgufFile input = GgufFile::open(study.input);
        for (const auto& mix : options.mixes) {
            const StageCall call = mix_call(mix, study, catalog);
            MixToMeasure m{mix, {}};
            for (const auto& t : input.tensors()) m.tensors.emplace_back(t.name, call);
            to_measure.push_back(std::move(m));
            points.push_back({mix, true, 0, 0, -1, nullptr, {}, {}, 0, 0});
        }
        spdlog::info("measuring {} plan(s) and {} mix(es) against the study's baseline", plans.size(), options.mixes.size());
        const auto measured = measure_mixes(study, to_measure, options.evaluation);
        const std::set<std::string> offered = planner.offered_types();
        for (size_t i = 0; i < points.size(); ++i) {
            points[i].measured = measured[i];
            if (points[i].is_mix) {
                points[i].file_bytes = measured[i].at("file_bytes").get<uint64_t>();
                points[i].bpw = planner.bpw(points[i].file_bytes);
                points[i].types_not_studied = types_not_studied(measured[i], offered);
                std::map<std::string, std::string> types;
                for (const auto& [name, type] : measured[i].at("type_after_per_tensor").items()) types[name] = type.get<std::string>();
                if (const auto speed = planner.predicted_speed(types)) std::tie(points[i].predicted_prompt_tps, points[i].predicted_gen_tps) = *speed;
            }
        }
    }
    // A mix below the plans' curve that uses types the study never tried says more about the study
    // than about the plans.
    std::string unfair;
    for (const auto& p : points)
        if (p.is_mix && !p.types_not_studied.empty() && below_the_plans(p, points, options.objective)) {
            const std::string types = fmt::format("{}", fmt::join(p.types_not_studied, ", "));
            spdlog::warn("llama.cpp's {} lies below the plans' curve and uses types the study has no treatment with: {}; "
                         "add treatments with them to let the plans use them",
                         p.name, types);
            unfair += fmt::format("- llama.cpp's {} lies below the plans' curve and uses types the study has no treatment with: {}.\n", p.name, types);
        }

    // REPORT.json and REPORT.md.
    // The smallest plan exactly (as plan-1.yaml writes it: the header holds the recipe).
    const uint64_t smallest = planner.smallest_plan_bytes(options.dir / "plan-1.gguf");
    Findings json = {{"study", study.name}, {"objective", options.objective}, {"smallest", smallest}, {"largest", planner.largest()}};
    json["points"] = Findings::array();
    std::string md = fmt::format("# Plans for study {}\n\nObjective: `{}` against the study's baseline (text `{}`, {} chunks × {} tokens); "
                                 "predicted = the sum of the chosen groups' one-at-a-time costs. Reachable sizes: {} … {} bytes.\n\n",
                                 study.name, options.objective, study.eval_text.string(), study.chunks, study.ctx, smallest, planner.largest());
    md += fmt::format("| | file bytes | bits per weight | predicted {} | measured {} | measured PPL | recipe |\n|---|---:|---:|---:|---:|---:|---|\n",
                      options.objective, options.objective);
    for (const auto& p : points) {
        Findings j = {{"name", p.name}, {"mix", p.is_mix}, {"file_bytes", p.file_bytes}, {"bpw", p.bpw}};
        if (p.predicted >= 0) j["predicted"] = p.predicted;
        if (!p.measured.is_null()) {
            for (const char* key : {"kld_mean", "kld_p99", "kld_p999", "kld_max", "top1_agreement", "ppl", "ppl_baseline", "dppl", "dppl_err"})
                if (p.measured.contains(key)) j["measured"][key] = p.measured.at(key);
        }
        if (!p.recipe.empty()) j["recipe"] = p.recipe.filename().string();
        if (p.predicted_prompt_tps > 0) {
            j["predicted_prompt_tps"] = p.predicted_prompt_tps;
            j["predicted_gen_tps"] = p.predicted_gen_tps;
        }
        for (const char* key : {"measured_prompt_tps", "measured_gen_tps", "speed_threads"})
            if (!p.measured.is_null() && p.measured.contains(key)) j[key] = p.measured.at(key);
        if (p.is_mix && !p.measured.is_null()) j["types_not_studied"] = p.types_not_studied;
        json["points"].push_back(j);
        const double measured = p.measured.is_null() ? -1 : p.measured.value(options.objective, -1.0);
        const double ppl = p.measured.is_null() ? -1 : p.measured.value("ppl", -1.0);
        md += fmt::format("| {} | {} | {:.4f} | {} | {} | {} | {} |\n", p.is_mix ? "llama.cpp " + p.name : p.name, p.file_bytes, p.bpw,
                          number(p.predicted), number(measured), number(ppl), p.recipe.empty() ? "" : "`" + p.recipe.filename().string() + "`");
    }
    // The cost model checked: how the predicted sums compare with the measured whole plans.
    std::vector<double> predicted, measured;
    double worst = 0, sum = 0;
    for (const auto& p : points)
        if (!p.is_mix && !p.measured.is_null() && p.measured.contains(options.objective) && p.predicted > 0) {
            const double m = p.measured.at(options.objective).get<double>();
            predicted.push_back(p.predicted);
            measured.push_back(m);
            const double error = m != 0 ? std::abs(p.predicted - m) / std::abs(m) : 0;
            worst = std::max(worst, error);
            sum += error;
        }
    if (!measured.empty()) {
        const double rho = spearman(predicted, measured);
        json["prediction"] = {{"plans", measured.size()}, {"mean_relative_error", sum / measured.size()}, {"max_relative_error", worst}, {"spearman", rho}};
        md += fmt::format("\nThe cost model (the sum of one-at-a-time costs) against the measured plans: mean relative error {:.1f}%, at most "
                          "{:.1f}%, rank correlation {:.3f} over {} plan(s).\n",
                          100 * sum / measured.size(), 100 * worst, rho, measured.size());
    }
    // The gain predictor checked on the study: what a study measuring one type per group would predict for the rest.
    if (const auto& checks = planner.gain_checks(); !checks.empty()) {
        Findings gains = Findings::array();
        for (const auto& c : checks)
            gains.push_back({{"calibration", c.calibration}, {"pairs", c.pairs}, {"rho", c.rho}, {"rho_within_min", c.rho_within_min},
                             {"median_factor", c.median_factor}});
        json["gain_predictor"] = {{"error", planner.gain_error_key()}, {"checks", gains}};
        md += fmt::format("\nThe gain predictor: each group's {} predicted as g(group) × {}, g measured at one type of the group, "
                          "the study's other types held out:\n\n{}",
                          options.objective, planner.gain_error_key(), gain_table(checks));
    }
    if (const auto speed = planner.speed_setting()) md += speed_section(points, speed->source, json);
    if (!unfair.empty()) md += "\nWarning: the plans could not use every type of these mixes.\n\n" + unfair;
    if (points.size() > 1 || options.measure) {
        try {
            draw(points, options.dir, study.name, options.objective);
            md += "\n![frontier](frontier.png) ([SVG](frontier.svg))\n";
            if (std::any_of(points.begin(), points.end(), [](const FrontierPoint& p) { return p.predicted_gen_tps > 0; })) {
                draw_speed(points, options.dir, study.name, options.objective);
                md += "\n![cost, size and speed](frontier_speed.png) ([SVG](frontier_speed.svg))\n";
            }
        } catch (const std::exception& e) {
            spdlog::warn("no frontier plot: {}", e.what());
        }
    }
    write_text_atomically(options.dir / "REPORT.json", json.dump(1) + "\n");
    write_text_atomically(options.dir / "REPORT.md", md);
    return points;
}

}  // namespace qframe::plan
