#include "type_table.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "qframe/sha256.hpp"

namespace qframe::speed {

const TypeTiming* TimingTable::find(std::string_view type, uint64_t cols, uint64_t rows) const {
    const auto it = std::find_if(entries.begin(), entries.end(), [&](const TypeTiming& t) { return t.type == type && t.cols == cols && t.rows == rows; });
    return it == entries.end() ? nullptr : &*it;
}

void TimingTable::put(const TypeTiming& timing) {
    const auto it = std::find_if(entries.begin(), entries.end(), [&](const TypeTiming& t) {
        return t.type == timing.type && t.cols == timing.cols && t.rows == timing.rows;
    });
    if (it == entries.end()) entries.push_back(timing);
    else *it = timing;
}

const PassRest* TimingTable::find_rest(std::string_view shape, uint32_t gen_tokens) const {
    const auto it = std::find_if(rests.begin(), rests.end(), [&](const PassRest& r) { return r.shape == shape && r.gen_tokens == gen_tokens; });
    return it == rests.end() ? nullptr : &*it;
}

void TimingTable::put(const PassRest& rest) {
    const auto it = std::find_if(rests.begin(), rests.end(), [&](const PassRest& r) { return r.shape == rest.shape && r.gen_tokens == rest.gen_tokens; });
    if (it == rests.end()) rests.push_back(rest);
    else *it = rest;
}

std::string TimingTable::key() const {
    return fmt::format("cpu={} threads={} prompt_tokens={} numerics={}", cpu, threads, prompt_tokens, numerics);
}

std::string this_cpu() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("model name")) {
            const auto colon = line.find(':');
            std::string name = colon == std::string::npos ? "" : line.substr(colon + 1);
            name.erase(0, name.find_first_not_of(" \t"));
            if (!name.empty()) return name;
        }
    return "unknown CPU";
}

std::filesystem::path table_file(const std::filesystem::path& dir, const TimingTable& table) {
    return dir / fmt::format("types-{}.json", sha256_hex(table.key()).substr(0, 12));
}

TimingTable read_table(const std::filesystem::path& file, const TimingTable& key) {
    TimingTable table = key;
    table.entries.clear();
    table.rests.clear();
    std::ifstream in(file);
    if (!in) return table;
    try {
        const auto j = nlohmann::json::parse(in);
        if (j.at("key").get<std::string>() != key.key())
            throw Error(fmt::format("{} holds the timings of '{}', not of '{}'", file.string(), j.at("key").get<std::string>(), key.key()));
        for (const auto& e : j.at("entries"))
            table.entries.push_back({e.at("type"), e.at("cols"), e.at("rows"), e.at("bpw"), e.at("prompt_seconds_per_token"),
                                     e.at("generation_seconds"), e.at("measured")});
        for (const auto& r : j.value("rests", nlohmann::json::array()))
            table.rests.push_back({r.at("shape"), table.prompt_tokens, r.at("gen_tokens"), r.at("prompt_seconds"), r.at("generation_seconds_per_token"),
                                   r.at("from"), r.at("measured")});
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("{} is not a table of type timings ({}): remove it, or measure anew with --force", file.string(), e.what()));
    }
    return table;
}

TimingTable read_table_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error(fmt::format("{}: cannot read the table of type timings (`qframe bench-types MODEL` writes one)", file.string()));
    TimingTable key;
    try {
        const auto j = nlohmann::json::parse(in);
        key.cpu = j.at("cpu").get<std::string>();
        key.threads = j.at("threads").get<unsigned>();
        key.prompt_tokens = j.at("prompt_tokens").get<uint32_t>();
        key.numerics = j.at("numerics").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("{} is not a table of type timings ({})", file.string(), e.what()));
    }
    return read_table(file, key);
}

void write_table(const std::filesystem::path& file, const TimingTable& table) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& t : table.entries)
        entries.push_back({{"type", t.type}, {"cols", t.cols}, {"rows", t.rows}, {"bpw", t.bpw}, {"prompt_seconds_per_token", t.prompt_seconds},
                           {"generation_seconds", t.generation_seconds}, {"measured", t.measured}});
    nlohmann::json rests = nlohmann::json::array();
    for (const auto& r : table.rests)
        rests.push_back({{"shape", r.shape}, {"gen_tokens", r.gen_tokens}, {"prompt_seconds", r.prompt_seconds},
                         {"generation_seconds_per_token", r.generation_seconds}, {"from", r.from}, {"measured", r.measured}});
    const nlohmann::json j = {{"key", table.key()},          {"cpu", table.cpu},           {"threads", table.threads},
                              {"prompt_tokens", table.prompt_tokens}, {"numerics", table.numerics}, {"entries", entries},
                              {"rests", rests}};
    write_text_atomically(file, j.dump(1) + "\n");
}

}  // namespace qframe::speed
