// The GGUF writer. Layout follows ggml's gguf.cpp and gguf-py: header, key/values, tensor infos,
// zero padding to the alignment, then each tensor's bytes padded to the alignment.
#include <fmt/format.h>

#include <system_error>
#include <unordered_set>

#include "qframe/output_file.hpp"
#include "gguf/layout.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf_writer.hpp"

namespace qframe {
namespace {

// Serialises header fields into a byte vector (the header is small next to the tensors).
class HeaderBytes {
public:
    HeaderBytes() { bytes_.reserve(4096); }  // (also keeps GCC 12 from a false -Wstringop-overflow)
    template <class T>
    void put(T v) {
        const auto* p = reinterpret_cast<const std::byte*>(&v);
        bytes_.insert(bytes_.end(), p, p + sizeof v);
    }
    void put_raw(const void* data, size_t n) {
        const auto* p = static_cast<const std::byte*>(data);
        bytes_.insert(bytes_.end(), p, p + n);
    }
    void put_string(const std::string& s) {
        put<uint64_t>(s.size());
        put_raw(s.data(), s.size());
    }
    void put_value(const Value& v) {
        switch (v.type()) {
            case ValueType::STRING: put_string(v.as_string()); break;
            case ValueType::ARRAY: put_array(v); break;
            default: {
                const uint64_t bits = v.raw_bits();
                put_raw(&bits, value_type_size(v.type()));
            }
        }
    }
    void put_array(const Value& v) {
        put<uint32_t>(static_cast<uint32_t>(v.element_type()));
        put<uint64_t>(v.size());
        if (v.element_type() == ValueType::STRING) {
            for (const auto& s : v.strings()) put_string(s);
        } else if (v.element_type() == ValueType::ARRAY) {
            for (const auto& inner : v.arrays()) put_array(inner);
        } else {
            put_raw(v.raw_array().data(), v.raw_array().size());
        }
    }
    std::span<const std::byte> bytes() const { return bytes_; }

private:
    std::vector<std::byte> bytes_;
};

uint64_t alignment_of(const Metadata& metadata) {
    const Value* a = metadata.find(kAlignmentKey);
    if (!a) return kDefaultAlignment;
    if (const auto problem = gguf::alignment_problem(*a)) throw Error(*problem);
    return a->as_u64();
}

void check_tensors(const std::vector<OutputTensor>& tensors) {
    std::unordered_set<std::string> names;
    for (const auto& t : tensors) {
        if (!names.insert(t.name).second) throw Error(fmt::format("two output tensors are named '{}'", t.name));
        if (t.dims.empty() || t.dims.size() > 4) throw Error(fmt::format("output tensor '{}' has {} dims (must be 1..4)", t.name, t.dims.size()));
        if (!t.produce) throw Error(fmt::format("output tensor '{}' has no data", t.name));
    }
}

// The header: magic, counts, key/values and tensor infos (offsets within the data section).
HeaderBytes header_of(const GgufLayout& layout, const std::vector<OutputTensor>& tensors, uint64_t alignment, uint64_t& data_bytes) {
    HeaderBytes header;
    header.put_raw("GGUF", 4);
    header.put<uint32_t>(layout.version);
    header.put<uint64_t>(tensors.size());
    header.put<uint64_t>(layout.metadata.size());
    for (const auto& [key, value] : layout.metadata.entries()) {
        header.put_string(key);
        header.put<uint32_t>(static_cast<uint32_t>(value.type()));
        header.put_value(value);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        header.put_string(t.name);
        header.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
        for (uint64_t d : t.dims) header.put<uint64_t>(d);
        header.put<uint32_t>(t.type_id);
        header.put<uint64_t>(offset);
        offset = gguf::align_up(offset + t.n_bytes, alignment);
    }
    data_bytes = offset;
    return header;
}

}  // namespace

void refuse_overwriting(const std::filesystem::path& path, const std::vector<std::filesystem::path>& inputs) {
    check_output_target(path);
    std::error_code ec;
    for (const auto& input : inputs)
        if (std::filesystem::equivalent(path, input, ec))
            throw Error(fmt::format("{}: refusing to write the output onto the input file {}, which this command reads", path.string(), input.string()));
}

GgufLayout layout_of(const GgufFile& file) {
    return GgufLayout{file.version(), file.metadata(), !file.ends_before_data_section()};
}

OutputTensor pass_through(const GgufFile& file, const TensorInfo& tensor) {
    auto view = tensor.data;
    OutputTensor out{tensor.name, tensor.type_id, tensor.dims, tensor.n_bytes, [view](std::vector<std::byte>&) { return view; }, {}, {}};
    if (auto mapping = file.mapping()) {
        out.written = [mapping, view] { mapping->release(view); };
        out.source = mapping;
    }
    return out;
}

std::vector<OutputTensor> pass_through_all(const GgufFile& file) {
    std::vector<OutputTensor> out;
    out.reserve(file.tensors().size());
    for (const auto& t : file.tensors()) out.push_back(pass_through(file, t));
    return out;
}

std::vector<std::byte> header_bytes(const GgufLayout& layout, const std::vector<OutputTensor>& tensors) {
    const uint64_t alignment = alignment_of(layout.metadata);
    uint64_t data_bytes = 0;
    const HeaderBytes header = header_of(layout, tensors, alignment, data_bytes);
    std::vector<std::byte> out(header.bytes().begin(), header.bytes().end());
    if (!tensors.empty() || layout.pad_empty_data_section) out.resize(gguf::align_up(out.size(), alignment));
    return out;
}

uint64_t data_section_offset(const GgufLayout& layout, const std::vector<OutputTensor>& tensors) {
    return header_bytes(layout, tensors).size();
}

uint64_t data_alignment(const GgufLayout& layout) { return alignment_of(layout.metadata); }

std::string write_gguf(const std::filesystem::path& path, const GgufLayout& layout, const std::vector<OutputTensor>& tensors,
                const WriteOptions& options) {
    if (layout.version != 2 && layout.version != 3) throw Error(fmt::format("cannot write GGUF version {}", layout.version));
    check_tensors(tensors);
    refuse_overwriting(path, options.inputs);
    const uint64_t alignment = alignment_of(layout.metadata);
    uint64_t total = 0;
    const HeaderBytes header = header_of(layout, tensors, alignment, total);

    OutputFile out(path, options.hash);
    out.write(header.bytes());
    if (!tensors.empty() || layout.pad_empty_data_section) out.write_zeros(gguf::align_up(out.position(), alignment) - out.position());

    const uint64_t data_start = out.position();
    std::vector<std::byte> scratch;
    for (const auto& t : tensors) {
        const auto bytes = t.produce(scratch);
        if (bytes.size() != t.n_bytes)
            throw Error(fmt::format("tensor '{}': produced {} bytes, expected {}", t.name, bytes.size(), t.n_bytes));
        if (t.source) out.copy(*t.source, bytes);
        else out.write(bytes);
        out.write_zeros(gguf::align_up(t.n_bytes, alignment) - t.n_bytes);
        if (t.written) t.written();
        if (options.progress) options.progress(out.position() - data_start, total);
    }
    out.commit(options.sync, [&](uint64_t bytes) {
        if (options.before_publish) options.before_publish(bytes, out.sha256());
    });
    return out.sha256();
}

}  // namespace qframe
