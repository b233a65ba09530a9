#include "qframe/metadata.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "qframe/error.hpp"

namespace qframe {

std::string_view value_type_name(ValueType type) {
    switch (type) {
        case ValueType::UINT8: return "u8";
        case ValueType::INT8: return "i8";
        case ValueType::UINT16: return "u16";
        case ValueType::INT16: return "i16";
        case ValueType::UINT32: return "u32";
        case ValueType::INT32: return "i32";
        case ValueType::FLOAT32: return "f32";
        case ValueType::BOOL: return "bool";
        case ValueType::STRING: return "str";
        case ValueType::ARRAY: return "arr";
        case ValueType::UINT64: return "u64";
        case ValueType::INT64: return "i64";
        case ValueType::FLOAT64: return "f64";
    }
    return "?";
}

size_t value_type_size(ValueType type) {
    switch (type) {
        case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
        case ValueType::UINT16: case ValueType::INT16: return 2;
        case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
        case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
        case ValueType::STRING: case ValueType::ARRAY: return 0;
    }
    return 0;
}

Value Value::string(std::string s) {
    Value out(ValueType::STRING);
    out.string_ = std::move(s);
    return out;
}

Value Value::array(ValueType element_type, std::vector<uint8_t> raw) {
    const size_t width = value_type_size(element_type);
    if (width == 0 || raw.size() % width != 0)
        throw Error("Value::array: element type must be a fixed-size scalar and the bytes a whole number of elements");
    Value out(ValueType::ARRAY);
    out.element_type_ = element_type;
    out.raw_ = std::move(raw);
    return out;
}

Value Value::string_array(std::vector<std::string> items) {
    Value out(ValueType::ARRAY);
    out.element_type_ = ValueType::STRING;
    out.strings_ = std::move(items);
    return out;
}

Value Value::array_of_arrays(std::vector<Value> items) {
    for (const auto& item : items)
        if (!item.is_array()) throw Error("Value::array_of_arrays: every item must be an array");
    Value out(ValueType::ARRAY);
    out.element_type_ = ValueType::ARRAY;
    out.arrays_ = std::move(items);
    return out;
}

namespace {

template <class T>
T load(uint64_t bits) {
    T v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

bool is_signed_int(ValueType t) {
    return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 || t == ValueType::INT64;
}
bool is_unsigned_int(ValueType t) {
    return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 || t == ValueType::UINT64;
}

int64_t signed_value(ValueType t, uint64_t bits) {
    switch (t) {
        case ValueType::INT8: return load<int8_t>(bits);
        case ValueType::INT16: return load<int16_t>(bits);
        case ValueType::INT32: return load<int32_t>(bits);
        default: return load<int64_t>(bits);
    }
}

}  // namespace

uint64_t Value::as_u64() const {
    if (is_unsigned_int(type_)) return bits_;
    if (is_signed_int(type_)) {
        const int64_t v = signed_value(type_, bits_);
        if (v >= 0) return static_cast<uint64_t>(v);
    }
    throw Error(fmt::format("expected a non-negative integer, found {} value {}", value_type_name(type_), to_string()));
}

int64_t Value::as_i64() const {
    if (is_signed_int(type_)) return signed_value(type_, bits_);
    if (is_unsigned_int(type_) && bits_ <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(bits_);
    throw Error(fmt::format("expected an integer, found {} value {}", value_type_name(type_), to_string()));
}

double Value::as_double() const {
    if (type_ == ValueType::FLOAT32) return load<float>(bits_);
    if (type_ == ValueType::FLOAT64) return load<double>(bits_);
    if (is_signed_int(type_)) return static_cast<double>(signed_value(type_, bits_));
    if (is_unsigned_int(type_)) return static_cast<double>(bits_);
    throw Error(fmt::format("expected a number, found {}", value_type_name(type_)));
}

bool Value::as_bool() const {
    if (type_ != ValueType::BOOL) throw Error(fmt::format("expected a bool, found {}", value_type_name(type_)));
    return bits_ != 0;
}

const std::string& Value::as_string() const {
    if (type_ != ValueType::STRING) throw Error(fmt::format("expected a string, found {}", value_type_name(type_)));
    return string_;
}

size_t Value::size() const {
    if (!is_array()) return 0;
    if (element_type_ == ValueType::STRING) return strings_.size();
    if (element_type_ == ValueType::ARRAY) return arrays_.size();
    return raw_.size() / value_type_size(element_type_);
}

Value Value::element(size_t i) const {
    if (!is_array() || i >= size()) throw Error("Value::element: index out of range");
    if (element_type_ == ValueType::STRING) return string(strings_[i]);
    if (element_type_ == ValueType::ARRAY) return arrays_[i];
    const size_t width = value_type_size(element_type_);
    Value out(element_type_);
    std::memcpy(&out.bits_, raw_.data() + i * width, width);
    return out;
}

std::string Value::to_string(size_t max_items) const {
    switch (type_) {
        case ValueType::STRING: return fmt::format("\"{}\"", string_);
        case ValueType::BOOL: return bits_ ? "true" : "false";
        case ValueType::FLOAT32: return fmt::format("{}", load<float>(bits_));
        case ValueType::FLOAT64: return fmt::format("{}", load<double>(bits_));
        case ValueType::ARRAY: {
            const size_t n = size();
            std::string out = "[";
            for (size_t i = 0; i < std::min(n, max_items); ++i) {
                if (i) out += ", ";
                out += element(i).to_string(max_items);
            }
            if (n > max_items) out += fmt::format(", … ({} {} in all)", n, value_type_name(element_type_));
            return out + "]";
        }
        default:
            return is_signed_int(type_) ? fmt::format("{}", signed_value(type_, bits_)) : fmt::format("{}", bits_);
    }
}

const Value* Metadata::find(std::string_view key) const {
    for (const auto& [k, v] : entries_)
        if (k == key) return &v;
    return nullptr;
}

void Metadata::set(std::string key, Value value) {
    for (auto& [k, v] : entries_)
        if (k == key) {
            v = std::move(value);
            return;
        }
    entries_.emplace_back(std::move(key), std::move(value));
}

bool Metadata::erase(std::string_view key) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.first == key; });
    if (it == entries_.end()) return false;
    entries_.erase(it);
    return true;
}

namespace {

// A value read as the wrong type is reported with its key: "expected a string" alone does not
// say which of a model's keys is malformed.
template <class Get>
auto read_as(const Metadata& metadata, std::string_view key, Get get) -> std::optional<decltype(get(std::declval<const Value&>()))> {
    const Value* v = metadata.find(key);
    if (!v) return std::nullopt;
    try {
        return get(*v);
    } catch (const Error& e) {
        throw Error(fmt::format("metadata key '{}': {}", key, e.what()));
    }
}

}  // namespace

std::optional<uint64_t> Metadata::get_u64(std::string_view key) const {
    return read_as(*this, key, [](const Value& v) { return v.as_u64(); });
}

std::optional<std::string> Metadata::get_string(std::string_view key) const {
    return read_as(*this, key, [](const Value& v) { return v.as_string(); });
}

}  // namespace qframe
