// Stage options: each stage declares a schema; recipes are validated against it before anything
// runs, and the stage reads typed values back.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace qframe {

// A File is a string naming a file the stage reads (a text, an importance matrix): the host
// resolves a relative path against the recipe's folder (a --set value: the working directory;
// a default: as written) and refuses a file it cannot read before any stage runs.
enum class OptionKind { Bool, Int, Float, String, Choice, StringList, File };

// A StringList accepts one string or a YAML list of strings.
using OptionValue = std::variant<bool, int64_t, double, std::string, std::vector<std::string>>;

struct QFRAME_API OptionSpec {
    std::string name;
    OptionKind kind = OptionKind::String;
    std::string description;
    std::optional<OptionValue> default_value;  // nullopt: the option is required
    std::optional<double> min, max;            // Int and Float
    std::vector<std::string> choices;          // Choice

    // Builders keep stage declarations to one line per option.
    static OptionSpec boolean(std::string name, std::string description, bool def);
    static OptionSpec integer(std::string name, std::string description, std::optional<int64_t> def,
                              std::optional<int64_t> min = {}, std::optional<int64_t> max = {});
    static OptionSpec number(std::string name, std::string description, std::optional<double> def,
                             std::optional<double> min = {}, std::optional<double> max = {});
    static OptionSpec string(std::string name, std::string description, std::optional<std::string> def);
    static OptionSpec choice(std::string name, std::string description, std::vector<std::string> choices,
                             std::optional<std::string> def);
    static OptionSpec string_list(std::string name, std::string description, std::optional<std::vector<std::string>> def);
    static OptionSpec file(std::string name, std::string description, std::optional<std::string> def);
};

using OptionSchema = std::vector<OptionSpec>;

QFRAME_API std::string describe(const OptionSpec& spec);  // "rounding: truncate|nearest_even (default truncate)"
QFRAME_API std::string to_string(const OptionValue& value);

// Validated option values: every option of the schema is present (given or defaulted).
class QFRAME_API Options {
public:
    Options() = default;
    explicit Options(std::map<std::string, OptionValue> values) : values_(std::move(values)) {}

    bool get_bool(const std::string& name) const;
    int64_t get_int(const std::string& name) const;
    double get_float(const std::string& name) const;  // Int values widen
    const std::string& get_string(const std::string& name) const;
    const std::vector<std::string>& get_strings(const std::string& name) const;
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    const std::map<std::string, OptionValue>& values() const { return values_; }

private:
    const OptionValue& at(const std::string& name) const;
    std::map<std::string, OptionValue> values_;
};

}  // namespace qframe
