#include "qframe/sha256.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "qframe/error.hpp"
#include "qframe/input_file.hpp"

namespace qframe {

namespace {

std::string hex(const unsigned char* digest, unsigned length) {
    std::string out;
    for (unsigned i = 0; i < length; ++i) out += fmt::format("{:02x}", digest[i]);
    return out;
}

}  // namespace

struct Sha256::State {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
    if (!state_->ctx || !EVP_DigestInit_ex(state_->ctx.get(), EVP_sha256(), nullptr)) throw Error("SHA-256 failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::byte> bytes) {
    if (!EVP_DigestUpdate(state_->ctx.get(), bytes.data(), bytes.size())) throw Error("SHA-256 failed");
}

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_DigestFinal_ex(state_->ctx.get(), digest, &length)) throw Error("SHA-256 failed");
    return qframe::hex(digest, length);
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr)) throw Error("SHA-256 failed");
    return hex(digest, length);
}

std::string file_identity(const std::filesystem::path& path) {
    const auto canonical = std::filesystem::weakly_canonical(path);
    return fmt::format("{} {} {}", canonical.string(), std::filesystem::file_size(canonical),
                       std::filesystem::last_write_time(canonical).time_since_epoch().count());
}

// Streams the file through a buffer: hashing a large model must not make it resident.
std::string sha256_file(const std::filesystem::path& path) {
    const InputFile input(path, "file");
    Sha256 digest;
    std::vector<std::byte> buffer(1 << 20);
    for (;;) {
        const ssize_t n = ::read(input.fd(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(fmt::format("{}: read failed: {}", path.string(), std::strerror(errno)));
        if (n == 0) break;
        digest.update(std::span(buffer).first(static_cast<size_t>(n)));
    }
    return digest.hex();
}

}  // namespace qframe
