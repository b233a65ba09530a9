// GGUF parsing and validation. Every count and length is checked against the bytes that remain
// before anything is allocated, so a forged header fails fast instead of exhausting memory.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "gguf/layout.hpp"
#include "qframe/gguf.hpp"

namespace qframe {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxDims = 4;
constexpr int kMaxArrayNesting = 16;      // deeper nesting is only ever a forged file

// Reads little-endian fields with bounds checks; every failure names the offset.
class Cursor {
public:
    Cursor(std::span<const std::byte> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

    [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
    [[noreturn]] void fail_at(uint64_t offset, const std::string& what) const {
        throw FormatError(file_, offset, what);
    }

    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return bytes_.size() - pos_; }

    void need(uint64_t n, const char* what) const {
        if (n > remaining())
            fail(fmt::format("{} needs {} bytes but only {} remain (file truncated or count forged)", what, n, remaining()));
    }

    template <class T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }

    std::span<const std::byte> take(uint64_t n, const char* what) {
        need(n, what);
        auto out = bytes_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

    std::string read_string(const char* what) {
        const uint64_t len = read<uint64_t>(what);
        auto raw = take(len, what);
        return {reinterpret_cast<const char*>(raw.data()), raw.size()};
    }

    // A count of items each at least `min_item_bytes` long must fit in what remains.
    uint64_t read_count(const char* what, uint64_t min_item_bytes) {
        const uint64_t at = pos_;
        const uint64_t n = read<uint64_t>(what);
        if (min_item_bytes && n > remaining() / min_item_bytes)
            fail_at(at, fmt::format("{} is {} but the {} bytes that remain hold at most {}", what, n, remaining(),
                                    remaining() / min_item_bytes));
        return n;
    }

private:
    std::span<const std::byte> bytes_;
    const std::string& file_;
    uint64_t pos_ = 0;
};

ValueType read_value_type(Cursor& in, const char* what) {
    const uint64_t at = in.pos();
    const uint32_t id = in.read<uint32_t>(what);
    if (id > static_cast<uint32_t>(ValueType::FLOAT64))
        in.fail_at(at, fmt::format("{}: unknown value type id {}", what, id));
    return static_cast<ValueType>(id);
}

Value read_array(Cursor& in, int depth);

Value read_value(Cursor& in, ValueType type, int depth) {
    switch (type) {
        case ValueType::STRING: return Value::string(in.read_string("string value"));
        case ValueType::ARRAY: return read_array(in, depth + 1);
        default: {
            const size_t width = value_type_size(type);
            auto raw = in.take(width, "scalar value");
            uint64_t bits = 0;
            std::memcpy(&bits, raw.data(), width);
            if (type == ValueType::BOOL && bits > 1) in.fail_at(in.pos() - 1, fmt::format("bool value is {}", bits));
            return Value::scalar(type, bits);
        }
    }
}

Value read_array(Cursor& in, int depth) {
    if (depth > kMaxArrayNesting) in.fail(fmt::format("arrays nested deeper than {}", kMaxArrayNesting));
    const ValueType element = read_value_type(in, "array element type");
    switch (element) {
        case ValueType::STRING: {
            const uint64_t n = in.read_count("string array length", sizeof(uint64_t));
            std::vector<std::string> items;
            items.reserve(n);
            for (uint64_t i = 0; i < n; ++i) items.push_back(in.read_string("array string"));
            return Value::string_array(std::move(items));
        }
        case ValueType::ARRAY: {
            const uint64_t n = in.read_count("nested array length", sizeof(uint32_t) + sizeof(uint64_t));
            std::vector<Value> items;
            items.reserve(n);
            for (uint64_t i = 0; i < n; ++i) items.push_back(read_array(in, depth + 1));
            return Value::array_of_arrays(std::move(items));
        }
        default: {
            const size_t width = value_type_size(element);
            const uint64_t n = in.read_count("array length", width);
            auto raw = in.take(n * width, "array data");
            std::vector<uint8_t> bytes(n * width);
            if (!bytes.empty()) std::memcpy(bytes.data(), raw.data(), bytes.size());
            if (element == ValueType::BOOL)
                for (uint8_t b : bytes)
                    if (b > 1) in.fail("bool array holds a value other than 0 or 1");
            return Value::array(element, std::move(bytes));
        }
    }
}

}  // namespace

// Friend of GgufFile: fills it in from the bytes.
class GgufParser {
public:
    static void parse(GgufFile& f) {
        Cursor in(f.bytes_, f.name_);
        read_header(f, in);
        read_tensor_infos(f, in);
        place_tensors(f, in);
    }

private:
    static void read_header(GgufFile& f, Cursor& in) {
        if (in.remaining() < 4) in.fail("file too short for a GGUF header");
        const uint32_t magic = in.read<uint32_t>("magic");
        if (magic != kMagic) in.fail_at(0, "not a GGUF file (magic is not \"GGUF\")");
        const uint32_t version = in.read<uint32_t>("version");
        if (version == 1) in.fail_at(4, "GGUF version 1 is not supported (32-bit counts); convert it with a current llama.cpp");
        if (version == 0x02000000u || version == 0x03000000u)
            in.fail_at(4, "big-endian GGUF is not supported; only little-endian files can be read");
        if (version != 2 && version != 3) in.fail_at(4, fmt::format("unsupported GGUF version {} (2 and 3 are supported)", version));
        f.version_ = version;

        // Minimal sizes: a tensor info is name length + n_dims + one dim + type + offset.
        const uint64_t n_tensors = in.read_count("tensor count", 8 + 4 + 8 + 4 + 8);
        // A key/value is key length + type + one byte of value.
        const uint64_t n_kv = in.read_count("metadata count", 8 + 4 + 1);

        std::unordered_set<std::string> keys;
        for (uint64_t i = 0; i < n_kv; ++i) {
            const uint64_t at = in.pos();
            std::string key = in.read_string("metadata key");
            if (key.empty()) in.fail_at(at, "empty metadata key");
            if (!keys.insert(key).second) in.fail_at(at, fmt::format("duplicate metadata key '{}'", key));
            const ValueType type = read_value_type(in, "metadata value type");
            f.metadata_.set(std::move(key), read_value(in, type, 0));
        }
        // Reserve tensor slots only now that the count is known to fit the file.
        f.tensors_.resize(n_tensors);

        if (const Value* a = f.metadata_.find(kAlignmentKey)) {
            if (const auto problem = gguf::alignment_problem(*a)) in.fail(*problem);
            f.alignment_ = a->as_u64();
        }
    }

