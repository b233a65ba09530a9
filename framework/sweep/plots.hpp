// Pictures of a study, drawn by gnuplot (Debian's gnuplot-nox) as SVG and PNG: per treatment a
// heatmap of layer × role (colour: mean KLD, log scale) and each role's cost across the layers.
// Only for studies whose groups have a layer and a role (per: tensor or layer_role).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "qframe/findings.hpp"
#include "qframe/study.hpp"

namespace qframe::sweep {

// The plots written, relative to study.out (empty when there is nothing to draw); throws
// qframe::Error when gnuplot is needed but missing or fails.
std::vector<std::string> draw_plots(const Study& study, const std::vector<Findings>& results);

// Runs a gnuplot script in its own folder (so it names its outputs without paths), its messages
// into SCRIPT.log; throws qframe::Error when gnuplot is missing or fails.
void run_gnuplot(const std::filesystem::path& script);

}  // namespace qframe::sweep
