// qframe inspect FILE [--json] [--tensors GLOB]: header, metadata (and how qframe made the file), tensors.
#include <fnmatch.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>

#include "common.hpp"
#include "qframe/gguf.hpp"
#include "qframe/importance.hpp"
#include "qframe/input_file.hpp"
#include "qframe/provenance.hpp"

namespace qframe::cli {
namespace {

constexpr size_t kArrayItemsShown = 8;

bool matches(const std::string& glob, const std::string& name) {
    return glob.empty() || ::fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

std::string type_label(const Value& v) {
    if (!v.is_array()) return std::string(value_type_name(v.type()));
    return fmt::format("arr[{},{}]", value_type_name(v.element_type()), v.size());
}

nlohmann::json value_json(const Value& v) {
    switch (v.type()) {
        case ValueType::STRING: return v.as_string();
        case ValueType::BOOL: return v.as_bool();
        case ValueType::FLOAT32: case ValueType::FLOAT64: return v.as_double();
        case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64: return v.as_i64();
        case ValueType::ARRAY: {
            // Long arrays (vocabularies) are summarised: type, length and the first items.
            nlohmann::json items = nlohmann::json::array();
            for (size_t i = 0; i < std::min(v.size(), kArrayItemsShown); ++i) items.push_back(value_json(v.element(i)));
            return {{"type", value_type_name(v.element_type())}, {"length", v.size()}, {"first", items}};
        }
        default: return v.as_u64();
    }
}

constexpr size_t kStringCharsShown = 100;

// One line per key: strings with their line breaks escaped and long ones cut (the recipe text
// is printed whole in its own section); the file type with llama.cpp's name for it.
std::string value_text(const std::string& key, const Value& v) {
    if (key == kFileTypeKey && v.type() == ValueType::UINT32)
        return fmt::format("{} ({})", v.as_u64(), llama_file_type_name(static_cast<uint32_t>(v.as_u64())));
    if (v.type() != ValueType::STRING) return v.to_string(kArrayItemsShown);
    if (key == provenance_key::page_padding) return fmt::format("({} spaces that place the data section)", v.as_string().size());
    std::string text;
    for (char c : v.as_string()) text += c == '\n' ? std::string("\\n") : std::string(1, c);
    if (text.size() > kStringCharsShown) text = fmt::format("{}… ({} bytes)", text.substr(0, kStringCharsShown), v.as_string().size());
    return fmt::format("\"{}\"", text);
}

// What the qframe.* keys say, for people: which qframe, when, from what, with which recipe.
void print_provenance(const Metadata& m) {
    namespace key = provenance_key;
    const auto text = [&](std::string_view k) -> std::string {
        const Value* v = m.find(k);
        return v && v->type() == ValueType::STRING ? v->as_string() : "?";
    };
    if (!m.find(key::version)) return;
    fmt::print("\nmade by qframe {} on {}\n", text(key::version), text(key::date));
    fmt::print("  from   {} (SHA-256 {})\n", text(key::input_file), text(key::input_sha256));
    fmt::print("  recipe {}", text(key::recipe_name));
    if (m.find(key::recipe_sha256)) fmt::print(" (SHA-256 {})", text(key::recipe_sha256));
    fmt::print("\n");
    if (const Value* sets = m.find(key::recipe_overrides); sets && sets->is_array() && sets->element_type() == ValueType::STRING)
        for (const auto& set : sets->strings()) fmt::print("  --set  {}\n", set);
    if (m.find(key::recipe_text)) {
        fmt::print("  recipe text:\n");
        const std::string whole = text(key::recipe_text);
        for (std::string_view all = whole; !all.empty();) {
            const size_t end = all.find('\n');
            fmt::print("    | {}\n", all.substr(0, end));
            all = end == std::string_view::npos ? std::string_view() : all.substr(end + 1);
        }
    }
}

struct Totals {
    size_t count = 0;
    uint64_t bytes = 0, values = 0;
};

void print_text(const GgufFile& f, const std::string& glob) {
    fmt::print("{}\n  GGUF v{}, alignment {}, data section at byte {}, file size {} bytes\n\n", f.display_name(), f.version(),
               f.alignment(), f.data_offset(), f.file_size());
    fmt::print("metadata ({} keys):\n", f.metadata().size());
    size_t key_width = 0;
    for (const auto& [k, v] : f.metadata().entries()) key_width = std::max(key_width, k.size());
    for (const auto& [k, v] : f.metadata().entries())
        fmt::print("  {:<{}}  {:<16} {}\n", k, key_width, type_label(v), value_text(k, v));
    print_provenance(f.metadata());

    std::map<std::string, Totals> totals;
    size_t name_width = 4;
    for (const auto& t : f.tensors()) name_width = std::max(name_width, t.name.size());
    fmt::print("\ntensors ({}{}):\n", f.tensors().size(), glob.empty() ? "" : fmt::format(", showing those matching '{}'", glob));
    fmt::print("  {:<{}}  {:<8} {:<22} {:>12} {:>12}\n", "name", name_width, "type", "shape", "bytes", "offset");
    for (const auto& t : f.tensors()) {
        if (!matches(glob, t.name)) continue;
        fmt::print("  {:<{}}  {:<8} {:<22} {:>12} {:>12}\n", t.name, name_width, t.type_name(), t.shape(), t.n_bytes, t.offset);
        auto& tot = totals[t.type_name()];
        ++tot.count;
        tot.bytes += t.n_bytes;
        tot.values += t.n_values;
    }
    fmt::print("\ntotals by type:\n");
    Totals all;
    for (const auto& [type, tot] : totals) {
        fmt::print("  {:<8} {:>5} tensors {:>14} values {:>14} bytes\n", type, tot.count, tot.values, tot.bytes);
        all.count += tot.count;
        all.values += tot.values;
        all.bytes += tot.bytes;
    }
    fmt::print("  {:<8} {:>5} tensors {:>14} values {:>14} bytes\n", "all", all.count, all.values, all.bytes);
}

void print_json(const GgufFile& f, const std::string& glob) {
    nlohmann::json meta = nlohmann::json::array();
    for (const auto& [k, v] : f.metadata().entries()) meta.push_back({{"key", k}, {"type", type_label(v)}, {"value", value_json(v)}});
    nlohmann::json tensors = nlohmann::json::array();
    std::map<std::string, Totals> totals;
    for (const auto& t : f.tensors()) {
        if (!matches(glob, t.name)) continue;
        tensors.push_back({{"name", t.name}, {"type", t.type_name()}, {"type_id", t.type_id}, {"shape", t.dims},
                           {"values", t.n_values}, {"bytes", t.n_bytes}, {"offset", t.offset}});
        auto& tot = totals[t.type_name()];
        ++tot.count;
        tot.bytes += t.n_bytes;
        tot.values += t.n_values;
    }
    nlohmann::json by_type = nlohmann::json::object();
    for (const auto& [type, tot] : totals) by_type[type] = {{"tensors", tot.count}, {"values", tot.values}, {"bytes", tot.bytes}};
    nlohmann::json out = {{"file", f.display_name()}, {"version", f.version()}, {"alignment", f.alignment()},
                          {"data_offset", f.data_offset()}, {"file_size", f.file_size()}, {"metadata", meta},
                          {"tensors", tensors}, {"totals_by_type", by_type}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace

// An importance matrix: a GGUF of general.type "imatrix", or a .dat (llama.cpp's legacy format,
// whose reader says so when the file is not one).
bool is_importance_matrix(const std::string& path) {
    if (std::filesystem::path(path).extension() == ".dat") return true;
    const InputFile input(path, "GGUF file");
    char magic[4] = {};
    if (::pread(input.fd(), magic, 4, 0) != 4 || std::memcmp(magic, "GGUF", 4) != 0) return false;  // GgufFile says what is wrong
    return GgufFile::open(path).metadata().get_string("general.type") == std::optional<std::string>("imatrix");
}

// Per entry: its matrices, columns, rows counted and the spread of its columns' mean squares.
void print_importance(const std::string& path, const ImportanceMatrix& im, bool json) {
    nlohmann::ordered_json entries = nlohmann::ordered_json::array();
    for (const auto& [name, e] : im.entries) {
        float lo = std::numeric_limits<float>::infinity(), hi = 0;
        double sum = 0;
        for (uint32_t m = 0; m < e.n_matrices; ++m)
            for (float v : e.mean_squares(m)) lo = std::min(lo, v), hi = std::max(hi, v), sum += v;
        entries.push_back({{"name", name}, {"matrices", e.n_matrices}, {"columns", e.columns()}, {"counts", e.counts},
                           {"mean_square_min", lo}, {"mean_square_mean", sum / double(e.sum_squares.size())}, {"mean_square_max", hi}});
    }
    if (json) {
        nlohmann::ordered_json out{{"file", path}, {"type", "imatrix"}, {"datasets", im.datasets}, {"chunk_count", im.chunk_count},
                                   {"chunk_size", im.chunk_size}, {"entries", entries}};
        std::cout << out.dump(2) << "\n";
        return;
    }
    fmt::print("{}: importance matrix (imatrix), {} entries, {} chunks of {} tokens, datasets: {}\n", path, im.entries.size(),
               im.chunk_count, im.chunk_size ? fmt::format("{}", im.chunk_size) : std::string("?"), fmt::join(im.datasets, ", "));
    fmt::print("{:<40} {:>8} {:>8} {:>12} {:>12} {:>12} {:>12}\n", "weight", "matrices", "columns", "count", "min E[x²]", "mean E[x²]", "max E[x²]");
    for (const auto& e : entries)
        fmt::print("{:<40} {:>8} {:>8} {:>12} {:>12.4g} {:>12.4g} {:>12.4g}\n", e["name"].get<std::string>(), e["matrices"].get<uint32_t>(),
                   e["columns"].get<size_t>(), e["counts"].size() == 1 ? fmt::format("{}", e["counts"][0].get<float>()) : std::string("per expert"),
                   e["mean_square_min"].get<float>(), e["mean_square_mean"].get<double>(), e["mean_square_max"].get<float>());
}

int run_inspect(const std::vector<std::string>& args) {
    po::options_description options("inspect options");
    options.add_options()
        ("file", po::value<std::string>()->required(), "GGUF file")
        ("json", "machine-readable output")
        ("tensors", po::value<std::string>()->default_value(""), "only tensors whose name matches this glob");
    po::positional_options_description positional;
    positional.add("file", 1);
    const auto vm = parse(args, "qframe inspect FILE [--json] [--tensors GLOB]", options, positional);
    if (!vm) return 0;
    const std::string path = (*vm)["file"].as<std::string>();
    if (is_importance_matrix(path)) {
        print_importance(path, ImportanceMatrix::read(path), vm->count("json") > 0);
        return 0;
    }
    const auto file = GgufFile::open(path);
    const auto glob = (*vm)["tensors"].as<std::string>();
    if (vm->count("json")) print_json(file, glob);
    else print_text(file, glob);
    return 0;
}

}  // namespace qframe::cli
