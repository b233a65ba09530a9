#include "compact_log_probs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace qframe::sweep {

CompactLogProbs::CompactLogProbs(double tail_mass, uint32_t max_kept, size_t rows) : tail_mass_(tail_mass), max_kept_(max_kept) {
    if (max_kept == 0 || rows == 0) return;
    begin_.reserve(rows + 1);
    rest_.reserve(rows);
    tokens_.reserve(rows * max_kept);
    log_probs_.reserve(rows * max_kept);
}

void CompactLogProbs::add_row(std::span<const float> log_p) {
    const size_t n = max_kept_ ? std::min<size_t>(log_p.size(), max_kept_) : log_p.size();  // at most n kept
    const size_t all = log_p.size();
    std::vector<int32_t> order(all);
    std::iota(order.begin(), order.end(), 0);
    const auto more_likely = [&](int32_t a, int32_t b) { return log_p[a] > log_p[b] || (log_p[a] == log_p[b] && a < b); };
    // The head sorted in growing steps: most rows need a small part of the vocabulary.
    size_t sorted = 0, keep = 0;
    double rest = 0;
    for (size_t k = std::min<size_t>(64, n);; k = std::min(2 * k, n)) {
        std::partial_sort(order.begin() + static_cast<std::ptrdiff_t>(sorted), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), more_likely);
        sorted = k;
        // The mass left after each kept token, summed from the least likely up (accurate when small).
        double tail = 0;
        for (size_t i = k; i < all; ++i) tail += std::exp(static_cast<double>(log_p[order[i]]));
        keep = k;
        while (keep > 1 && tail + std::exp(static_cast<double>(log_p[order[keep - 1]])) <= tail_mass_) tail += std::exp(static_cast<double>(log_p[order[--keep]]));
        rest = tail;
        if (rest <= tail_mass_ || k == n) break;
    }
    for (size_t i = 0; i < keep; ++i) {
        tokens_.push_back(order[i]);
        log_probs_.push_back(log_p[order[i]]);
    }
    begin_.push_back(tokens_.size());
    rest_.push_back(rest);
}

double CompactLogProbs::kl_divergence(size_t row, std::span<const float> log_q) const {
    double kld = 0, q_head = 0;
    for (uint64_t i = begin_[row]; i < begin_[row + 1]; ++i) {
        const double lp = log_probs_[i], lq = log_q[tokens_[i]];
        kld += std::exp(lp) * (lp - lq);
        q_head += std::exp(lq);
    }
    const double r = rest_[row];
    if (r > 0) {
        double q_total = 0;
        for (float lq : log_q) q_total += std::exp(static_cast<double>(lq));
        const double q_rest = std::max(q_total - q_head, 1e-300);
        kld += r * (std::log(r) - std::log(q_rest));
    }
    return std::max(0.0, kld);
}

uint64_t CompactLogProbs::bytes() const {
    return begin_.size() * sizeof(uint64_t) + tokens_.size() * (sizeof(int32_t) + sizeof(float)) + rest_.size() * sizeof(double);
}

namespace {

template <class T>
void append(std::vector<std::byte>& out, const std::vector<T>& v) {
    const auto* p = reinterpret_cast<const std::byte*>(v.data());
    out.insert(out.end(), p, p + v.size() * sizeof(T));
}

template <class T>
bool take(std::span<const std::byte>& in, std::vector<T>& v, size_t count) {
    if (in.size() < count * sizeof(T)) return false;
    v.resize(count);
    std::memcpy(v.data(), in.data(), count * sizeof(T));
    in = in.subspan(count * sizeof(T));
    return true;
}

}  // namespace

// begin (rows + 1 × u64), rest (rows × f64), tokens (× i32), log-probabilities (× f32).
std::vector<std::byte> CompactLogProbs::serialize() const {
    std::vector<std::byte> out;
    out.reserve(bytes());
    append(out, begin_);
    append(out, rest_);
    append(out, tokens_);
    append(out, log_probs_);
    return out;
}

std::optional<CompactLogProbs> CompactLogProbs::parse(std::span<const std::byte> bytes, size_t rows, double tail_mass, uint32_t max_kept) {
    CompactLogProbs c(tail_mass, max_kept);
    if (!take(bytes, c.begin_, rows + 1) || !take(bytes, c.rest_, rows) || c.begin_.front() != 0 ||
        !std::is_sorted(c.begin_.begin(), c.begin_.end()))
        return std::nullopt;
    const uint64_t kept = c.begin_.back();
    if (!take(bytes, c.tokens_, kept) || !take(bytes, c.log_probs_, kept) || !bytes.empty()) return std::nullopt;
    for (size_t r = 0; r < rows; ++r)
        if (c.begin_[r + 1] == c.begin_[r]) return std::nullopt;  // every row keeps its most likely token
    return c;
}

}  // namespace qframe::sweep
