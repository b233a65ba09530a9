#include "qframe/sweep_slurm.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "slurm_client.hpp"

namespace qframe {
namespace {

using nlohmann::json;
namespace slurm = sweep::slurm;

// The counts a job hands on to the merge, as JSON files in the batch folder.
json to_json(const SweepSummary& s) {
    return {{"candidates", s.candidates}, {"evaluated", s.evaluated}, {"failed", s.failed}, {"baseline_evaluated", s.baseline_evaluated},
            {"ppl_baseline", s.ppl_baseline}, {"bank_hits", s.bank_hits}, {"bank_misses", s.bank_misses}};
}

SweepSummary summary_from(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw Error(fmt::format("{}: no such file (the job that writes it did not finish)", path.string()));
    const json j = json::parse(in);
    SweepSummary s;
    s.candidates = j.at("candidates");
    s.evaluated = j.at("evaluated");
    s.failed = j.at("failed");
    s.baseline_evaluated = j.at("baseline_evaluated");
    s.ppl_baseline = j.at("ppl_baseline");
    s.bank_hits = j.at("bank_hits");
    s.bank_misses = j.at("bank_misses");
    return s;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw Error(fmt::format("{}: cannot read the submitted candidates", path.string()));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// A job script: this qframe, the study as the submitter read it, one worker role.
std::string job_script(const Study& study, const SlurmSweep& sweep, const std::filesystem::path& batch, const std::string& role) {
    std::string command = shell_quote(sweep.qframe.string()) + " sweep";
    for (const auto& a : sweep.worker_args) command += " " + shell_quote(a);
    command += fmt::format(" --worker {} --batch {} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --jobs {} --quiet", role, shell_quote(batch.string()), sweep.jobs);
    return fmt::format("#!/bin/sh\n# qframe sweep of study '{}', one job of a submission (written by qframe sweep --executor slurm)\nexec {}\n", study.name,
                       command);
}

// The next submission's folder: out/slurm/1, 2, …; earlier ones keep their logs.
std::filesystem::path new_batch_folder(const Study& study) {
    const auto root = std::filesystem::absolute(study.out / "slurm");
    std::filesystem::create_directories(root);
    int last = 0;
    for (const auto& entry : std::filesystem::directory_iterator(root)) try {
            last = std::max(last, std::stoi(entry.path().filename().string()));
        } catch (const std::exception&) {
        }
    const auto batch = root / std::to_string(last + 1);
    std::filesystem::create_directories(batch);
    return batch;
}

// sbatch options every job of the study shares.
std::vector<std::string> common_options(const Study& study) {
    const ExecutorSettings& e = study.executor;
    std::vector<std::string> args{"--job-name=qframe-" + study.name, "--chdir=" + std::filesystem::current_path().string()};
    if (!e.partition.empty()) args.push_back("--partition=" + e.partition);
    if (!e.time.empty()) args.push_back("--time=" + e.time);
    if (e.cpus_per_task) args.push_back(fmt::format("--cpus-per-task={}", e.cpus_per_task));
    args.insert(args.end(), e.sbatch_args.begin(), e.sbatch_args.end());
    return args;
}

struct Jobs {
    std::string baseline, tasks, merge;
    unsigned n_tasks = 0;
};

std::string describe(const slurm::JobRecord& r) { return fmt::format("{}, exit {}{}", r.state, r.exit_code, r.reason == "None" ? "" : ", " + r.reason); }

// Follows the three jobs until the merge is done or something failed; throws on failure.
void follow(const Study& study, const SlurmSweep& sweep, const Jobs& jobs, const std::filesystem::path& batch,
            const std::vector<std::string>& submitted) {
    const std::set<std::string> wanted(submitted.begin(), submitted.end());
    auto results_in = [&] {
        const SweepState state = sweep_state(study);
        size_t waiting = 0;
        const std::set<std::string> failed(state.failed.begin(), state.failed.end());
        for (const auto& id : state.unfinished) waiting += wanted.count(id) && !failed.count(id);
        return submitted.size() - waiting;
    };
    auto stop = [&](const std::vector<std::string>& ids, const std::string& what) {
        slurm::cancel(ids);
        const size_t done = results_in();
        throw Error(fmt::format("{}\n{} of the {} submitted candidates have a result; the others are evaluated by running the study again "
                                "(finished candidates are kept)",
                                what, done, submitted.size()));
    };
    while (true) {
        if (sweep.progress) sweep.progress(results_in(), submitted.size());
        for (const auto& r : slurm::show_job(jobs.baseline))
            if (r.failed())
                stop({jobs.tasks, jobs.merge}, fmt::format("the baseline job {} failed ({}); log: {}", jobs.baseline, describe(r), (batch / "baseline.log").string()));

        const auto tasks = slurm::show_job(jobs.tasks);
        std::vector<std::string> failures;
        bool active = false;
        for (const auto& r : tasks) {
            if (r.failed())
                failures.push_back(fmt::format("  array task {} (job {}_{}) failed ({}); log: {}", r.array_task, jobs.tasks, r.array_task, describe(r),
                                               (batch / fmt::format("task-{}.log", r.array_task)).string()));
            active = active || !r.finished();
        }
        if (!failures.empty() && !active)
            stop({jobs.merge}, fmt::format("{} of {} array tasks failed:\n{}", failures.size(), jobs.n_tasks, fmt::join(failures, "\n")));

        const auto merge = slurm::show_job(jobs.merge);
        if (!merge.empty() && merge[0].failed())
            throw Error(fmt::format("the merge job {} failed ({}); log: {}", jobs.merge, describe(merge[0]), (batch / "merge.log").string()));
        if ((!merge.empty() && merge[0].finished()) || (merge.empty() && std::filesystem::exists(batch / "merge.json"))) return;
        if (merge.empty()) throw Error(fmt::format("Slurm no longer knows the merge job {} and it left no summary; log: {}", jobs.merge, (batch / "merge.log").string()));
        std::this_thread::sleep_for(std::chrono::duration<double>(sweep.poll_seconds));
    }
}

}  // namespace

SweepSummary run_sweep_on_slurm(const Study& study, const SlurmSweep& sweep) {
    slurm::require_client();
    const auto options = common_options(study);
    slurm::check_options(options);  // Slurm's word on the settings, before anything is written

    const SweepState state = open_sweep(study);
    spdlog::info("{} candidates, {} to evaluate ({} finished earlier)", state.candidates, state.unfinished.size(),
                 state.candidates - state.unfinished.size());
    if (state.unfinished.empty()) return merge_sweep(study, {});

    const auto batch = new_batch_folder(study);
    std::string list;
    for (const auto& id : state.unfinished) list += id + "\n";
    write_text_atomically(batch / "candidates.txt", list);
    Jobs jobs;
    jobs.n_tasks = static_cast<unsigned>(std::min<size_t>(study.executor.tasks ? study.executor.tasks : 8, state.unfinished.size()));
    for (const std::string role : {"baseline", "tasks", "merge"}) {
        const auto script = batch / (role + ".sh");
        write_text_atomically(script, job_script(study, sweep, batch, role == "tasks" ? fmt::format("\"$SLURM_ARRAY_TASK_ID/{}\"", jobs.n_tasks) : role));
        std::filesystem::permissions(script, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
    }

    auto submit = [&](std::vector<std::string> extra, const std::string& role) {
        std::vector<std::string> args = options;
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back((batch / (role + ".sh")).string());
        return slurm::submit(args);
    };
    std::vector<std::string> submitted_jobs;
    try {
        jobs.baseline = submit({"--output=" + (batch / "baseline.log").string()}, "baseline");
        submitted_jobs.push_back(jobs.baseline);
        jobs.tasks = submit({fmt::format("--array=0-{}", jobs.n_tasks - 1), "--dependency=afterok:" + jobs.baseline,
                             "--output=" + (batch / "task-%a.log").string()},
                            "tasks");
        submitted_jobs.push_back(jobs.tasks);
        jobs.merge = submit({"--dependency=afterok:" + jobs.tasks, "--output=" + (batch / "merge.log").string()}, "merge");
    } catch (const std::exception&) {
        slurm::cancel(submitted_jobs);  // all three or none
        throw;
    }
    write_text_atomically(batch / "jobs.json", json{{"baseline", jobs.baseline}, {"tasks", jobs.tasks}, {"array_tasks", jobs.n_tasks}, {"merge", jobs.merge}}.dump(1) + "\n");
    spdlog::info("submitted to Slurm: baseline job {}, array job {} ({} tasks for {} candidates), merge job {}; scripts and logs in {}; "
                 "`scancel {} {} {}` stops them",
                 jobs.baseline, jobs.tasks, jobs.n_tasks, state.unfinished.size(), jobs.merge, batch.string(), jobs.baseline, jobs.tasks, jobs.merge);
    if (!sweep.wait) return {};
    follow(study, sweep, jobs, batch, state.unfinished);
    SweepSummary summary = summary_from(batch / "merge.json");
    summary.results = study.out / "results.jsonl";
    return summary;
}

void run_sweep_worker(const Study& study, const std::string& role, const std::filesystem::path& batch, const SweepOptions& options) {
    if (role == "baseline") {
        SweepSummary s;
        s.baseline_evaluated = prepare_sweep_baseline(study, options);
        write_text_atomically(batch / "baseline.json", to_json(s).dump(1) + "\n");
    } else if (role == "merge") {
        SweepSummary evaluated = summary_from(batch / "baseline.json");
        for (const auto& entry : std::filesystem::directory_iterator(batch))
            if (entry.path().filename().string().starts_with("task-") && entry.path().extension() == ".json") evaluated += summary_from(entry.path());
        write_text_atomically(batch / "merge.json", to_json(merge_sweep(study, evaluated)).dump(1) + "\n");
    } else {
        SweepPart part;
        if (std::sscanf(role.c_str(), "%u/%u", &part.task, &part.tasks) != 2 || part.tasks == 0 || part.task >= part.tasks)
            throw Error(fmt::format("--worker {}: expected baseline, merge or TASK/TASKS (e.g. 0/4)", role));
        part.only = read_lines(batch / "candidates.txt");
        write_text_atomically(batch / fmt::format("task-{}.json", part.task), to_json(run_sweep_part(study, part, options)).dump(1) + "\n");
    }
}

}  // namespace qframe
