// Importance matrices in llama.cpp's two file formats (qframe/importance.hpp describes both).
#include "qframe/importance.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "file_named.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/output_file.hpp"

namespace qframe {
namespace {

constexpr std::string_view kSums = ".in_sum2", kCounts = ".counts", kSums1 = ".in_sum";

bool ends_with_strip(std::string& s, std::string_view suffix) {
    if (!s.ends_with(suffix)) return false;
    s.resize(s.size() - suffix.size());
    return true;
}

// Values no encoder can weight by: the entry is refused as a whole, naming it.
void check_entry(const std::filesystem::path& path, const std::string& name, const ImportanceEntry& e) {
    const auto bad = [&](const std::string& what) { return Error(fmt::format("{}: importance of {}: {}", path.string(), name, what)); };
    if (e.n_matrices == 0 || e.sum_squares.empty() || e.sum_squares.size() % e.n_matrices != 0)
        throw bad(fmt::format("{} sums for {} matrices", e.sum_squares.size(), e.n_matrices));
    if (e.counts.size() != e.n_matrices) throw bad(fmt::format("{} counts for {} matrices", e.counts.size(), e.n_matrices));
    for (size_t i = 0; i < e.sum_squares.size(); ++i)
        if (!std::isfinite(e.sum_squares[i]) || e.sum_squares[i] < 0)
            throw bad(fmt::format("sum of squares {} at column {}", e.sum_squares[i], i % e.columns()));
    for (size_t m = 0; m < e.counts.size(); ++m)
        if (!std::isfinite(e.counts[m]) || e.counts[m] < 0) throw bad(fmt::format("count {} for matrix {}", e.counts[m], m));
    // A dense matrix nothing was summed for says nothing; experts no token reached are allowed
    // (llama-imatrix writes them as partial data).
    if (e.n_matrices == 1 && e.counts[0] == 0) throw bad("a count of 0: no input was measured");
}

// ---- GGUF ----

std::span<const float> floats_of(const TensorInfo& t) {
    return {reinterpret_cast<const float*>(t.data.data()), static_cast<size_t>(t.n_values)};
}

ImportanceMatrix read_gguf(const std::filesystem::path& path) {
    const GgufFile file = GgufFile::open(path);
    const Metadata& md = file.metadata();
    ImportanceMatrix im;
    try {
        const auto type = md.get_string("general.type");
        if (type && *type != "imatrix") throw Error(fmt::format("a GGUF of general.type \"{}\", not an importance matrix", *type));
        im.chunk_count = static_cast<uint32_t>(md.get_u64("imatrix.chunk_count").value_or(0));
        im.chunk_size = static_cast<uint32_t>(md.get_u64("imatrix.chunk_size").value_or(0));
    } catch (const Error& e) {
        throw Error(file_named(path.string(), e.what()));
    }
    if (const Value* v = md.find("imatrix.datasets"); v && v->is_array() && v->element_type() == ValueType::STRING)
        im.datasets = v->strings();

    struct Parts {
        const TensorInfo* sums = nullptr;
        const TensorInfo* counts = nullptr;
    };
    std::map<std::string, Parts> parts;
    for (const TensorInfo& t : file.tensors()) {
        std::string name = t.name;
        if (ends_with_strip(name, kSums)) parts[name].sums = &t;
        else if (ends_with_strip(name, kCounts)) parts[name].counts = &t;
        else if (ends_with_strip(name, kSums1)) continue;  // the inputs' plain sums: no encoder reads them
        else throw Error(fmt::format("{}: tensor {} is not part of an importance matrix", path.string(), t.name));
    }
    if (parts.empty()) throw Error(fmt::format("{}: an importance matrix without entries", path.string()));
    for (const auto& [name, p] : parts) {
        if (!p.sums || !p.counts)
            throw Error(fmt::format("{}: importance of {}: {} without {}", path.string(), name, p.sums ? kSums : kCounts, p.sums ? kCounts : kSums));
        for (const TensorInfo* t : {p.sums, p.counts})
            if (t->type_id != static_cast<uint32_t>(TensorType::F32))
                throw Error(fmt::format("{}: {} is {}, not F32", path.string(), t->name, t->type_name()));
        ImportanceEntry e;
        e.n_matrices = static_cast<uint32_t>(p.counts->n_values);
        const auto sums = floats_of(*p.sums);
        const auto counts = floats_of(*p.counts);
        e.sum_squares.assign(sums.begin(), sums.end());
        e.counts.assign(counts.begin(), counts.end());
        if (p.sums->dims.size() >= 2 && p.sums->dims[1] != e.n_matrices)
            throw Error(fmt::format("{}: importance of {}: {} is {}, its counts say {} matrices", path.string(), name,
                                    p.sums->name, p.sums->shape(), e.n_matrices));
        check_entry(path, name, e);
        im.entries.emplace(name, std::move(e));
    }
    return im;
}

void write_gguf_file(const ImportanceMatrix& im, const std::filesystem::path& path) {
    GgufLayout layout;
    layout.metadata.set("general.type", Value::string("imatrix"));
    layout.metadata.set("imatrix.datasets", Value::string_array(im.datasets));
    layout.metadata.set("imatrix.chunk_count", Value::u32(im.chunk_count));
    layout.metadata.set("imatrix.chunk_size", Value::u32(im.chunk_size));
    std::vector<OutputTensor> tensors;
    const auto add = [&](std::string name, std::vector<uint64_t> dims, const std::vector<float>& values) {
        const std::span<const std::byte> bytes = std::as_bytes(std::span(values));
        tensors.push_back({std::move(name), static_cast<uint32_t>(TensorType::F32), std::move(dims), bytes.size(),
                           [bytes](std::vector<std::byte>&) { return bytes; }, {}, {}});
    };
    for (const auto& [name, e] : im.entries) {  // llama.cpp's order: by name, the sums before the counts
        add(name + std::string(kSums), {e.columns(), e.n_matrices}, e.sum_squares);
        add(name + std::string(kCounts), {1, e.n_matrices}, e.counts);
    }
    write_gguf(path, layout, tensors);
}

// ---- legacy .dat ----

class DatReader {
public:
    DatReader(std::span<const std::byte> bytes, const std::filesystem::path& path) : bytes_(bytes), path_(path) {}
    int32_t i32(std::string_view what) {
        int32_t v;
        std::memcpy(&v, take(4, what).data(), 4);
        return v;
    }
    std::span<const std::byte> take(size_t n, std::string_view what) {
        if (n > bytes_.size() - pos_)
            throw FormatError(path_.string(), pos_, fmt::format("truncated: {} needs {} bytes, {} are left", what, n, bytes_.size() - pos_));
        const auto out = bytes_.subspan(pos_, n);
        pos_ += n;
        return out;
    }
    size_t left() const { return bytes_.size() - pos_; }
    size_t pos() const { return pos_; }

private:
    std::span<const std::byte> bytes_;
    const std::filesystem::path& path_;
    size_t pos_ = 0;
};

ImportanceMatrix read_dat(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    DatReader in(bytes, path);
    const int32_t n_entries = in.i32("the entry count");
    // Each entry takes at least 16 bytes: a count beyond that is not this format.
    if (n_entries < 1 || static_cast<size_t>(n_entries) > bytes.size() / 16)
        throw FormatError(path.string(), 0, fmt::format("not an importance matrix (GGUF, or llama.cpp's .dat with {} entries)", n_entries));
    ImportanceMatrix im;
    for (int32_t i = 0; i < n_entries; ++i) {
        const size_t at = in.pos();
        const int32_t len = in.i32("a name's length");
        if (len < 1 || len > 4096) throw FormatError(path.string(), at, fmt::format("entry {}: a name of {} bytes", i, len));
        const auto name_bytes = in.take(static_cast<size_t>(len), "a name");
        std::string name(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
        ImportanceEntry e;
        e.legacy_calls = in.i32("ncall");
        const int32_t n = in.i32("the value count");
        if (e.legacy_calls < 1 || n < 1)
            throw FormatError(path.string(), at, fmt::format("entry {} ({}): {} calls, {} values", i, name, e.legacy_calls, n));
        e.sum_squares.resize(static_cast<size_t>(n));
        std::memcpy(e.sum_squares.data(), in.take(size_t(n) * 4, "the values").data(), size_t(n) * 4);
        // As c392e50 loads it: the stored mean squares × ncall are sums over ncall "rows".
        e.counts = {static_cast<float>(e.legacy_calls)};
        check_entry(path, name, e);
        if (!im.entries.emplace(name, std::move(e)).second) throw FormatError(path.string(), at, fmt::format("{} twice", name));
    }
    // The chunk count and the dataset's name follow (files of older llama.cpp stop earlier).
    if (in.left() >= 4) im.chunk_count = static_cast<uint32_t>(std::max(0, in.i32("the chunk count")));
    if (in.left() >= 4) {
        const int32_t len = in.i32("the dataset name's length");
        if (len < 0 || static_cast<size_t>(len) > in.left()) throw FormatError(path.string(), in.pos() - 4, fmt::format("a dataset name of {} bytes", len));
        const auto name = in.take(static_cast<size_t>(len), "the dataset name");
        im.datasets.emplace_back(reinterpret_cast<const char*>(name.data()), name.size());
    }
    if (in.left() != 0) throw FormatError(path.string(), in.pos(), fmt::format("{} bytes after the end", in.left()));
    return im;
}

void append_i32(std::vector<std::byte>& out, int32_t v) {
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    out.insert(out.end(), p, p + 4);
}

void write_dat(const ImportanceMatrix& im, const std::filesystem::path& path) {
    std::vector<std::byte> out;
    append_i32(out, static_cast<int32_t>(im.entries.size()));
    for (const auto& [name, e] : im.entries) {
        append_i32(out, static_cast<int32_t>(name.size()));
        const auto* p = reinterpret_cast<const std::byte*>(name.data());
        out.insert(out.end(), p, p + name.size());
        const int32_t ncall = e.legacy_calls > 0 ? e.legacy_calls : static_cast<int32_t>(std::max(im.chunk_count, 1u));
        append_i32(out, ncall);
        append_i32(out, static_cast<int32_t>(e.sum_squares.size()));
        const size_t cols = e.columns();
        for (size_t i = 0; i < e.sum_squares.size(); ++i) {
            const float count = e.counts[i / cols];
            // c392e50's arithmetic, (sum / count) · ncall in float; a sum over ncall rows is
            // already that product (and stays exact through a round trip).
            float v = count == static_cast<float>(ncall) ? e.sum_squares[i]
                                                          : (e.sum_squares[i] / count) * static_cast<float>(ncall);
            if (count == 0) v = static_cast<float>(ncall);  // an expert no token reached: weights of 1, as llama.cpp stores them
            const auto* b = reinterpret_cast<const std::byte*>(&v);
            out.insert(out.end(), b, b + 4);
        }
    }
    append_i32(out, static_cast<int32_t>(im.chunk_count));
    const std::string dataset = im.datasets.empty() ? std::string() : im.datasets.back();
    append_i32(out, static_cast<int32_t>(dataset.size()));
    const auto* p = reinterpret_cast<const std::byte*>(dataset.data());
    out.insert(out.end(), p, p + dataset.size());
    write_file_atomically(path, out);
}

}  // namespace

std::vector<float> ImportanceEntry::mean_squares(uint32_t matrix) const {
    const size_t cols = columns();
    std::vector<float> out(cols, 1.0f);  // a matrix no input reached: every column alike
    const float count = counts.at(matrix);
    if (count > 0)
        for (size_t j = 0; j < cols; ++j) out[j] = sum_squares[matrix * cols + j] / count;
    return out;
}

ImportanceMatrix ImportanceMatrix::read(const std::filesystem::path& path) {
    const MappedFile mapping(path);
    const auto bytes = mapping.bytes();
    if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0) return read_gguf(path);
    return read_dat(path, bytes);
}

void ImportanceMatrix::write(const std::filesystem::path& path, ImportanceFormat format) const {
    if (entries.empty()) throw Error(fmt::format("{}: an importance matrix without entries is not written", path.string()));
    if (format == ImportanceFormat::legacy_dat) write_dat(*this, path);
    else write_gguf_file(*this, path);
}

const ImportanceEntry* ImportanceMatrix::find(std::string_view weight_name) const {
    const auto it = entries.find(std::string(weight_name));
    return it == entries.end() ? nullptr : &it->second;
}

ImportanceFormat importance_format_for(const std::filesystem::path& path) {
    return path.extension() == ".dat" ? ImportanceFormat::legacy_dat : ImportanceFormat::gguf;
}

}  // namespace qframe
