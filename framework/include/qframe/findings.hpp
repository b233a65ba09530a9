// What stages report: per-tensor rows of named values, gathered into REPORT.json / REPORT.md.
#pragma once

#include <nlohmann/json.hpp>

namespace qframe {

// A JSON object with stable keys chosen by the stage (e.g. {"max_abs": 0.04, "changed": 17}).
// Numbers stay numbers in REPORT.json; REPORT.md renders each key as a column.
using Findings = nlohmann::ordered_json;

}  // namespace qframe
