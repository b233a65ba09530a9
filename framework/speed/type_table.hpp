// The per-type timings of the engine's matrix products on one machine, as `qframe bench-types`
// measures them: one entry per (type, shape), keyed by what changes them (the CPU, the threads,
// the prompt batch, the numerics). Stored as JSON in a folder of tables, one file per key, so a
// later run — of this model or another with shapes in common — measures only what is missing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace qframe::speed {

struct TypeTiming {
    std::string type;               // "Q4_K"
    uint64_t cols = 0, rows = 0;    // the matrix: rows of `cols` values
    double bpw = 0;                 // the type's bits per weight
    double prompt_seconds = 0;      // per token, in batches of the table's prompt_tokens
    double generation_seconds = 0;  // one token
    std::string measured;           // the UTC date it was measured
};

// The rest of a forward pass beyond its matrix products, for one model shape (mix_speed.hpp's
// shape_key): a whole pass measured less its products' time from the table.
struct PassRest {
    std::string shape;              // the model's shape key
    uint32_t prompt_tokens = 0;     // the prompt, one batch (the table's prompt_tokens)
    uint32_t gen_tokens = 0;        // tokens generated after it
    double prompt_seconds = 0;      // the whole prompt's
    double generation_seconds = 0;  // per generated token
    std::string from;               // the file measured
    std::string measured;           // the UTC date
};

struct TimingTable {
    std::string cpu;  // /proc/cpuinfo's model name
    unsigned threads = 1;
    uint32_t prompt_tokens = 512;
    std::string numerics = "ggml";
    std::vector<TypeTiming> entries;
    std::vector<PassRest> rests;

    // nullptr when (type, cols, rows) has no entry.
    const TypeTiming* find(std::string_view type, uint64_t cols, uint64_t rows) const;
    // Adds or replaces the entry of its (type, cols, rows).
    void put(const TypeTiming& timing);
    // nullptr when the model shape has no rest measured for that generation length.
    const PassRest* find_rest(std::string_view shape, uint32_t gen_tokens) const;
    void put(const PassRest& rest);
    // What the timings depend on, as one line: keys the table's file.
    std::string key() const;
};

// This machine's CPU model ("unknown CPU" where /proc/cpuinfo does not say).
std::string this_cpu();

// The file of `table`'s key in `dir`: types-<the key's SHA-256, 12 digits>.json.
std::filesystem::path table_file(const std::filesystem::path& dir, const TimingTable& table);

// The entries stored for `key`'s key in `file` (none when there is no file). Throws
// qframe::Error for a file that is not such a table, or one of another key.
TimingTable read_table(const std::filesystem::path& file, const TimingTable& key);
// The table in `file`, whatever its key (qframe plan --speed-table). Throws qframe::Error for a
// missing file or one that is not such a table.
TimingTable read_table_file(const std::filesystem::path& file);
void write_table(const std::filesystem::path& file, const TimingTable& table);

}  // namespace qframe::speed
