#include "qframe/provenance.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include "qframe/error.hpp"
#include "qframe/sha256.hpp"
#include "qframe/types.hpp"

#ifndef QFRAME_VERSION_STRING
#error "QFRAME_VERSION_STRING is set by framework/CMakeLists.txt"
#endif

namespace qframe {
namespace {

bool any_type_changed(std::span<const NamedTensorType> before, std::span<const NamedTensorType> after) {
    return !std::equal(before.begin(), before.end(), after.begin(), after.end(),
                       [](const NamedTensorType& a, const NamedTensorType& b) { return a.type_id == b.type_id; });
}

}  // namespace

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
