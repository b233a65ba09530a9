// Slurm's own client commands (sbatch, scontrol, scancel from Debian's slurm-client), run as
// programs: what the Slurm executor needs of a cluster, nothing more.
#pragma once

#include <string>
#include <vector>

namespace qframe::sweep::slurm {

// Throws when sbatch is not on the PATH, saying where it comes from.
void require_client();

// `sbatch --parsable ARGS…`: the job id. Throws with sbatch's own message.
std::string submit(const std::vector<std::string>& args);
// `sbatch --test-only ARGS… --wrap true`: throws with sbatch's message when Slurm would refuse
// the options (an unknown partition, a bad time limit), before anything is submitted.
void check_options(const std::vector<std::string>& args);
void cancel(const std::vector<std::string>& job_ids);

// One record of `scontrol show job`: a job, or one task of an array (array_task ≥ 0; a record of
// tasks not yet started has array_task -1 and names them in array_tasks, e.g. "2-7").
struct JobRecord {
    int array_task = -1;
    std::string array_tasks, state, reason, exit_code;
    bool finished() const;  // in a final state
    bool failed() const;    // in a final state other than COMPLETED
};
// Empty when Slurm no longer knows the job (records are purged some minutes after the end).
std::vector<JobRecord> show_job(const std::string& job_id);

}  // namespace qframe::sweep::slurm
