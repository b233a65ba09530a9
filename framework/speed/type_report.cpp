#include "type_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "sweep/plots.hpp"

namespace qframe::speed {
namespace {

std::string shape_name(const MatrixShape& s) { return fmt::format("{}×{}", s.cols, s.rows); }

// The types in the order of their bits per weight, widest first (as measured for the first shape
// that has them).
std::vector<const TypeTiming*> by_bpw(const std::vector<std::string>& types, const MatrixShape& shape, const TimingTable& table) {
    std::vector<const TypeTiming*> out;
    for (const auto& t : types)
        if (const TypeTiming* e = table.find(t, shape.cols, shape.rows)) out.push_back(e);
    std::stable_sort(out.begin(), out.end(), [](const TypeTiming* a, const TypeTiming* b) { return a->bpw > b->bpw; });
    return out;
}

std::string micro(double seconds) { return fmt::format("{:.1f}", seconds * 1e6); }

// The plot: one data block per shape (bpw, prompt µs/token, generation µs), two panels.
std::vector<std::string> draw(const std::filesystem::path& dir, const std::string& model, const std::vector<MatrixShape>& shapes,
                              const std::vector<std::string>& types, const TimingTable& table) {
    std::string data, prompt_plot, gen_plot;
    size_t block = 0;
    for (const auto& s : shapes) {
        const auto entries = by_bpw(types, s, table);
        if (entries.empty()) continue;
        for (const TypeTiming* e : entries)
            data += fmt::format("{:.4f} {:.6g} {:.6g} {}\n", e->bpw, e->prompt_seconds * 1e6, e->generation_seconds * 1e6, e->type);
        data += "\n\n";
        const std::string sep = block ? ", \\\n     " : "";
        prompt_plot += fmt::format("{}\"types.dat\" index {} using 1:2 with linespoints pt 7 ps 0.6 title \"{} ({} matri{})\"", sep, block,
                                   shape_name(s), s.tensors.size(), s.tensors.size() == 1 ? "x" : "ces");
        gen_plot += fmt::format("{}\"types.dat\" index {} using 1:3 with linespoints pt 7 ps 0.6 title \"{}\"", sep, block, shape_name(s));
        ++block;
    }
    if (block == 0) return {};
    write_text_atomically(dir / "types.dat", data);
    const std::string script = fmt::format(R"GP(# qframe bench-types: {model}
set xlabel "bits per weight"
set grid
set logscale y
set key top left font ",9" noenhanced
do for [kind in "svg pngcairo"] {{
  set terminal kind size 1100,480 font ",11"
  set output sprintf("types.%s", kind eq "svg" ? "svg" : "png")
  set multiplot layout 1,2 title "{model}: the engine's matrix products, {threads} thread(s), {cpu}" noenhanced
  set title "prompt ({prompt} tokens a batch)"
  set ylabel "µs per token"
  plot {prompt_plot}
  set title "generation (1 token)"
  set ylabel "µs per token"
  plot {gen_plot}
  unset multiplot
}}
)GP",
                                           fmt::arg("model", model), fmt::arg("threads", table.threads), fmt::arg("cpu", table.cpu),
                                           fmt::arg("prompt", table.prompt_tokens), fmt::arg("prompt_plot", prompt_plot), fmt::arg("gen_plot", gen_plot));
    write_text_atomically(dir / "types.gnuplot", script);
    try {
        sweep::run_gnuplot(dir / "types.gnuplot");
    } catch (const Error& e) {
        spdlog::warn("no plot: {}", e.what());
        return {};
    }
    return {"types.svg", "types.png"};
}

// Each file predicted and, where measured, the error; the mean and worst of those measured.
std::string predictions_table(const std::vector<MixSpeed>& mixes, nlohmann::json& json) {
    std::string md = "| file | prompt tok/s predicted | measured | error | generation tok/s predicted | measured | error |\n|---|---:|---:|---:|---:|---:|---:|\n";
    nlohmann::json rows = nlohmann::json::array();
    SpeedErrors errors;
    for (const auto& m : mixes) {
        nlohmann::json row = {{"file", m.file}, {"predicted_prompt_tps", m.predicted.prompt_tps}, {"predicted_gen_tps", m.predicted.gen_tps}};
        if (m.measured) {
            const double pe = relative_error(m.predicted.prompt_tps, m.measured->prompt_tps), ge = relative_error(m.predicted.gen_tps, m.measured->gen_tps);
            md += fmt::format("| {} | {:.2f} | {:.2f} | {:+.1f}% | {:.2f} | {:.2f} | {:+.1f}% |\n", m.file, m.predicted.prompt_tps, m.measured->prompt_tps,
                              pe * 100, m.predicted.gen_tps, m.measured->gen_tps, ge * 100);
            row["measured_prompt_tps"] = m.measured->prompt_tps;
            row["measured_gen_tps"] = m.measured->gen_tps;
            row["prompt_error"] = pe;
            row["gen_error"] = ge;
            errors.add(m.predicted, *m.measured);
        } else {
            md += fmt::format("| {} | {:.2f} | – | – | {:.2f} | – | – |\n", m.file, m.predicted.prompt_tps, m.predicted.gen_tps);
        }
        rows.push_back(row);
    }
    json["mixes"] = rows;
    if (errors.files) {
        md += fmt::format("\nOver the {} measured: {}. error = predicted / measured − 1.\n", errors.files, errors.summary());
        json["mean_abs_error"] = {{"prompt", errors.prompt_mean}, {"generation", errors.gen_mean}};
        json["worst_abs_error"] = {{"prompt", errors.prompt_worst}, {"generation", errors.gen_worst}};
    }
    return md;
}

nlohmann::json rest_json(const PassRest& rest) {
    return {{"shape", rest.shape}, {"prompt_tokens", rest.prompt_tokens}, {"gen_tokens", rest.gen_tokens}, {"prompt_seconds", rest.prompt_seconds},
            {"generation_seconds_per_token", rest.generation_seconds}, {"from", rest.from}, {"measured", rest.measured}};
}

// The speed model's section: the rest of a pass, then each mix predicted (and measured).
std::string mixes_section(const PassRest& rest, const std::vector<MixSpeed>& mixes, nlohmann::json& json) {
    std::string md = fmt::format("\n## The speed model: mixes predicted{}\n\nA pass of a prompt of {} tokens (one batch), then {} tokens "
                                 "generated: its matrix products from the table above, plus the rest of the pass (attention, norms, the "
                                 "rest), measured on {} ({}): {:.1f} ms per prompt, {:.2f} ms per generated token.\n\n",
                                 std::any_of(mixes.begin(), mixes.end(), [](const MixSpeed& m) { return m.measured.has_value(); }) ? " and measured" : "",
                                 rest.prompt_tokens, rest.gen_tokens, rest.from, rest.measured, rest.prompt_seconds * 1e3, rest.generation_seconds * 1e3);
    json["rest"] = rest_json(rest);
    if (!mixes.empty()) md += predictions_table(mixes, json);
    return md;
}

// llama.cpp's speed (llama-bench) beside qframe's: per type from the single-type files, then
// llama.cpp's speed model from them on the mixes llama-bench timed.
std::string llama_section(const LlamaBenchComparison& llama, nlohmann::json& json) {
    const TimingTable& key = llama.key;
    std::string md = fmt::format(
        "\n## llama.cpp's speed (llama-bench) beside qframe's\n\n{} on {}, {} thread(s): prompts of {} tokens, generation {} "
        "(`qframe bench-types --from-llama-bench`). qframe: {} here. Its table: `{}`.\n\n"
        "| type | llama.cpp prompt tok/s | qframe | qframe ÷ llama.cpp | llama.cpp generation tok/s | qframe | qframe ÷ llama.cpp |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n",
        key.numerics, key.cpu, key.threads, key.prompt_tokens,
        llama.gen_after_prompt ? fmt::format("of {} tokens after the prompt (-pg less -p)", llama.rest.gen_tokens)
                               : fmt::format("of {} tokens from an empty cache (-n; qframe's follow the prompt)", llama.rest.gen_tokens),
        std::any_of(llama.files.begin(), llama.files.end(), [](const LlamaBenchFileSpeed& f) { return f.qframe.measured.has_value(); })
            ? "measured (--measure)"
            : "predicted from its table",
        llama.table_file);
    nlohmann::json files = nlohmann::json::array();
    std::vector<MixSpeed> mixes;
    std::vector<std::string> unpredicted;  // mixes with a type no single-type file has
    for (const auto& f : llama.files) {
        const SpeedPrediction& q = f.qframe.measured ? *f.qframe.measured : f.qframe.predicted;
        nlohmann::json row = {{"file", f.qframe.file},
                              {"type", f.single_type},
                              {"llama_prompt_tps", f.llama_measured.prompt_tps},
                              {"llama_gen_tps", f.llama_measured.gen_tps},
                              {"qframe_prompt_tps", q.prompt_tps},
                              {"qframe_gen_tps", q.gen_tps},
                              {"qframe_measured", f.qframe.measured.has_value()}};
        if (f.llama_predicted) {
            row["llama_predicted_prompt_tps"] = f.llama_predicted->prompt_tps;
            row["llama_predicted_gen_tps"] = f.llama_predicted->gen_tps;
        }
        files.push_back(row);
        if (f.single_type.empty()) {
            if (f.llama_predicted) mixes.push_back({f.qframe.file, *f.llama_predicted, f.llama_measured});
            else unpredicted.push_back(f.qframe.file);
            continue;
        }
        md += fmt::format("| {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} |\n", f.single_type, f.llama_measured.prompt_tps, q.prompt_tps,
                          q.prompt_tps / f.llama_measured.prompt_tps, f.llama_measured.gen_tps, q.gen_tps, q.gen_tps / f.llama_measured.gen_tps);
    }
    json = {{"table", llama.table_file}, {"cpu", key.cpu}, {"threads", key.threads}, {"numerics", key.numerics},
            {"gen_after_prompt", llama.gen_after_prompt}, {"rest", rest_json(llama.rest)}, {"files", files}};
    md += fmt::format("\nThe rest of llama.cpp's pass: {:.1f} ms per prompt, {:.2f} ms per generated token ({}). Each single-type file is "
                      "predicted from llama.cpp's table exactly as llama-bench measured it (its time less the rest, shared among its "
                      "matrices as qframe's table shares that type's).\n",
                      llama.rest.prompt_seconds * 1e3, llama.rest.generation_seconds * 1e3, llama.rest.from);
    if (!mixes.empty()) {
        md += "\n### llama.cpp's speed model on the mixes llama-bench timed\n\n";
        nlohmann::json model;
        md += predictions_table(mixes, model);
        json["speed_model"] = model;
    }
    if (!unpredicted.empty())
        md += fmt::format("\nNot predicted (a type of theirs has no single-type file in the rows): {}.\n", fmt::join(unpredicted, ", "));
    return md;
}

}  // namespace

