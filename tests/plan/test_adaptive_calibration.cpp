// Which groups an adaptive study calibrates when the budget cannot pay for every group: a few
// layers of each role, spread from the first to the last, and every group outside the blocks.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "plan/adaptive_study.hpp"

namespace {

// A 22-layer model's 7 matrices per layer (TinyLlama's), then output.weight: 155 groups.
std::vector<std::string> llama_groups() {
    std::vector<std::string> groups;
    for (int layer = 0; layer < 22; ++layer)
        for (const char* role : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"})
            groups.push_back(fmt::format("blk.{}.{}.weight", layer, role));
    groups.push_back("output.weight");
    return groups;
}

size_t count_role(const std::vector<std::string>& chosen, const std::string& role) {
    size_t n = 0;
    for (const auto& g : chosen) n += g.ends_with("." + role + ".weight");
    return n;
}

}  // namespace

TEST_CASE("a budget that pays for every group calibrates every group") {
    const auto groups = llama_groups();
    CHECK(qframe::plan::calibration_groups(groups, groups.size(), 0) == groups);
    CHECK(qframe::plan::calibration_groups(groups, 10 * groups.size(), 0) == groups);
}

TEST_CASE("a smaller budget calibrates as many evenly spread layers per role as half of it pays for") {
    const auto groups = llama_groups();
    // 77 candidates (measure_budget 0.1 of 5 types): half is 38 = 7 roles × 5 layers + output.
    const auto chosen = qframe::plan::calibration_groups(groups, 77, 0);
    CHECK(chosen.size() == 36);
    for (const char* role : {"attn_q", "ffn_down"}) CHECK(count_role(chosen, role) == 5);
    // 0, 5.25, 10.5, 15.75, 21 rounded: the first and the last layer are always there.
    for (int layer : {0, 5, 11, 16, 21}) CHECK(std::find(chosen.begin(), chosen.end(), fmt::format("blk.{}.attn_v.weight", layer)) != chosen.end());
    CHECK(std::find(chosen.begin(), chosen.end(), "output.weight") != chosen.end());
    // In the order given.
    CHECK(std::is_sorted(chosen.begin(), chosen.end(), [&](const std::string& a, const std::string& b) {
        return std::find(groups.begin(), groups.end(), a) < std::find(groups.begin(), groups.end(), b);
    }));
    // Never fewer than 2 layers per role, even where half the budget pays for less.
    const auto least = qframe::plan::calibration_groups(groups, 20, 0);
    CHECK(least.size() == 15);
    CHECK(count_role(least, "attn_k") == 2);
}

TEST_CASE("calibrate_layers sets the layers per role: 1 the middle one and more than a role has all of it") {
    const auto groups = llama_groups();
    const auto three = qframe::plan::calibration_groups(groups, 1000, 3);
    CHECK(three.size() == 22);
    CHECK(std::find(three.begin(), three.end(), "blk.11.ffn_up.weight") != three.end());  // 10.5 rounds away from 0
    const auto one = qframe::plan::calibration_groups(groups, 1000, 1);
    CHECK(one.size() == 8);
    CHECK(std::find(one.begin(), one.end(), "blk.10.ffn_up.weight") != one.end());
    CHECK(qframe::plan::calibration_groups(groups, 1000, 30).size() == groups.size());
}

TEST_CASE("groups per layer are one role and groups without a layer each their own") {
    const std::vector<std::string> layers = {"blk.0", "blk.1", "blk.2", "blk.3", "blk.4", "token_embd.weight", "output.weight"};
    const auto chosen = qframe::plan::calibration_groups(layers, 4, 0);
    CHECK(chosen == std::vector<std::string>{"blk.0", "blk.4", "token_embd.weight", "output.weight"});
}
