#include "qframe/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iterator>
#include <variant>

#include "qframe/error.hpp"

namespace qframe {

OptionSpec OptionSpec::boolean(std::string name, std::string description, bool def) {
    return {std::move(name), OptionKind::Bool, std::move(description), OptionValue{def}, {}, {}, {}};
}

OptionSpec OptionSpec::integer(std::string name, std::string description, std::optional<int64_t> def, std::optional<int64_t> min,
                               std::optional<int64_t> max) {
    OptionSpec s{std::move(name), OptionKind::Int, std::move(description), {}, {}, {}, {}};
    if (def) s.default_value = OptionValue{*def};
    if (min) s.min = static_cast<double>(*min);
    if (max) s.max = static_cast<double>(*max);
    return s;
}

OptionSpec OptionSpec::number(std::string name, std::string description, std::optional<double> def, std::optional<double> min,
                              std::optional<double> max) {
    OptionSpec s{std::move(name), OptionKind::Float, std::move(description), {}, min, max, {}};
    if (def) s.default_value = OptionValue{*def};
    return s;
}

OptionSpec OptionSpec::string(std::string name, std::string description, std::optional<std::string> def) {
    OptionSpec s{std::move(name), OptionKind::String, std::move(description), {}, {}, {}, {}};
    if (def) s.default_value = OptionValue{*def};
    return s;
}

OptionSpec OptionSpec::choice(std::string name, std::string description, std::vector<std::string> choices,
                              std::optional<std::string> def) {
    OptionSpec s{std::move(name), OptionKind::Choice, std::move(description), {}, {}, {}, std::move(choices)};
    if (def) s.default_value = OptionValue{*def};
    return s;
}

OptionSpec OptionSpec::string_list(std::string name, std::string description, std::optional<std::vector<std::string>> def) {
    OptionSpec s{std::move(name), OptionKind::StringList, std::move(description), {}, {}, {}, {}};
    if (def) s.default_value = OptionValue{*def};
    return s;
}

OptionSpec OptionSpec::file(std::string name, std::string description, std::optional<std::string> def) {
    OptionSpec s = string(std::move(name), std::move(description), std::move(def));
    s.kind = OptionKind::File;
    return s;
}

std::string to_string(const OptionValue& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
            else if constexpr (std::is_same_v<T, std::string>) return v;
            else if constexpr (std::is_same_v<T, std::vector<std::string>>) return fmt::format("[{}]", fmt::join(v, ", "));
            else return fmt::format("{}", v);
        },
        value);
}

std::string describe(const OptionSpec& spec) {
    std::string type;
    switch (spec.kind) {
        case OptionKind::Bool: type = "bool"; break;
        case OptionKind::Int: type = "int"; break;
        case OptionKind::Float: type = "float"; break;
        case OptionKind::String: type = "string"; break;
        case OptionKind::Choice: type = fmt::format("{}", fmt::join(spec.choices, "|")); break;
        case OptionKind::StringList: type = "string or list of strings"; break;
        case OptionKind::File: type = "file"; break;
    }
    std::string out = fmt::format("{}: {}", spec.name, type);
    if (spec.min || spec.max)
        out += fmt::format(" in [{}, {}]", spec.min ? fmt::format("{}", *spec.min) : "-inf", spec.max ? fmt::format("{}", *spec.max) : "inf");
    if (!spec.default_value) out += " (required)";
    else if (const auto* s = std::get_if<std::string>(&*spec.default_value); s && s->empty()) out += " (default empty)";
    else out += fmt::format(" (default {})", to_string(*spec.default_value));
    if (!spec.description.empty()) out += " — " + spec.description;
    return out;
}

const OptionValue& Options::at(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw Error(fmt::format("option '{}' is not declared by this stage", name));
    return it->second;
}

namespace {

constexpr const char* kValueKinds[] = {"a bool", "an integer", "a number", "a string", "a list of strings"};
static_assert(std::size(kValueKinds) == std::variant_size_v<OptionValue>);

// The option's value as T, or an Error naming the option (a stage asked for the wrong type).
template <class T>
const T& typed(const OptionValue& value, const std::string& name) {
    if (const T* v = std::get_if<T>(&value)) return *v;
    const size_t wanted = OptionValue(std::in_place_type<T>).index();
    throw Error(fmt::format("option '{}' is {}, read as {}", name, kValueKinds[value.index()], kValueKinds[wanted]));
}

}  // namespace

bool Options::get_bool(const std::string& name) const { return typed<bool>(at(name), name); }
int64_t Options::get_int(const std::string& name) const { return typed<int64_t>(at(name), name); }
double Options::get_float(const std::string& name) const {
    const auto& v = at(name);
    if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);  // Int values widen
    return typed<double>(v, name);
}
const std::string& Options::get_string(const std::string& name) const { return typed<std::string>(at(name), name); }
const std::vector<std::string>& Options::get_strings(const std::string& name) const {
    return typed<std::vector<std::string>>(at(name), name);
}

}  // namespace qframe
