// The IQ tables generated into framework/src/codec/iq_grids.inc (tools/codec/gen_iq_grids.py)
// against ggml's own: the SHA-256 of each table's bytes as ggml holds them in memory.
//
// Facts from llama.cpp c392e50: a C harness that defines GGML_COMMON_IMPL_C, includes
// ggml/src/ggml-common.h (and kvalues_iq4nl as ggml-quants.c declares it) and hashes each array:
//   gcc -O2 grids.c -I$LLAMA/ggml/src -I$LLAMA/ggml/include -lcrypto -o grids && ./grids
#include <catch2/catch.hpp>

#include <algorithm>
#include <span>
#include <string>

#include "codec/iq_grids.hpp"
#include "codec/iq_search.hpp"
#include "qframe/sha256.hpp"

using namespace qframe;

namespace {

template <class Table>
std::string digest_of(const Table& table) {
    Sha256 h;
    h.update(std::as_bytes(std::span(table)));
    return h.hex();
}

}  // namespace

TEST_CASE("the generated IQ tables hold ggml's values", "[codec][iq]") {
    using namespace qframe::codec;
    CHECK(digest_of(kKmaskIq2xs) == "5ac9831b2e30eb285ef34f8501620f878432d5c04331ad1ae47f977a83ba41a5");
    CHECK(digest_of(kKsignsIq2xs) == "a76742a603f8beca5212ecce0f1f02f11a4887fd2f7c8b15aca0ea3eb3380c31");
    CHECK(digest_of(kKsigns64) == "6ca8598509cc63406eaece40cff6b60198f6fa1e0dff261de7bd8d73bfed770c");
    CHECK(digest_of(kIq2xxsGrid) == "05826b5d3e472a3a78f196be62ac78acf81df0f909626e12ab9fa2a5d490dd54");
    CHECK(digest_of(kIq2xsGrid) == "06e47aaca60b4dc1d9b5a3f34540437058a6b142b4d7a59d5ded769b4d1bf1de");
    CHECK(digest_of(kIq2sGrid) == "e1aa1473412b0552c2174c30ef22ab4073f6a181b85a17056e8249bd2932fd88");
    CHECK(digest_of(kIq3xxsGrid) == "46e35f5a997efdee6c99ce57854c8a0d4f0ff8ca57e5e8a60c0793ea580acf5d");
    CHECK(digest_of(kIq3sGrid) == "bd1af4945a1717c65610b0284e4628b9a1ba3b306fae3a06f6e5f597356e349f");
    CHECK(digest_of(kIq1sGrid) == "07540ffc1aeaf6ad4d97e96b0fcc765aae39671d4ae4a27bbd0e796fde167c6a");
    CHECK(digest_of(kKvaluesIq4nl) == "61aa47540aa024b5d6ddaa839b84ffe59f3d5a349af5c6c7ffcb5e0474b46163");
}

// The encoders' grids are built from ggml's packed codes (kgrid_256 / kgrid_512, as
// iq3xs_init_impl builds them: odd values 2l+1); the decoders' tables hold the same points, entry
// for entry — IQ3_S's as they are, IQ3_XXS's times 4 (and 15 as 62, ggml's tweak of its largest
// value). Every off-grid point must list neighbours on the grid.
TEST_CASE("the IQ3 search grids are the decoders' grids, with neighbours for every other point", "[codec][iq]") {
    using namespace qframe::codec;
    for (const int size : {256, 512}) {
        DYNAMIC_SECTION("grid of " << size) {
            const Iq3Search& s = iq3_search(size);
            const auto decoder = size == 256 ? std::span<const uint32_t>(kIq3xxsGrid) : std::span<const uint32_t>(kIq3sGrid);
            REQUIRE(s.grid.size() == decoder.size());
            size_t same = 0;
            for (size_t i = 0; i < decoder.size(); ++i)
                for (int k = 0; k < 4; ++k) {
                    const int v = uint8_t(s.grid[i] >> 8 * k);
                    same += uint8_t(decoder[i] >> 8 * k) == (size == 512 ? v : v == 15 ? 62 : 4 * v);
                }
            CHECK(same == 4 * decoder.size());
            size_t off_grid = 0;
            for (uint32_t u = 0; u < 4096; ++u) {
                if (s.map[u] >= 0) continue;
                ++off_grid;
                const auto list = s.neighbours_of(u);
                REQUIRE(list.size() >= 2);
                for (size_t j = 1; j < list.size(); ++j) CHECK(list[j] < s.grid.size());
            }
            CHECK(off_grid == 4096 - size_t(size));
        }
    }
}