std::vector<std::string> write_type_report(const std::filesystem::path& dir, const std::string& model, const std::vector<MatrixShape>& shapes,
                                           const std::vector<std::string>& types, const TimingTable& table, const PassRest* rest,
                                           const std::vector<MixSpeed>& mixes, const LlamaBenchComparison* llama) {
    std::filesystem::create_directories(dir);
    const auto plots = draw(dir, model, shapes, types, table);

    std::string md = fmt::format("# The engine's matrix products by type: {}\n\n{}, {} thread(s), prompt batches of {} tokens, {} numerics "
                                 "(`qframe bench-types`). Each time is the median of the repetitions, per token; ×F16 is the time "
                                 "against F16's at the same shape.\n\n",
                                 model, table.cpu, table.threads, table.prompt_tokens, table.numerics);
    if (!plots.empty()) md += "![time per token against bits per weight](types.svg)\n\n";
    else md += "(no plot: gnuplot is missing or failed)\n\n";
    // The whole model's matrices at one type: the first-order cost of a mix.
    md += "## Every matrix of the model at one type\n\n| type | bpw | prompt ms per token | generation ms per token |\n|---|---:|---:|---:|\n";
    nlohmann::json whole = nlohmann::json::array();
    std::vector<std::pair<double, std::string>> ordered;
    for (const auto& t : types) {
        double prompt = 0, gen = 0, bpw = 0;
        bool complete = true;
        for (const auto& s : shapes) {
            const TypeTiming* e = table.find(t, s.cols, s.rows);
            if (!e) {
                complete = false;
                break;
            }
            prompt += e->prompt_seconds * static_cast<double>(s.tensors.size());
            gen += e->generation_seconds * static_cast<double>(s.tensors.size());
            bpw = e->bpw;
        }
        if (!complete) continue;
        ordered.emplace_back(-bpw, fmt::format("| {} | {:.2f} | {:.3f} | {:.3f} |\n", t, bpw, prompt * 1e3, gen * 1e3));
        whole.push_back({{"type", t}, {"bpw", bpw}, {"prompt_seconds_per_token", prompt}, {"generation_seconds", gen}});
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [_, row] : ordered) md += row;

    nlohmann::json shapes_json = nlohmann::json::array();
    for (const auto& s : shapes) {
        md += fmt::format("\n## {} ({} matri{}: {}{})\n\n| type | bpw | prompt µs per token | ×F16 | generation µs | ×F16 |\n|---|---:|---:|---:|---:|---:|\n",
                          shape_name(s), s.tensors.size(), s.tensors.size() == 1 ? "x" : "ces", s.tensors.front(),
                          s.tensors.size() > 1 ? ", …" : "");
        const TypeTiming* f16 = table.find("F16", s.cols, s.rows);
        nlohmann::json entries = nlohmann::json::array();
        for (const TypeTiming* e : by_bpw(types, s, table)) {
            const auto ratio = [&](double v, double ref) { return f16 && ref > 0 ? fmt::format("{:.2f}", v / ref) : std::string("–"); };
            md += fmt::format("| {} | {:.2f} | {} | {} | {} | {} |\n", e->type, e->bpw, micro(e->prompt_seconds),
                              ratio(e->prompt_seconds, f16 ? f16->prompt_seconds : 0), micro(e->generation_seconds),
                              ratio(e->generation_seconds, f16 ? f16->generation_seconds : 0));
            entries.push_back({{"type", e->type}, {"bpw", e->bpw}, {"prompt_seconds_per_token", e->prompt_seconds},
                               {"generation_seconds", e->generation_seconds}, {"measured", e->measured}});
        }
        shapes_json.push_back({{"cols", s.cols}, {"rows", s.rows}, {"tensors", s.tensors}, {"timings", entries}});
    }
    nlohmann::json speed_model = nlohmann::json::object();
    if (rest) md += mixes_section(*rest, mixes, speed_model);
    nlohmann::json report = {{"model", model},       {"cpu", table.cpu},         {"threads", table.threads},
                                   {"prompt_tokens", table.prompt_tokens}, {"numerics", table.numerics}, {"shapes", shapes_json},
                                   {"whole_model", whole}, {"plots", plots}};
    if (rest) report["speed_model"] = speed_model;
    if (llama) {
        nlohmann::json llama_json;
        md += llama_section(*llama, llama_json);
        report["llama_bench"] = llama_json;
    }
    write_text_atomically(dir / "report.json", report.dump(1) + "\n");
    write_text_atomically(dir / "REPORT.md", md);
    return plots;
}

}  // namespace qframe::speed
