#include "qframe/digest_cache.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "qframe/sha256.hpp"

namespace qframe {
namespace {

std::filesystem::path cache_folder() {
    if (const char* dir = std::getenv("QFRAME_CACHE_DIR")) return dir;  // empty: off
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "qframe";
    if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "qframe";
    return {};
}

bool is_sha256_hex(const std::string& s) {
    return s.size() == kSha256HexDigits && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

// Stricter than file_identity (sha256.hpp), which keys results shared between machines (a Slurm
// task's) and so leaves out the device, the inode and the status-change time that are kept here.
DigestCache::DigestCache(const std::filesystem::path& file) {
    const auto folder = cache_folder();
    struct stat st {};
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(file, ec);
    if (folder.empty() || ec || ::stat(canonical.c_str(), &st) != 0) return;
    identity_ = fmt::format("{} dev {} ino {} size {} mtime {}.{:09} ctime {}.{:09}", canonical.string(), st.st_dev, st.st_ino,
                            st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    entry_ = folder / "sha256" / (sha256_hex(identity_) + ".txt");
}

std::optional<std::string> DigestCache::get() const {
    if (entry_.empty()) return std::nullopt;
    std::ifstream in(entry_);
    std::string identity, digest;
    // The entry repeats the identity it was filed under: a name collision cannot pass for it.
    if (std::getline(in, identity) && std::getline(in, digest) && identity == identity_ && is_sha256_hex(digest)) return digest;
    return std::nullopt;
}

void DigestCache::put(const std::string& sha256_hex) const {
    if (entry_.empty() || !is_sha256_hex(sha256_hex)) return;
    std::error_code ec;
    std::filesystem::create_directories(entry_.parent_path(), ec);
    // Written aside, then renamed: a reader sees a whole entry or none.
    const auto temp = entry_.parent_path() / fmt::format(".{}.{}", entry_.filename().string(), ::getpid());
    {
        std::ofstream out(temp, std::ios::trunc);
        out << identity_ << '\n' << sha256_hex << '\n';
        if (!out.flush()) ec = std::make_error_code(std::errc::io_error);
    }
    if (!ec) std::filesystem::rename(temp, entry_, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        spdlog::debug("digest cache: could not write {}", entry_.string());
    }
}

}  // namespace qframe
