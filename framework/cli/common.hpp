// What every qframe subcommand shares: option parsing with --help, log level, the command table.
#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qframe::cli {

namespace po = boost::program_options;

struct Command {
    const char* name;
    const char* summary;
    std::function<int(const std::vector<std::string>& args)> run;
};

const std::vector<Command>& commands();

// The subcommands (one file each).
int run_inspect(const std::vector<std::string>& args);
int run_copy(const std::vector<std::string>& args);
int run_dump(const std::vector<std::string>& args);
int run_synth(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_plugins(const std::vector<std::string>& args);
int run_sweep(const std::vector<std::string>& args);
int run_plan_command(const std::vector<std::string>& args);
int run_imatrix(const std::vector<std::string>& args);
int run_quantize(const std::vector<std::string>& args);
int run_bench_types(const std::vector<std::string>& args);

// Parses `args` against `options` (+ --help, -v, -q, and `hidden`, which --help leaves out: the
// names positional arguments are stored under) and positional names. Returns nullopt when --help
// was printed. Throws po::error on bad usage.
std::optional<po::variables_map> parse(const std::vector<std::string>& args, const std::string& usage,
                                       po::options_description options, const po::positional_options_description& positional = {},
                                       const po::options_description& hidden = po::options_description());

// Thrown for command-line misuse: exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace qframe::cli
