// GGUF metadata: typed key/value pairs kept in file order so that a copy is byte-identical.
#pragma once

#include "qframe/export.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qframe {

// GGUF's value type ids (gguf_type in ggml's gguf.h).
enum class ValueType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
    BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};

// "u32", "str", "arr"…; "?" for an id outside the table.
QFRAME_API std::string_view value_type_name(ValueType type);
// Byte width of a fixed-size type; 0 for STRING and ARRAY (and unknown ids).
QFRAME_API size_t value_type_size(ValueType type);

// One metadata value. Scalars keep their raw little-endian bits (exact round trip, NaN
// payloads included); arrays of fixed-size scalars keep their raw bytes so that a 128k-entry
// vocabulary costs one allocation, not 128k.
class QFRAME_API Value {
public:
    Value() = default;

    template <class T>
    static Value scalar(ValueType type, T v) {
        Value out(type);
        std::memcpy(&out.bits_, &v, sizeof v);
        return out;
    }
    static Value u8(uint8_t v) { return scalar(ValueType::UINT8, v); }
    static Value i8(int8_t v) { return scalar(ValueType::INT8, v); }
    static Value u16(uint16_t v) { return scalar(ValueType::UINT16, v); }
    static Value i16(int16_t v) { return scalar(ValueType::INT16, v); }
    static Value u32(uint32_t v) { return scalar(ValueType::UINT32, v); }
    static Value i32(int32_t v) { return scalar(ValueType::INT32, v); }
    static Value u64(uint64_t v) { return scalar(ValueType::UINT64, v); }
    static Value i64(int64_t v) { return scalar(ValueType::INT64, v); }
    static Value f32(float v) { return scalar(ValueType::FLOAT32, v); }
    static Value f64(double v) { return scalar(ValueType::FLOAT64, v); }
    static Value boolean(bool v) { return scalar(ValueType::BOOL, static_cast<uint8_t>(v)); }
    static Value string(std::string s);
    // An array of fixed-size scalars given as raw little-endian bytes.
    static Value array(ValueType element_type, std::vector<uint8_t> raw);
    template <class T>
    static Value array_of(ValueType element_type, const std::vector<T>& items) {
        std::vector<uint8_t> raw(items.size() * sizeof(T));
        if (!raw.empty()) std::memcpy(raw.data(), items.data(), raw.size());
        return array(element_type, std::move(raw));
    }
    static Value string_array(std::vector<std::string> items);
    // Each item is itself an array (GGUF lets every inner array have its own element type).
    static Value array_of_arrays(std::vector<Value> items);

    ValueType type() const { return type_; }
    bool is_array() const { return type_ == ValueType::ARRAY; }

    // Scalars. Integer accessors throw qframe::Error when the value is not an integer or does
    // not fit; as_double accepts any number.
    uint64_t as_u64() const;
    int64_t as_i64() const;
    double as_double() const;
    bool as_bool() const;
    const std::string& as_string() const;
    uint64_t raw_bits() const { return bits_; }

    // Arrays.
    ValueType element_type() const { return element_type_; }
    size_t size() const;
    const std::vector<uint8_t>& raw_array() const { return raw_; }
    const std::vector<std::string>& strings() const { return strings_; }
    const std::vector<Value>& arrays() const { return arrays_; }
    // Element i of a scalar array, as a Value.
    Value element(size_t i) const;

    // A short human rendering: scalars in full, arrays summarised past `max_items`.
    std::string to_string(size_t max_items = 8) const;

    bool operator==(const Value&) const = default;

private:
    explicit Value(ValueType type) : type_(type) {}

    ValueType type_ = ValueType::UINT8;
    ValueType element_type_ = ValueType::UINT8;
    uint64_t bits_ = 0;
    std::string string_;
    std::vector<uint8_t> raw_;
    std::vector<std::string> strings_;
    std::vector<Value> arrays_;
};

// Ordered key/value list; keys are unique (the reader rejects duplicates).
class QFRAME_API Metadata {
public:
    using Entry = std::pair<std::string, Value>;

    const Value* find(std::string_view key) const;
    // Replaces the value of an existing key in place, or appends a new key.
    void set(std::string key, Value value);
    bool erase(std::string_view key);

    // nullopt when the key is absent; qframe::Error naming the key when its value has another type.
    std::optional<uint64_t> get_u64(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;

    const std::vector<Entry>& entries() const { return entries_; }
    size_t size() const { return entries_.size(); }

private:
    std::vector<Entry> entries_;
};

}  // namespace qframe