    // ggml keeps a name in char[GGML_MAX_NAME = 64], terminator included.
    static constexpr size_t kMaxTensorNameBytes = 63;

    static void read_tensor_infos(GgufFile& f, Cursor& in) {
        std::unordered_set<std::string> names;
        for (auto& t : f.tensors_) {
            const uint64_t at = in.pos();
            t.name = in.read_string("tensor name");
            if (t.name.size() > kMaxTensorNameBytes)
                in.fail_at(at, fmt::format("tensor name of {} bytes, '{}…': ggml's limit is {} (llama.cpp refuses the file)",
                                           t.name.size(), t.name.substr(0, 32), kMaxTensorNameBytes));
            if (!names.insert(t.name).second) in.fail_at(at, fmt::format("duplicate tensor name '{}'", t.name));
            const uint64_t dims_at = in.pos();
            const uint32_t n_dims = in.read<uint32_t>("tensor n_dims");
            if (n_dims < 1 || n_dims > kMaxDims)
                in.fail_at(dims_at, fmt::format("tensor '{}' has n_dims {} (must be 1..{})", t.name, n_dims, kMaxDims));
            t.n_values = 1;
            for (uint32_t d = 0; d < n_dims; ++d) {
                const uint64_t dim_at = in.pos();
                const int64_t ne = in.read<int64_t>("tensor dimension");
                if (ne < 1) in.fail_at(dim_at, fmt::format("tensor '{}' dimension {} is {} (must be >= 1)", t.name, d, ne));
                uint64_t product = 0;
                if (__builtin_mul_overflow(t.n_values, static_cast<uint64_t>(ne), &product) || product > INT64_MAX)
                    in.fail_at(dim_at, fmt::format("tensor '{}' element count overflows 63 bits", t.name));
                t.n_values = product;
                t.dims.push_back(static_cast<uint64_t>(ne));
            }
            const uint64_t type_at = in.pos();
            t.type_id = in.read<uint32_t>("tensor type");
            t.type = find_type(t.type_id);
            if (t.type) {
                if (t.dims[0] % t.type->block_size != 0)
                    in.fail_at(type_at, fmt::format("tensor '{}': row length {} is not a multiple of {}'s block size {}", t.name,
                                                    t.dims[0], t.type->name, t.type->block_size));
                const auto size = byte_size(*t.type, t.n_values);
                if (!size) in.fail_at(type_at, fmt::format("tensor '{}' byte size overflows", t.name));
                t.n_bytes = *size;
            }
            const uint64_t offset_at = in.pos();
            t.offset = in.read<uint64_t>("tensor data offset");
            if (t.offset % f.alignment_ != 0)
                in.fail_at(offset_at, fmt::format("tensor '{}' data offset {} is not a multiple of the alignment {}", t.name,
                                                  t.offset, f.alignment_));
        }
        f.data_offset_ = gguf::align_up(in.pos(), f.alignment_);
    }

