#include "plots.hpp"

#include <boost/process.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "qframe/error.hpp"
#include "qframe/output_file.hpp"

namespace qframe::sweep {
namespace {

struct Cell {
    int layer;
    std::string role;
};

// The layer and role of a group named after one block tensor ("blk.3.attn_q" or a tensor name).
std::optional<Cell> cell_of(const std::string& group) {
    const int layer = tensor_layer(group);
    if (layer < 0) return std::nullopt;
    return Cell{layer, tensor_role(group)};
}

struct Grid {
    std::vector<std::string> roles;  // first appearance order
    int layers = 0;
    std::map<std::pair<std::string, int>, double> kld;
};

Grid grid_of(const std::vector<Findings>& results, const std::string& treatment) {
    Grid g;
    for (const auto& r : results) {
        if (r.value("treatment", "") != treatment || !r.contains("kld_mean")) continue;
        const auto c = cell_of(r.at("group").get<std::string>());
        if (!c) continue;
        if (std::find(g.roles.begin(), g.roles.end(), c->role) == g.roles.end()) g.roles.push_back(c->role);
        g.layers = std::max(g.layers, c->layer + 1);
        g.kld[{c->role, c->layer}] = r.at("kld_mean").get<double>();
    }
    return g;
}

// The gnuplot script for one treatment: both pictures, each as SVG and PNG.
std::string script(const Grid& g, const std::string& treatment, const std::string& study) {
    // Heatmap data: one row per role, one column per layer; cells never measured are NaN.
    std::string matrix, lines;
    for (const auto& role : g.roles) {
        for (int l = 0; l < g.layers; ++l) {
            const auto it = g.kld.find({role, l});
            const double v = it == g.kld.end() ? NAN : it->second;
            matrix += fmt::format("{} ", std::isnan(v) || v <= 0 ? std::string("NaN") : fmt::format("{:.6g}", std::log10(v)));
        }
        matrix += "\n";
    }
    for (int l = 0; l < g.layers; ++l) {
        lines += std::to_string(l);
        for (const auto& role : g.roles) {
            const auto it = g.kld.find({role, l});
            lines += it == g.kld.end() || it->second <= 0 ? " NaN" : fmt::format(" {:.6g}", it->second);
        }
        lines += "\n";
    }
    std::string ytics, plots;
    for (size_t i = 0; i < g.roles.size(); ++i) ytics += fmt::format("{}\"{}\" {}", i ? ", " : "", g.roles[i], i);
    for (size_t i = 0; i < g.roles.size(); ++i)
        plots += fmt::format("{}$lines using 1:{} with linespoints lw 2 title \"{}\"", i ? ", " : "", i + 2, g.roles[i]);
    const int width = std::max(640, 60 + 28 * g.layers), height = std::max(360, 120 + 36 * static_cast<int>(g.roles.size()));
    return fmt::format(R"GP(# gnuplot script written by qframe sweep: {study}, treatment {t}
$heat << EOD
{matrix}EOD
$lines << EOD
{lines}EOD
set datafile missing "NaN"
set title "{study}: mean KL divergence per layer and role, treatment {t}" noenhanced
set xlabel "layer"
set ytics ({ytics}) noenhanced
set xtics 1
set cblabel "log10 KLD (mean over scored tokens)"
set palette defined (0 "#ffffcc", 0.4 "#fd8d3c", 0.7 "#e31a1c", 1 "#4a0010")
set xrange [-0.5:{xmax}]
set yrange [-0.5:{ymax}] reverse
set tics nomirror
do for [kind in "svg pngcairo"] {{
  set terminal kind size {w},{h} font ",11"
  set output sprintf("heatmap_{t}.%s", kind eq "svg" ? "svg" : "png")
  plot $heat matrix with image notitle
}}
unset ytics
set ytics
set yrange [*:*] noreverse
set xrange [-0.2:{xmax2}]
set logscale y
set key outside right noenhanced
set ylabel "mean KLD"
set title "{study}: each role across the layers, treatment {t}" noenhanced
do for [kind in "svg pngcairo"] {{
  set terminal kind size {w2},420 font ",11"
  set output sprintf("roles_{t}.%s", kind eq "svg" ? "svg" : "png")
  plot {plots}
}}
)GP",
                       fmt::arg("study", study), fmt::arg("t", treatment), fmt::arg("matrix", matrix), fmt::arg("lines", lines),
                       fmt::arg("ytics", ytics), fmt::arg("xmax", g.layers - 0.5), fmt::arg("ymax", g.roles.size() - 0.5),
                       fmt::arg("xmax2", g.layers - 0.8), fmt::arg("w", width), fmt::arg("h", height), fmt::arg("w2", std::max(720, 300 + 40 * g.layers)),
                       fmt::arg("plots", plots));
}

}  // namespace

std::vector<std::string> draw_plots(const Study& study, const std::vector<Findings>& results) {
    if (study.per != GroupBy::Tensor && study.per != GroupBy::LayerRole) return {};
    std::vector<std::string> written;
    const auto dir = study.out / "plots";
    for (const auto& t : study.treatments) {
        const Grid g = grid_of(results, t.name);
        // Both pictures are on a log scale: a treatment that changed nothing (every KLD 0, e.g.
        // Q8_0 on a Q8_0 model) has nothing to draw, and gnuplot would fail on it.
        if (std::none_of(g.kld.begin(), g.kld.end(), [](const auto& cell) { return cell.second > 0; })) {
            if (!g.kld.empty()) spdlog::info("no plots for {}: every candidate's KLD is 0", t.name);
            continue;
        }
        std::filesystem::create_directories(dir);
        const auto file = dir / fmt::format("{}.gnuplot", t.name);
        write_text_atomically(file, script(g, t.name, study.name));
        run_gnuplot(file);
        for (const char* kind : {"heatmap", "roles"})
            for (const char* ext : {"svg", "png"}) written.push_back(fmt::format("plots/{}_{}.{}", kind, t.name, ext));
    }
    return written;
}

void run_gnuplot(const std::filesystem::path& script) {
    const auto gnuplot = boost::process::search_path("gnuplot");
    if (gnuplot.empty()) throw Error("the plots need gnuplot (Debian: apt-get install gnuplot-nox)");
    auto log = script;
    log.replace_extension(".log");
    const int status = boost::process::system(gnuplot, script.filename().string(), boost::process::start_dir(script.parent_path().string()),
                                              boost::process::std_out > boost::process::null, boost::process::std_err > log.string());
    if (status != 0) throw Error(fmt::format("gnuplot failed on {} (see {})", script.string(), log.string()));
}

}  // namespace qframe::sweep
