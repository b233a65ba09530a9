// The digest cache (digest_cache.hpp): a digest comes back only for the very file it was filed
// for, unchanged; any write, even one that restores the modification time, loses it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "qframe/digest_cache.hpp"
#include "qframe/sha256.hpp"
#include "temp_dir.hpp"

using namespace qframe;

namespace {

// QFRAME_CACHE_DIR set for the scope of a test, then restored.
struct CacheDirSetting {
    std::string saved;
    bool had;
    explicit CacheDirSetting(const std::string& value) {
        const char* old = std::getenv("QFRAME_CACHE_DIR");
        had = old != nullptr;
        if (had) saved = old;
        ::setenv("QFRAME_CACHE_DIR", value.c_str(), 1);
    }
    ~CacheDirSetting() {
        if (had) ::setenv("QFRAME_CACHE_DIR", saved.c_str(), 1);
        else ::unsetenv("QFRAME_CACHE_DIR");
    }
};

void write_file(const std::filesystem::path& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

}  // namespace

TEST_CASE("digest cache: a digest is found again for the unchanged file, and lost by any change to it") {
    test::TempDir dir;
    const CacheDirSetting setting((dir / "cache").string());
    const auto file = dir / "model.gguf";
    write_file(file, "some bytes");
    const std::string digest = sha256_file(file);

    CHECK_FALSE(DigestCache(file).get());  // nothing filed yet
    DigestCache(file).put(digest);
    CHECK(DigestCache(file).get() == digest);
    CHECK(DigestCache(dir.path / "." / "model.gguf").get() == digest);  // the same file by another name

    SECTION("new content of the same size") {
        write_file(file, "some BYTES");
        CHECK_FALSE(DigestCache(file).get());
    }
    SECTION("a write whose modification time is then set back") {
        struct stat before {};
        REQUIRE(::stat(file.c_str(), &before) == 0);
        write_file(file, "some BYTES");
        const struct timespec times[2] = {before.st_atim, before.st_mtim};
        REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
        CHECK_FALSE(DigestCache(file).get());
    }
    SECTION("another file put in its place") {
        write_file(dir / "other", "some bytes");
        std::filesystem::rename(dir / "other", file);
        CHECK_FALSE(DigestCache(file).get());
    }
    SECTION("an entry that is not a digest is not believed") {
        write_file(DigestCache(file).entry(), "garbage\n");
        CHECK_FALSE(DigestCache(file).get());
    }
}

TEST_CASE("digest cache: the file's identity is the one seen before hashing, so a change meanwhile is never filed as current") {
    test::TempDir dir;
    const CacheDirSetting setting((dir / "cache").string());
    const auto file = dir / "model.gguf";
    write_file(file, "before");
    const DigestCache taken_before(file);
    write_file(file, "after!");  // changed while "hashing"
    taken_before.put(sha256_file(file));
    CHECK_FALSE(DigestCache(file).get());
}

TEST_CASE("digest cache: an empty QFRAME_CACHE_DIR turns it off, and an unwritable cache is no error") {
    test::TempDir dir;
    const auto file = dir / "model.gguf";
    write_file(file, "x");
    {
        const CacheDirSetting off("");
        const DigestCache cache(file);
        CHECK(cache.entry().empty());
        cache.put(sha256_file(file));
        CHECK_FALSE(cache.get());
    }
    {
        write_file(dir / "a file", "");
        const CacheDirSetting blocked((dir / "a file" / "cache").string());  // a folder under a file
        const DigestCache cache(file);
        CHECK_NOTHROW(cache.put(sha256_file(file)));
        CHECK_FALSE(cache.get());
    }
}
