// A compact baseline (study.baseline_tail_mass > 0): per scored position, the baseline's most
// likely tokens, most likely first, until at most `tail_mass` of the probability is left, and the
// mass left. A 128k vocabulary's rows are 512 KiB each in full; the head is a few hundred tokens.
//
// KL(p ‖ q) against it is the divergence of the two distributions coarsened to the kept tokens
// and one bucket for the rest: by the data-processing inequality never above the full
// divergence, and short of it by exactly r · KL(p's tail ‖ q's tail), r the mass left — small
// where r is (docs/sweep.md gives the bound measured on trained-a's study). A cap on the kept
// tokens (study.baseline_max_tokens) bounds the memory; the rows' rest then says what it cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace qframe::sweep {

class CompactLogProbs {
public:
    // max_kept > 0 caps the tokens a row keeps (its rest may then exceed tail_mass): a bound on
    // the memory whatever the distributions, `rows` of them reserved at once.
    explicit CompactLogProbs(double tail_mass = 0, uint32_t max_kept = 0, size_t rows = 0);

    // Keeps the head of one row of log-probabilities (a full log-softmax).
    void add_row(std::span<const float> log_p);

    size_t rows() const { return rest_.size(); }
    size_t kept(size_t row) const { return begin_[row + 1] - begin_[row]; }
    int32_t most_likely(size_t row) const { return tokens_[begin_[row]]; }
    double rest(size_t row) const { return rest_[row]; }
    // KL(p ‖ q) of the row's coarsened distributions, q given in full (log-probabilities).
    double kl_divergence(size_t row, std::span<const float> log_q) const;
    uint64_t bytes() const;  // what the rows take in memory

    // The rows as bytes (a cache file) and back; nullopt for bytes that are not `rows` rows.
    std::vector<std::byte> serialize() const;
    static std::optional<CompactLogProbs> parse(std::span<const std::byte> bytes, size_t rows, double tail_mass, uint32_t max_kept);

private:
    double tail_mass_;
    uint32_t max_kept_;
    std::vector<uint64_t> begin_{0};  // rows + 1: where each row's tokens start
    std::vector<int32_t> tokens_;
    std::vector<float> log_probs_;
    std::vector<double> rest_;        // per row: the probability not kept
};

}  // namespace qframe::sweep
