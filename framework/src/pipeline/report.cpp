// REPORT.json (machine-readable, stable keys) and REPORT.md (tables for people).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "qframe/catalog.hpp"
#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "qframe/runner.hpp"

namespace qframe {
namespace {

constexpr int kReportFormat = 1;

nlohmann::ordered_json option_json(const OptionValue& v) {
    return std::visit([](const auto& x) { return nlohmann::ordered_json(x); }, v);
}

nlohmann::ordered_json digest_json(const FileDigest& d) {
    if (d.path.empty()) return nullptr;
    return {{"path", d.path.string()}, {"size", d.size}, {"sha256", d.sha256}};
}

nlohmann::ordered_json report_json(const RunResult& r) {
    nlohmann::ordered_json stages = nlohmann::ordered_json::array();
    for (size_t i = 0; i < r.stages.size(); ++i) {
        const auto& s = r.stages[i];
        const auto& d = *s.planned->call.stage;
        nlohmann::ordered_json options = nlohmann::ordered_json::object();
        for (const auto& [k, v] : s.planned->call.options.values()) options[k] = option_json(v);
        nlohmann::ordered_json selection = nlohmann::ordered_json::array();
        for (const auto& sel : s.planned->selectors) {
            nlohmann::ordered_json o = nlohmann::ordered_json::object();
            for (const auto& [k, v] : sel.options.values()) o[k] = option_json(v);
            selection.push_back({{"selector", sel.stage->name}, {"options", o}});
        }
        nlohmann::ordered_json results = nlohmann::ordered_json::array();
        for (const auto& [tensor, findings] : s.findings) {
            nlohmann::ordered_json row = {{"tensor", tensor}};
            for (const auto& [k, v] : findings.items()) row[k] = v;
            results.push_back(std::move(row));
        }
        stages.push_back({{"index", i + 1}, {"stage", d.name}, {"kind", to_string(d.kind)}, {"plugin", d.plugin},
                          {"plugin_version", d.plugin_version}, {"options", options}, {"selection", selection},
                          {"selected", s.selected}, {"seconds", s.seconds}, {"results", results}});
    }
    return {{"qframe_report", kReportFormat},
            {"recipe", {{"path", r.plan->recipe_path.string()}, {"name", r.plan->name}, {"text", r.plan->recipe_text}}},
            {"input", digest_json(r.input)},
            {"output", digest_json(r.output)},
            {"rewritten_tensors", r.rewritten},
            {"changed_tensors", r.changed},
            {"stages", stages},
            {"timings", {{"write_seconds", r.write_seconds}, {"total_seconds", r.total_seconds}}}};
}

std::string cell(const nlohmann::ordered_json& v) {
    if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
    if (v.is_string()) {
        // Keep a table cell on one line: generated text may hold newlines and pipes.
        std::string out;
        for (char c : v.get<std::string>()) {
            if (c == '\n') out += "<br>";
            else if (c == '|') out += "\\|";
            else out += c;
        }
        return out;
    }
    return v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// A table with one row per object of `rows` and a column per key (first-seen order).
std::string table(const std::string& first_column, const std::vector<std::pair<std::string, const Findings*>>& rows) {
    std::vector<std::string> columns;
    std::set<std::string> seen;
    for (const auto& [label, f] : rows)
        for (const auto& [k, v] : f->items())
            if (seen.insert(k).second) columns.push_back(k);
    std::string md = first_column.empty() ? "|" : fmt::format("| {} |", first_column);
    for (const auto& c : columns) md += fmt::format(" {} |", c);
    md += first_column.empty() ? "\n|" : "\n|---|";
    for (size_t i = 0; i < columns.size(); ++i) md += "---:|";
    md += "\n";
    for (const auto& [label, f] : rows) {
        md += first_column.empty() ? "|" : fmt::format("| `{}` |", label);
        for (const auto& c : columns) md += fmt::format(" {} |", f->contains(c) ? cell((*f)[c]) : "");
        md += "\n";
    }
    return md;
}

// Whole-model findings read as a list; an array of objects (generations) becomes a table.
std::string model_findings(const Findings& f, int depth = 0) {
    std::string md;
    const std::string indent(2 * depth, ' ');
    for (const auto& [k, v] : f.items()) {
        if (v.is_object()) {
            md += fmt::format("{}- {}:\n{}", indent, k, model_findings(v, depth + 1));
        } else if (v.is_array() && !v.empty() && v.front().is_object()) {
            std::vector<std::pair<std::string, const Findings*>> rows;
            for (const auto& item : v) rows.emplace_back("", &item);
            md += fmt::format("{}- {}:\n\n{}\n", indent, k, table("", rows));
        } else {
            md += fmt::format("{}- {}: {}\n", indent, k, cell(v));
        }
    }
    return md;
}

std::string report_markdown(const RunResult& r) {
    std::string md = fmt::format("# qframe report: {}\n\nRecipe `{}`.\n\n", r.plan->name, r.plan->recipe_path.string());
    md += "| file | path | bytes | SHA-256 |\n|---|---|---:|---|\n";
    const auto digest = [](const std::string& sha256) { return sha256.empty() ? std::string("not computed (--no-hash)") : "`" + sha256 + "`"; };
    md += fmt::format("| input | `{}` | {} | {} |\n", r.input.path.string(), r.input.size, digest(r.input.sha256));
    if (!r.output.path.empty())
        md += fmt::format("| output | `{}` | {} | {} |\n", r.output.path.string(), r.output.size, digest(r.output.sha256));
    md += fmt::format("\n{} tensor(s) rewritten by quantizers, {} of them different from the input{}. Total {:.3f} s (writing {:.3f} s).\n",
                      r.rewritten.size(), r.changed.size(),
                      r.changed.empty() ? "" : ": " + fmt::format("`{}`", fmt::join(r.changed, "`, `")), r.total_seconds, r.write_seconds);

    for (const auto& s : r.stages) {
        const auto& d = *s.planned->call.stage;
        const std::string scope = kind_info(d.kind).whole_model ? "the whole model" : fmt::format("{} tensor(s) selected", s.selected.size());
        md += fmt::format("\n## Stage {}\n\n{} from plugin `{}` {}; {}; {:.3f} s.", s.planned->label, to_string(d.kind), d.plugin,
                          d.plugin_version, scope, s.seconds);
        std::vector<std::string> opts;
        for (const auto& [k, v] : s.planned->call.options.values()) opts.push_back(fmt::format("{}={}", k, to_string(v)));
        if (!opts.empty()) md += fmt::format(" Options: `{}`.", fmt::join(opts, "`, `"));
        md += "\n\n";
        if (s.findings.empty()) continue;
        if (kind_info(d.kind).whole_model) {
            for (const auto& [label, f] : s.findings) md += model_findings(f);
            continue;
        }
        std::vector<std::pair<std::string, const Findings*>> rows;
        for (const auto& [tensor, f] : s.findings) rows.emplace_back(tensor, &f);
        md += table("tensor", rows);
    }
    return md;
}

}  // namespace

void write_reports(const RunResult& result, const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot create the report directory: {}", dir.string(), ec.message()));
    // Generated text may hold invalid UTF-8 (a byte token cut a character): replace, never throw.
    write_text_atomically(dir / "REPORT.json", report_json(result).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
    write_text_atomically(dir / "REPORT.md", report_markdown(result));
}

}  // namespace qframe
