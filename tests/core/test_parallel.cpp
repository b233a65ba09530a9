// parallel_for: every item once, on the threads asked for; helpers persist between calls; an
// exception stops the hand-out and reaches the caller; calls nest (a sweep's candidates run the
// engine, which calls it again) without waiting on each other.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "qframe/parallel.hpp"

TEST_CASE("parallel_for: every item exactly once, any thread count", "[parallel]") {
    for (unsigned threads : {0u, 1u, 2u, 3u, 8u})
        for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(1000)}) {
            std::vector<std::atomic<int>> hits(n);
            qframe::parallel_for(n, threads, [&](size_t i) { ++hits[i]; });
            for (size_t i = 0; i < n; ++i) REQUIRE(hits[i] == 1);
        }
}

TEST_CASE("parallel_for: the helper threads are kept between calls", "[parallel]") {
    std::mutex m;
    std::set<std::thread::id> first, later;
    auto record = [&](std::set<std::thread::id>& ids) {
        return [&](size_t) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));  // every thread gets items
            std::lock_guard lock(m);
            ids.insert(std::this_thread::get_id());
        };
    };
    qframe::parallel_for(64, 4, record(first));
    for (int call = 0; call < 20; ++call) qframe::parallel_for(64, 4, record(later));
    CHECK(first.size() >= 2);
    CHECK(later.size() <= 4);  // no new threads: the same caller and helpers every time
    for (const auto& id : later) CHECK(first.count(id) == 1);
}

TEST_CASE("parallel_for: the first exception stops the hand-out and is rethrown", "[parallel]") {
    // The other items take 50 µs each, so all 100 000 could only run if the thread holding item 10
    // stalled for seconds between taking it and throwing (on a loaded 2-core CI machine, a thread
    // can stall for milliseconds: with empty items this check once failed there).
    std::atomic<size_t> ran{0};
    CHECK_THROWS_WITH(qframe::parallel_for(100000, 3,
                                           [&](size_t i) {
                                               ++ran;
                                               if (i == 10) throw std::runtime_error("item 10");
                                               std::this_thread::sleep_for(std::chrono::microseconds(50));
                                           }),
                      "item 10");
    CHECK(ran < 100000);
    // and the helpers still work afterwards
    std::atomic<size_t> sum{0};
    qframe::parallel_for(100, 3, [&](size_t i) { sum += i; });
    CHECK(sum == 4950);
}

TEST_CASE("parallel_for: nested calls finish", "[parallel]") {
    std::atomic<size_t> total{0};
    qframe::parallel_for(4, 2, [&](size_t) { qframe::parallel_for(100, 2, [&](size_t j) { total += j; }); });
    CHECK(total == 4 * 4950);
}
