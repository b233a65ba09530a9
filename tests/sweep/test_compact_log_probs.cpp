// The compact baseline (framework/sweep/compact_log_probs.hpp): the head it keeps, its KL
// divergence against the full one, and its bytes.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "compact_log_probs.hpp"
#include "qframe/engine/scoring.hpp"

namespace {

using qframe::sweep::CompactLogProbs;

// Log-probabilities proportional to 1 / (v + 1)^power over n tokens, shuffled by a stride.
std::vector<float> zipf(size_t n, double power, size_t stride) {
    std::vector<double> p(n);
    double sum = 0;
    for (size_t v = 0; v < n; ++v) sum += p[(v * stride) % n] = std::pow(static_cast<double>(v + 1), -power);
    std::vector<float> out(n);
    for (size_t v = 0; v < n; ++v) out[v] = static_cast<float>(std::log(p[v] / sum));
    return out;
}

double full_kld(const std::vector<float>& p, const std::vector<float>& q) {
    return qframe::engine::kl_divergence<float, float>(std::span<const float>(p), std::span<const float>(q));
}

}  // namespace

TEST_CASE("compact baseline: keeps the most likely tokens until at most the tail mass is left", "[sweep][compact]") {
    const auto p = zipf(4096, 1.3, 7);
    CompactLogProbs c(1e-3);
    c.add_row(p);
    REQUIRE(c.rows() == 1);
    CHECK(c.most_likely(0) == 0);  // 1/(0+1) at position 0 (stride 7 maps 0 to 0)
    CHECK(c.rest(0) <= 1e-3);
    // The least head that leaves at most 1e-3: one token fewer leaves more.
    double kept = 0;
    std::vector<float> sorted(p);
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    for (size_t i = 0; i < c.kept(0); ++i) kept += std::exp(static_cast<double>(sorted[i]));
    CHECK(1 - kept == Approx(c.rest(0)).margin(1e-6));
    CHECK(1 - (kept - std::exp(static_cast<double>(sorted[c.kept(0) - 1]))) > 1e-3);
    CHECK(c.kept(0) < 4096);
}

TEST_CASE("compact baseline: its KL divergence is a lower bound of the full one, exact with no tail", "[sweep][compact]") {
    const auto p = zipf(2048, 1.1, 5), q = zipf(2048, 1.2, 3), flat = zipf(2048, 0.0, 1);
    for (const auto& other : {q, flat}) {
        const double full = full_kld(p, other);
        CompactLogProbs everything(0), head(1e-2);
        everything.add_row(p);
        head.add_row(p);
        CHECK(everything.kept(0) == 2048);
        CHECK(everything.kl_divergence(0, other) == Approx(full).epsilon(1e-9));
        CHECK(head.kl_divergence(0, other) <= full);
        CHECK(head.kl_divergence(0, other) > 0.5 * full);
    }
    CompactLogProbs self(1e-2);
    self.add_row(p);
    CHECK(self.kl_divergence(0, p) == Approx(0).margin(1e-12));
}

TEST_CASE("compact baseline: bytes and back, damaged bytes refused", "[sweep][compact]") {
    CompactLogProbs c(1e-4);
    c.add_row(zipf(1000, 1.5, 3));
    c.add_row(zipf(1000, 0.8, 7));
    const auto bytes = c.serialize();
    CHECK(bytes.size() == c.bytes());
    const auto back = CompactLogProbs::parse(bytes, 2, 1e-4, 0);
    REQUIRE(back);
    const auto q = zipf(1000, 1.0, 11);
    for (size_t r = 0; r < 2; ++r) {
        CHECK(back->kept(r) == c.kept(r));
        CHECK(back->kl_divergence(r, q) == c.kl_divergence(r, q));
    }
    CHECK_FALSE(CompactLogProbs::parse(std::span(bytes).first(bytes.size() - 1), 2, 1e-4, 0));
    CHECK_FALSE(CompactLogProbs::parse(bytes, 3, 1e-4, 0));
}

TEST_CASE("compact baseline: a cap on the kept tokens bounds each row, the rest says what is left", "[sweep][compact]") {
    const auto flat = zipf(4096, 0.0, 1), q = zipf(4096, 0.5, 3);
    CompactLogProbs capped(1e-4, 100, 1), free(1e-4);
    capped.add_row(flat);
    free.add_row(flat);
    CHECK(capped.kept(0) == 100);
    CHECK(capped.rest(0) == Approx(1 - 100.0 / 4096).epsilon(1e-6));
    CHECK(free.kept(0) > 4000);
    CHECK(capped.kl_divergence(0, q) <= full_kld(flat, q));  // still a lower bound
    CHECK(capped.bytes() < free.bytes() / 20);
}
