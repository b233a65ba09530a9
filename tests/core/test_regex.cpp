// qframe::Regex: std::regex's meanings for the patterns recipes and plans use, errors that name
// the pattern, and subjects long enough to have overflowed std::regex's recursion.
#include <catch2/catch.hpp>

#include <string>

#include "qframe/error.hpp"
#include "qframe/regex.hpp"

using qframe::Regex;

TEST_CASE("Regex searches, matches whole names and captures groups", "[regex]") {
    const Regex layer(R"(^blk\.(\d+)\.(attn|ffn)_)");
    CHECK(layer.search("blk.12.attn_q.weight"));
    CHECK_FALSE(layer.search("output.weight"));
    CHECK_FALSE(layer.matches_whole("blk.12.attn_q.weight"));
    CHECK(Regex(R"(blk\.\d+\.attn_.*)").matches_whole("blk.3.attn_v.weight"));
    CHECK_FALSE(Regex(R"(blk\.\d+\.attn_)").matches_whole("blk.3.attn_v.weight"));
    // Whole-subject matching backtracks into alternatives, as std::regex_match does.
    CHECK(Regex("a|ab").matches_whole("ab"));

    const auto groups = layer.first_match("blk.7.ffn_down.weight");
    REQUIRE(groups);
    CHECK(*groups == std::vector<std::string>{"blk.7.ffn_", "7", "ffn"});
    const auto optional_group = Regex("x(y)?z").first_match("xz");
    REQUIRE(optional_group);
    CHECK(*optional_group == std::vector<std::string>{"xz", ""});
    CHECK_FALSE(Regex("q").first_match("output"));

    // `$` is the end of the subject only, as in ECMAScript (Perl's also matches before a final newline).
    CHECK_FALSE(Regex("weight$").search("weight\n"));
    CHECK(Regex("weight$").search("blk.0.weight"));
    // Copies share the compiled pattern.
    const Regex copy = layer;
    CHECK(copy.search("blk.0.attn_k.weight"));
    CHECK(copy.pattern() == layer.pattern());
}

TEST_CASE("a bad pattern is an error naming it and where it breaks", "[regex]") {
    CHECK_THROWS_WITH(Regex("blk.(\\d+"), Catch::Contains("'blk.(\\d+' is not a regular expression") &&
                                               Catch::Contains("at offset 8"));
    CHECK_THROWS_AS(Regex("[z-a]"), qframe::Error);
}

TEST_CASE("long subjects do not exhaust the stack", "[regex]") {
    // std::regex recursed per character: each of these overflowed an 8 MiB stack.
    const std::string long_run(1 << 18, 'a');
    CHECK(Regex("(a|b)*c").search(long_run) == false);
    CHECK(Regex("^(?:a|b)+$").matches_whole(long_run));
    CHECK(Regex("(a)+").first_match(long_run)->at(0).size() == long_run.size());
}
