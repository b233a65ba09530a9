// The Slurm executor of qframe sweep. A study runs as three Slurm jobs, each waiting on the one
// before it (--dependency=afterok): the baseline (its model and log-probabilities, once), a job
// array whose tasks each evaluate a share of the unfinished candidates against the shared study
// folder, and a merge that writes results.jsonl and the reports. Each job is this qframe run as
// `qframe sweep STUDY … --worker ROLE --batch DIR`; DIR (out/slurm/N, one per submission) holds
// the job scripts, their logs, the submitted candidate list and each task's counts.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "qframe/study.hpp"
#include "qframe/sweep.hpp"

namespace qframe {

struct SlurmSweep {
    std::filesystem::path qframe;          // the executable the jobs run
    std::vector<std::string> worker_args;  // after `sweep`: what makes a job read the same study
                                           // (the file, --out, --input, --set …, bank and reuse flags)
    unsigned jobs = 1;                     // candidates at once within a task
    bool wait = true;                      // false: submit, say the job ids and return
    double poll_seconds = 1;
    // Called as results arrive: candidates with a result, candidates submitted.
    std::function<void(size_t done, size_t total)> progress;
};

// Submits the study's unfinished candidates (study.executor holds the Slurm settings) and, with
// `wait`, follows the jobs until the merge is done. A finished study submits nothing and is merged
// here. Throws when a job fails, naming the failed array tasks and their logs; their candidates
// stay unfinished for the next run.
SweepSummary run_sweep_on_slurm(const Study& study, const SlurmSweep& sweep);

// What one job does: ROLE is "baseline", "TASK/TASKS" or "merge".
void run_sweep_worker(const Study& study, const std::string& role, const std::filesystem::path& batch, const SweepOptions& options);

}  // namespace qframe
