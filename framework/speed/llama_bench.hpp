// llama.cpp's speed, as `llama-bench -o jsonl` measures whole files on any machine (a GPU box
// qframe's engine does not run on), turned into a table of the kind `qframe bench-types` measures
// (type_table.hpp), so that plans and the speed model can target it (docs/speed.md).
//
// llama-bench times whole files, not matrices. From files of one model whose every matrix has one
// type (`qframe quantize --pure MODEL OUT TYPE`), each type's time is shared out: first the rest
// of a pass (attention, norms: the same whatever the types), then the type's matrices in
// proportion to qframe's own in-pass times for that type and shape on this machine. A single-type
// file is then predicted exactly as llama-bench measured it; a mix is predicted from its parts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "mix_speed.hpp"
#include "type_table.hpp"

namespace qframe::speed {

// One file's tests in llama-bench's rows: a prompt (-p) and a generation: from an empty cache
// (-n), or where the rows have no -n test, after the prompt (-pg less -p). Times are the median of
// a row's samples.
struct LlamaBenchFile {
    std::string path;            // model_filename, as the rows name it
    double prompt_seconds = 0;   // the whole prompt of LlamaBenchRun::prompt_tokens, one batch
    double gen_seconds = 0;      // per generated token
    std::string measured;        // the date of the rows' test_time
};

// The rows of one machine, build, thread count and test lengths.
struct LlamaBenchRun {
    std::string cpu_info, gpu_info, backends, build_commit;
    unsigned threads = 0;
    uint32_t prompt_tokens = 0, gen_tokens = 0;
    bool gen_after_prompt = false;  // generation timed after the prompt (-pg), as qframe times it
    std::vector<LlamaBenchFile> files;  // in the rows' order
};

// Reads `llama-bench -o jsonl` output. Throws qframe::Error, naming the line, for a row that is
// not llama-bench's, rows of several machines, builds, threads or lengths, and a file without both
// a prompt and a generation test.
LlamaBenchRun read_llama_bench(const std::filesystem::path& jsonl);

// The key of llama.cpp's table for the run: its machine (CPU, and GPU where one was used), threads
// and prompt; numerics "llama.cpp <build> (<backends>)", so it never mixes with qframe's own.
TimingTable llama_bench_key(const LlamaBenchRun& run);

// A file of the run, opened: its matrices and the one type they all have ("" for a mix).
struct LlamaBenchModel {
    const LlamaBenchFile* file = nullptr;
    std::vector<MatrixUse> uses;
    std::string single_type;
};

// The table of the run's single-type files: for each, llama-bench's time less the rest, shared
// among its matrices as `local` (qframe's table on this machine, the same prompt length) shares
// that type's; the rest is estimated as qframe's pass has it: each single-type file's time ×
// the share of the rest in qframe's pass of that file (`local_rest`, the model's), the median
// over the files, at most 95% of the fastest file's. Throws qframe::Error when there is no
// single-type file, two of one type, or `local` lacks an entry.
TimingTable from_llama_bench(const LlamaBenchRun& run, std::span<const LlamaBenchModel> models, const TimingTable& local,
                             const PassRest& local_rest, const std::string& shape, const std::string& date);

}  // namespace qframe::speed
