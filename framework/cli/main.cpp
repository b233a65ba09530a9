// qframe: command-line entry point. Dispatches to one subcommand; every failure is one line on
// stderr and a non-zero exit (1 for a failed job, 2 for misuse).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "common.hpp"
#include "qframe/error.hpp"
#include "qframe/temporary_files.hpp"

namespace {

void print_overview() {
    std::cout << "usage: qframe COMMAND [options]   (qframe COMMAND --help for its options)\n\ncommands:\n";
    for (const auto& c : qframe::cli::commands()) std::cout << "  " << c.name << std::string(std::max<size_t>(1, 13 - std::string(c.name).size()), ' ') << c.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    // Log to stderr so that stdout carries only results (dump --format text, inspect --json).
    auto logger = spdlog::stderr_color_mt("qframe");
    logger->set_pattern("%^%l%$: %v");
    spdlog::set_default_logger(logger);
    // A file-size limit must surface as a write error (EFBIG), not kill the process mid-file.
    std::signal(SIGXFSZ, SIG_IGN);
    // Ctrl-C, kill, a closed terminal: no hidden temporary file stays behind.
    qframe::install_interrupt_cleanup();

    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_overview();
        return args.empty() ? 2 : 0;
    }
    for (const auto& command : qframe::cli::commands()) {
        if (args[0] != command.name) continue;
        try {
            return command.run({args.begin() + 1, args.end()});
        } catch (const boost::program_options::error& e) {
            spdlog::error("{}: {} (see qframe {} --help)", command.name, e.what(), command.name);
            return 2;
        } catch (const qframe::cli::UsageError& e) {
            spdlog::error("{}: {} (see qframe {} --help)", command.name, e.what(), command.name);
            return 2;
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            return 1;
        }
    }
    spdlog::error("unknown command '{}' (see qframe --help)", args[0]);
    return 2;
}
