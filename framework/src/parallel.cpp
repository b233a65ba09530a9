#include "qframe/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace qframe {
namespace {

// Helper threads kept for the life of the thread that calls parallel_for, so a call costs a
// wake-up rather than thread creation (the engine calls it several times per layer and token).
// Each calling thread, at each nesting level, has its own helpers: a parallel_for inside a
// parallel_for (a sweep's candidates, each running the engine) never waits on threads busy with
// the outer one.
class Helpers {
public:
    ~Helpers() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        // the jthreads join here
    }

    // Runs `work` on the calling thread and on `n` helpers at once; returns when all are done.
    void run(unsigned n, const std::function<void()>& work) {
        while (threads_.size() < n) threads_.emplace_back([this, i = threads_.size()] { loop(i); });
        {
            std::lock_guard lock(mutex_);
            work_ = &work;
            wanted_ = n;
            finished_ = 0;
            ++generation_;
        }
        wake_.notify_all();
        work();
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return finished_ == wanted_; });
        work_ = nullptr;
    }

private:
    void loop(size_t index) {
        uint64_t seen = 0;
        std::unique_lock lock(mutex_);
        while (true) {
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            if (index >= wanted_) continue;  // not needed this time
            const std::function<void()>* work = work_;
            lock.unlock();
            (*work)();
            lock.lock();
            if (++finished_ == wanted_) done_.notify_one();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void()>* work_ = nullptr;
    uint64_t generation_ = 0;
    unsigned wanted_ = 0, finished_ = 0;
    bool stop_ = false;
    std::vector<std::jthread> threads_;  // last: joined before the members above go
};

}  // namespace

unsigned default_thread_count() { return std::max(1u, std::thread::hardware_concurrency()); }

void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
    if (threads == 0) threads = default_thread_count();
    threads = static_cast<unsigned>(std::min<size_t>(threads, n));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    const std::function<void()> worker = [&] {
        for (size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;) {
            try {
                fn(i);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!error) error = std::current_exception();
                failed = true;
            }
        }
    };
    if (threads <= 1) {
        worker();
    } else {
        // One set of helpers per nesting level of this thread: an item that itself calls
        // parallel_for on this thread must not reuse the helpers busy with the outer call.
        thread_local std::vector<std::unique_ptr<Helpers>> levels;
        thread_local size_t depth = 0;
        if (levels.size() <= depth) levels.push_back(std::make_unique<Helpers>());
        Helpers& helpers = *levels[depth];
        ++depth;
        struct Leave {
            ~Leave() { --depth; }
        } leave;
        helpers.run(threads - 1, worker);
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace qframe
