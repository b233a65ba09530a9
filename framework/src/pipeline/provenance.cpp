#include "qframe/provenance.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <ctime>

#include "qframe/error.hpp"
#include "qframe/sha256.hpp"
#include "qframe/types.hpp"

#ifndef QFRAME_VERSION_STRING
#error "QFRAME_VERSION_STRING is set by framework/CMakeLists.txt"
#endif

namespace qframe {
namespace {

// `text` as a T when all of it is one.
template <class T>
std::optional<T> whole_number(const std::string& text) {
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

bool any_type_changed(std::span<const NamedTensorType> before, std::span<const NamedTensorType> after) {
    return !std::equal(before.begin(), before.end(), after.begin(), after.end(),
                       [](const NamedTensorType& a, const NamedTensorType& b) { return a.type_id == b.type_id; });
}

}  // namespace

MetadataSetting parse_metadata_setting(const std::string& key, const std::string& typed_value) {
    const auto fail = [&](const std::string& why) { return Error(fmt::format("metadata {}={}: {}", key, typed_value, why)); };
    if (key.empty()) throw fail("no key");
    if (key.starts_with("qframe.")) throw fail("qframe.* keys say how this file was made; qframe writes them itself");
    if (key == "general.alignment") throw fail("the alignment shapes the file's layout; it stays the input's");
    const auto colon = typed_value.find(':');
    if (colon == std::string::npos) throw fail("not TYPE:VALUE (TYPE: int, float, bool, str or u32)");
    const std::string type = typed_value.substr(0, colon), text = typed_value.substr(colon + 1);
    const auto integer = [&](long long lo, long long hi) {
        const auto v = whole_number<long long>(text);
        if (!v) throw fail(fmt::format("'{}' is not an integer", text));
        if (*v < lo || *v > hi) throw fail(fmt::format("{} does not fit a {}", *v, type));
        return *v;
    };
    if (type == "int") return {key, Value::i32(static_cast<int32_t>(integer(INT32_MIN, INT32_MAX)))};
    if (type == "u32") return {key, Value::u32(static_cast<uint32_t>(integer(0, UINT32_MAX)))};
    if (type == "float") {
        const auto v = whole_number<double>(text);
        if (!v) throw fail(fmt::format("'{}' is not a number", text));
        return {key, Value::f32(static_cast<float>(*v))};
    }
    if (type == "bool") {
        if (text != "true" && text != "false") throw fail(fmt::format("'{}' is not true or false", text));
        return {key, Value::boolean(text == "true")};
    }
    if (type == "str") {
        if (text.size() > 127) throw fail("longer than llama.cpp's 127 bytes");
        return {key, Value::string(text)};
    }
    throw fail(fmt::format("unknown type '{}' (int, float, bool, str or u32)", type));
}

std::string provenance_date() {
    std::time_t t = std::time(nullptr);
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
        char* end = nullptr;
        const long long v = std::strtoll(epoch, &end, 10);
        if (*end != '\0' || v < 0) throw Error(fmt::format("SOURCE_DATE_EPOCH='{}' is not a number of seconds", epoch));
        t = static_cast<std::time_t>(v);
    }
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc);
}

Metadata output_metadata(const Metadata& input, std::span<const NamedTensorType> before, std::span<const NamedTensorType> after,
                         bool rewritten, const Provenance& provenance) {
    Metadata out;
    for (const auto& [key, value] : input.entries())
        if (!key.starts_with("qframe.")) out.set(key, value);

    if (rewritten) {
        if (any_type_changed(before, after) || !input.find(kFileTypeKey))
            out.set(std::string(kFileTypeKey), Value::u32(guess_llama_file_type(after)));
        out.set(std::string(kQuantizationVersionKey), Value::u32(kQuantizationVersion));
    }
    for (const auto& setting : provenance.metadata) out.set(setting.key, setting.value);

    namespace key = provenance_key;
    out.set(std::string(key::version), Value::string(QFRAME_VERSION_STRING));
    out.set(std::string(key::date), Value::string(provenance_date()));
    out.set(std::string(key::recipe_name), Value::string(provenance.recipe_name));
    if (!provenance.recipe_text.empty()) {
        out.set(std::string(key::recipe_sha256), Value::string(sha256_hex(provenance.recipe_text)));
        out.set(std::string(key::recipe_text), Value::string(provenance.recipe_text));
    }
    if (!provenance.recipe_overrides.empty())
        out.set(std::string(key::recipe_overrides), Value::string_array(provenance.recipe_overrides));
    out.set(std::string(key::input_file), Value::string(provenance.input_file));
    if (!provenance.input_sha256.empty()) out.set(std::string(key::input_sha256), Value::string(provenance.input_sha256));
    return out;
}

GgufLayout output_layout(const GgufFile& input, std::span<const NamedTensorType> after, bool rewritten, const Provenance& provenance) {
    std::vector<NamedTensorType> before;
    before.reserve(input.tensors().size());
    for (const auto& t : input.tensors()) before.push_back({t.name, t.type_id});
    GgufLayout layout = layout_of(input);
    layout.metadata = output_metadata(input.metadata(), before, after, rewritten, provenance);
    // The header's size with no padding yet; each space then moves the data section by one byte
    // once past the alignment's rounding, so (target − start) mod page spaces land it there.
    const std::string padding_key(provenance_key::page_padding);
    layout.metadata.set(padding_key, Value::string(""));
    std::vector<OutputTensor> infos;
    for (size_t i = 0; i < after.size(); ++i) infos.push_back({std::string(after[i].name), after[i].type_id, input.tensors()[i].dims, 0, {}, {}, {}});
    const uint64_t start = data_section_offset(layout, infos), target = input.data_offset() % kCopyPageBytes;
    layout.metadata.set(padding_key, Value::string(std::string((target + kCopyPageBytes - start % kCopyPageBytes) % kCopyPageBytes, ' ')));
    return layout;
}

}  // namespace qframe