    // Checks every tensor's bytes lie inside the data section without overlap, and sets views.
    static void place_tensors(GgufFile& f, Cursor& in) {
        const uint64_t file_size = f.bytes_.size();
        if (f.tensors_.empty()) return;
        if (f.data_offset_ > file_size)
            in.fail_at(file_size, fmt::format("file ends at byte {} before its data section (byte {})", file_size, f.data_offset_));
        const uint64_t data_size = file_size - f.data_offset_;

        std::vector<size_t> order(f.tensors_.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return f.tensors_[a].offset < f.tensors_[b].offset; });

        for (size_t k = 0; k < order.size(); ++k) {
            TensorInfo& t = f.tensors_[order[k]];
            const uint64_t next = k + 1 < order.size() ? f.tensors_[order[k + 1]].offset : data_size;
            if (t.offset > data_size)
                in.fail_at(f.data_offset_ + std::min(t.offset, data_size),
                           fmt::format("tensor '{}' starts at data offset {}, past the end of the file ({} data bytes)", t.name, t.offset, data_size));
            if (!t.type) t.n_bytes = std::min(next, data_size) - t.offset;  // opaque: carry its whole extent
            if (t.n_bytes > data_size - t.offset)
                in.fail_at(f.data_offset_ + t.offset,
                           fmt::format("tensor '{}' needs {} bytes at data offset {} but the file holds only {} (truncated?)", t.name,
                                       t.n_bytes, t.offset, data_size - t.offset));
            if (k + 1 < order.size() && t.offset + t.n_bytes > next)
                in.fail_at(f.data_offset_ + next, fmt::format("tensors '{}' and '{}' overlap", t.name, f.tensors_[order[k + 1]].name));
            t.data = f.bytes_.subspan(f.data_offset_ + t.offset, t.n_bytes);
        }
    }
};

GgufFile GgufFile::parse(std::span<const std::byte> bytes, const std::string& display_name) {
    GgufFile f;
    f.bytes_ = bytes;
    f.name_ = display_name;
    GgufParser::parse(f);
    return f;
}

GgufFile GgufFile::open(const std::filesystem::path& path) {
    auto mapping = std::make_shared<const MappedFile>(path);
    GgufFile f = parse(mapping->bytes(), path.string());
    f.mapping_ = std::move(mapping);
    return f;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
    for (const auto& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

std::vector<float> GgufFile::decode(const TensorInfo& tensor) const {
    if (!tensor.type || !can_decode(tensor.type->type))
        throw Error(fmt::format("{}: tensor '{}' has type {}, which qframe cannot decode", name_, tensor.name, tensor.type_name()));
    std::vector<float> values(tensor.n_values);
    qframe::decode(tensor.type->type, tensor.data, values);
    return values;
}

std::string TensorInfo::type_name() const {
    return type_name_or_id(type, type_id);
}

std::string TensorInfo::shape() const {
    return fmt::format("{}", fmt::join(dims, " x "));
}

}  // namespace qframe
