#include "slurm_client.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/process.hpp>
#include <algorithm>
#include <istream>
#include <sstream>

#include "qframe/error.hpp"

namespace qframe::sweep::slurm {
namespace {

namespace bp = boost::process;

struct Output {
    int status = 0;
    std::string out, err;
};

Output run(const std::string& program, const std::vector<std::string>& args) {
    const auto exe = bp::search_path(program);
    if (exe.empty()) throw Error(fmt::format("{} not found on the PATH (Slurm's client commands come in Debian's slurm-client)", program));
    bp::ipstream out, err;
    bp::child child(exe, bp::args(args), bp::std_in < bp::null, bp::std_out > out, bp::std_err > err);
    Output o;
    o.out.assign(std::istreambuf_iterator<char>(out), {});  // both are short: no deadlock on a full pipe
    o.err.assign(std::istreambuf_iterator<char>(err), {});
    child.wait();
    o.status = child.exit_code();
    while (!o.err.empty() && o.err.back() == '\n') o.err.pop_back();
    return o;
}

// "KEY=VALUE" of one line of `scontrol -o show job`.
std::string field(const std::string& line, const std::string& key) {
    const std::string needle = " " + key + "=";
    const auto padded = " " + line;
    const auto at = padded.find(needle);
    if (at == std::string::npos) return {};
    const auto start = at + needle.size(), end = padded.find(' ', start);
    return padded.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

void require_client() {
    for (const char* program : {"sbatch", "scontrol", "scancel"})
        if (bp::search_path(program).empty())
            throw Error(fmt::format("--executor slurm needs Slurm's {} on the PATH (Debian: apt-get install slurm-client)", program));
}

std::string submit(const std::vector<std::string>& args) {
    std::vector<std::string> all{"--parsable"};
    all.insert(all.end(), args.begin(), args.end());
    const Output o = run("sbatch", all);
    std::string id = o.out.substr(0, o.out.find_first_of(";\n"));
    if (o.status != 0 || id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit))
        throw Error(fmt::format("sbatch {} failed: {}", fmt::join(args, " "), o.err.empty() ? o.out : o.err));
    return id;
}

void check_options(const std::vector<std::string>& args) {
    std::vector<std::string> all{"--test-only"};
    all.insert(all.end(), args.begin(), args.end());
    all.insert(all.end(), {"--wrap", "true"});
    const Output o = run("sbatch", all);
    if (o.status != 0) throw Error(fmt::format("Slurm refuses the job's options ({}): {}", fmt::join(args, " "), o.err));
}

void cancel(const std::vector<std::string>& job_ids) {
    if (!job_ids.empty()) run("scancel", job_ids);
}

bool JobRecord::finished() const {
    static const char* const kFinal[] = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"};
    return std::find(std::begin(kFinal), std::end(kFinal), state) != std::end(kFinal);
}

bool JobRecord::failed() const { return finished() && state != "COMPLETED"; }

std::vector<JobRecord> show_job(const std::string& job_id) {
    const Output o = run("scontrol", {"-o", "show", "job", job_id});
    std::vector<JobRecord> records;
    if (o.status != 0) {
        if (o.err.find("Invalid job id") != std::string::npos) return records;
        throw Error(fmt::format("scontrol show job {} failed: {}", job_id, o.err));
    }
    std::istringstream lines(o.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        JobRecord r;
        r.state = field(line, "JobState");
        r.reason = field(line, "Reason");
        r.exit_code = field(line, "ExitCode");
        r.array_tasks = field(line, "ArrayTaskId");
        if (!r.array_tasks.empty() && std::all_of(r.array_tasks.begin(), r.array_tasks.end(), ::isdigit)) r.array_task = std::stoi(r.array_tasks);
        records.push_back(std::move(r));
    }
    return records;
}

}  // namespace qframe::sweep::slurm
