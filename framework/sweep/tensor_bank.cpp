#include "tensor_bank.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include "qframe/output_file.hpp"
#include "qframe/sha256.hpp"

namespace qframe::sweep {
namespace {

// Version 2 adds the bytes' SHA-256: an entry whose bytes changed on disk is made again, never used.
constexpr char kMagic[8] = {'Q', 'F', 'T', 'B', 'A', 'N', 'K', '2'};

struct Header {
    char magic[8];
    uint32_t type;
    uint32_t reserved;
    uint64_t n_bytes;
    char sha256[kSha256HexDigits];  // of the bytes, in hexadecimal
};

std::filesystem::path entry_path(const std::filesystem::path& dir, const std::string& key) { return dir / (key + ".tensor"); }

std::string digest_of(std::span<const std::byte> bytes) {
    return sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// The stored tensor, or nullopt for a missing or damaged entry (which is then made again; a
// damaged one is also reported).
std::optional<QuantizedTensor> read_entry(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    Header h{};
    if (!in || !in.read(reinterpret_cast<char*>(&h), sizeof h) || std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return std::nullopt;
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) != sizeof h + h.n_bytes) return std::nullopt;
    QuantizedTensor q{static_cast<TensorType>(h.type), std::vector<std::byte>(h.n_bytes), Findings::object()};
    if (!in.read(reinterpret_cast<char*>(q.bytes.data()), static_cast<std::streamsize>(h.n_bytes))) return std::nullopt;
    if (digest_of(q.bytes) != std::string_view(h.sha256, sizeof h.sha256)) {
        spdlog::warn("{}: a damaged tensor-bank entry (its bytes do not match their digest); made again", path.string());
        return std::nullopt;
    }
    return q;
}

}  // namespace

TensorBank::TensorBank(std::filesystem::path dir, uint64_t cap_bytes) : dir_(std::move(dir)), cap_(cap_bytes) {
    if (!dir_.empty()) std::filesystem::create_directories(dir_);
}

std::string TensorBank::key(const TensorData& source, const std::string& treatment) {
    const std::string_view bytes(reinterpret_cast<const char*>(source.bytes.data()), source.bytes.size());
    std::string shape;
    for (uint64_t d : source.dims) shape += fmt::format("{}x", d);
    return sha256_hex(fmt::format("{}\n{} {}\n{}", sha256_hex(bytes), source.type_id, shape, treatment));
}

QuantizedTensor TensorBank::get(const std::string& key, const std::function<QuantizedTensor()>& make) {
    if (dir_.empty()) return make();
    const auto path = entry_path(dir_, key);
    if (auto stored = read_entry(path)) {
        ++hits_;
        std::error_code ec;
        std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);  // recently used
        return std::move(*stored);
    }
    ++misses_;
    QuantizedTensor q = make();
    Header h{{kMagic[0], kMagic[1], kMagic[2], kMagic[3], kMagic[4], kMagic[5], kMagic[6], kMagic[7]},
             static_cast<uint32_t>(q.type), 0, q.bytes.size(), {}};
    const std::string digest = digest_of(q.bytes);
    std::memcpy(h.sha256, digest.data(), sizeof h.sha256);
    // A store that fails (disk full, read-only folder) costs the next run this work, nothing else.
    try {
        OutputFile out(path);
        out.write(std::as_bytes(std::span(&h, 1)));
        out.write(q.bytes);
        out.commit();
    } catch (const std::exception& e) {
        if (store_failures_++ == 0)
            spdlog::warn("tensor bank: not stored ({}); tensors are used as made (later failures are not reported)", e.what());
    }
    return q;
}

void TensorBank::evict() const {
    if (dir_.empty()) return;
    struct Entry {
        std::filesystem::path path;
        std::filesystem::file_time_type used;
        uint64_t size;
    };
    std::vector<Entry> entries;
    uint64_t total = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        if (e.path().extension() != ".tensor") continue;
        std::error_code ec;
        entries.push_back({e.path(), e.last_write_time(ec), e.file_size(ec)});
        total += entries.back().size;
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
    for (const auto& e : entries) {
        if (total <= cap_) break;
        std::error_code ec;
        if (std::filesystem::remove(e.path, ec)) total -= e.size;
    }
}

std::string treatment_text(const StageCall& call) {
    std::string text = fmt::format("{} ({} {})", call.stage->name, call.stage->plugin, call.stage->plugin_version);
    for (const auto& [name, value] : call.options.values()) text += fmt::format(" {}={}", name, to_string(value));
    return text;
}

}  // namespace qframe::sweep
