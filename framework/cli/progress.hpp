// A one-line progress bar on stderr for long work: shown only on a terminal, only once the work
// has taken a second, redrawn at most ten times a second. Safe to call from worker threads.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include <fmt/format.h>

namespace qframe::cli {

class ProgressBar {
public:
    explicit ProgressBar(bool enabled = true) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
    ~ProgressBar() { finish(); }

    void update(const std::string& label, uint64_t done, uint64_t total) {
        if (!enabled_ || total == 0) return;
        std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        if (label != label_) {
            finish_locked();
            label_ = label;
            started_ = now;
        }
        if (now - started_ < std::chrono::seconds(1) || (now - last_draw_ < std::chrono::milliseconds(100) && done < total)) return;
        last_draw_ = now;
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(kWidth * done / total);
        const double elapsed = std::chrono::duration<double>(now - started_).count();
        const double eta = done ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0;
        fmt::print(stderr, "\r{} [{}{}] {}/{} {:.0f}s left ", label, std::string(filled, '#'), std::string(kWidth - filled, '.'),
                   amount(done, total), amount(total, total), eta);
        drawn_ = true;
        if (done == total) finish_locked();  // end the line before anything else is logged
        std::fflush(stderr);
    }

    void finish() {
        std::lock_guard lock(mutex_);
        finish_locked();
    }

private:
    using Clock = std::chrono::steady_clock;
    // Large totals are bytes (the write): show MiB rather than a 10-digit count.
    static std::string amount(uint64_t n, uint64_t total) {
        if (total < (1u << 20)) return std::to_string(n);
        return fmt::format("{:.0f} MiB", static_cast<double>(n) / (1 << 20));
    }
    void finish_locked() {
        if (drawn_) fmt::print(stderr, "\n");
        drawn_ = false;
    }

    bool enabled_;
    std::mutex mutex_;
    std::string label_;
    Clock::time_point started_{}, last_draw_{};
    bool drawn_ = false;
};

}  // namespace qframe::cli
