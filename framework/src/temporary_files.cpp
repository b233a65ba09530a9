#include "qframe/temporary_files.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace qframe {
namespace {

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "host";
    std::string out(name);
    for (char& c : out)
        if (c == '.' || c == '/') c = '_';  // the name's fields are separated by dots
    return out;
}

const std::string& this_host() {
    static const std::string host = host_name();
    return host;
}

// Slots a signal handler can read without locks or allocation: a state and a path each.
constexpr size_t kSlots = 256;
constexpr size_t kPathBytes = 4096;
enum SlotState : int { kFree = 0, kFilling = 1, kLive = 2 };
struct Slot {
    std::atomic<int> state{kFree};
    char path[kPathBytes]{};
};
constinit std::array<Slot, kSlots> slots{};  // zeros in .bss: no work at start-up

extern "C" void remove_temporaries_and_exit(int signo) {
    for (auto& slot : slots)
        if (slot.state.load(std::memory_order_acquire) == kLive) ::unlink(slot.path);
    const char* name = signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "SIGHUP";
    const char prefix[] = "qframe: interrupted by ";
    const char suffix[] = "; unfinished outputs removed\n";
    (void)!::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!::write(STDERR_FILENO, name, std::strlen(name));
    (void)!::write(STDERR_FILENO, suffix, sizeof suffix - 1);
    ::_exit(128 + signo);
}

}  // namespace

std::string temporary_pattern(const std::filesystem::path& target) {
    const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    return (dir / fmt::format(".{}.tmp.{}.{}.XXXXXX", target.filename().string(), this_host(), ::getpid())).string();
}

size_t remove_stale_temporaries(const std::filesystem::path& target) {
    const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
    const std::string prefix = fmt::format(".{}.tmp.{}.", target.filename().string(), this_host());
    size_t removed = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix)) continue;
        // ".NAME.tmp.HOST.PID.XXXXXX": the PID is between the prefix and the last dot.
        const std::string_view rest = std::string_view(name).substr(prefix.size());
        const size_t dot = rest.find('.');
        if (dot == std::string_view::npos || dot == 0) continue;
        pid_t pid = 0;
        for (char c : rest.substr(0, dot)) {
            if (c < '0' || c > '9') { pid = 0; break; }
            pid = pid * 10 + (c - '0');
        }
        if (pid <= 0 || pid == ::getpid()) continue;
        if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running (or not ours to ask)
        std::error_code remove_ec;
        if (std::filesystem::remove(entry.path(), remove_ec)) ++removed;
    }
    return removed;
}

int register_temporary(const std::filesystem::path& path) {
    const std::string text = path.string();
    if (text.size() >= kPathBytes) return -1;
    for (size_t i = 0; i < kSlots; ++i) {
        int expected = kFree;
        if (!slots[i].state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire)) continue;
        std::memcpy(slots[i].path, text.c_str(), text.size() + 1);
        slots[i].state.store(kLive, std::memory_order_release);
        return static_cast<int>(i);
    }
    return -1;
}

void forget_temporary(int slot) {
    if (slot >= 0 && static_cast<size_t>(slot) < kSlots) slots[static_cast<size_t>(slot)].state.store(kFree, std::memory_order_release);
}

void install_interrupt_cleanup() {
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_exit;
    sigemptyset(&action.sa_mask);
    for (int signo : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&action.sa_mask, signo);  // one handler at a time
    for (int signo : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signo, &action, nullptr);
}

}  // namespace qframe
