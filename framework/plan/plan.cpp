#include "qframe/plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/input_file.hpp"
#include "qframe/provenance.hpp"
#include "qframe/regex.hpp"
#include "qframe/sha256.hpp"
#include "qframe/stage_kinds.hpp"
#include "gain_predictor.hpp"
#include "solver.hpp"
#include "speed/mix_speed.hpp"
#include "speed/type_table.hpp"
#include "statistics.hpp"

namespace qframe {
namespace {

using nlohmann::json;

std::map<std::string, json> read_results(const std::filesystem::path& dir) {
    const auto path = dir / "results.jsonl";
    if (!std::filesystem::exists(path)) throw Error(fmt::format("{}: no results.jsonl (run `qframe sweep` on the study first)", dir.string()));
    std::istringstream in(read_input_text(path, "study results", kMaxTextFileBytes));
    std::map<std::string, json> by_id;
    size_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (line.empty()) continue;
        const auto bad = [&](const std::string& what) {
            return Error(fmt::format("{}:{}: {} (results.jsonl is written by `qframe sweep`; run it again)", path.string(), line_number, what));
        };
        json r = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (r.is_discarded()) throw bad("not a line of JSON");
        if (!r.is_object() || !r.contains("group") || !r["group"].is_string() || !r.contains("treatment") || !r["treatment"].is_string())
            throw bad("not a result: a JSON object with the strings \"group\" and \"treatment\"");
        if (!r.contains("error")) {
            for (const char* key : {"kld_mean", "kld_p99", "dppl", "rel_l2", "output_err2"})
                if (r.contains(key) && !r[key].is_number()) throw bad(fmt::format("\"{}\" is not a number", key));
            for (const char* key : {"bytes_after_per_tensor", "type_after_per_tensor"})
                if (r.contains(key) && !r[key].is_object()) throw bad(fmt::format("\"{}\" is not an object", key));
            if (r.contains("bytes_after_per_tensor"))
                for (const auto& [name, bytes] : r["bytes_after_per_tensor"].items())
                    if (!bytes.is_number_unsigned()) throw bad(fmt::format("the bytes of {} are not a byte count", name));
            if (r.contains("type_after_per_tensor"))
                for (const auto& [name, type] : r["type_after_per_tensor"].items())
                    if (!type.is_string()) throw bad(fmt::format("the type of {} is not a type name", name));
        }
        const std::string id = r["group"].get<std::string>() + "@" + r["treatment"].get<std::string>();
        by_id[id] = std::move(r);
    }
    return by_id;
}

// One choice for a group (or a unit of tied groups): a treatment, or the baseline (nullopt), with
// its bytes and cost.
struct Choice {
    std::optional<size_t> treatment;  // index into Study::treatments
    plan::Option option;
    std::vector<uint32_t> types;      // per tensor of the group: its type in the output
    bool predicted = false;           // its cost predicted by an adaptive study, not measured
};

const Choice* find_choice(const std::vector<Choice>& choices, const std::optional<size_t>& treatment) {
    for (const auto& c : choices)
        if (c.treatment == treatment) return &c;
    return nullptr;
}

// A group as the plan sees it: its tensors and what each choice costs.
struct GroupOptions {
    std::string name;
    std::vector<std::string> tensors;
    std::vector<Choice> choices;  // the baseline first
};

std::vector<Regex> compile(const std::vector<std::string>& patterns, const char* flag) {
    std::vector<Regex> out;
    for (const auto& p : patterns) try {
            out.emplace_back(p);
        } catch (const Error& e) {
            throw Error(fmt::format("{}: {}", flag, e.what()));
        }
    return out;
}

bool same_letters(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// A treatment as the command line names it: its name in the study, or the GGUF type it writes
// ("Q4_K": the one treatment whose `type` option it is); `baseline` where allowed.
std::string treatment_named(const Study& study, const std::string& given, const char* flag, bool baseline_too) {
    if (baseline_too && given == "baseline") return given;
    std::vector<std::string> by_type, names;
    for (const auto& t : study.treatments) {
        if (t.name == given) return given;
        names.push_back(t.name);
        if (t.call.options.has("type") && std::holds_alternative<std::string>(t.call.options.values().at("type")) &&
            same_letters(t.call.options.get_string("type"), given))
            by_type.push_back(t.name);
    }
    if (by_type.size() == 1) return by_type.front();
    throw Error(fmt::format("{} {}: {} (the study's treatments: {}{})", flag, given,
                            by_type.empty() ? "no treatment of the study has that name or type" : "several treatments write that type; name one",
                            fmt::join(names, ", "), baseline_too ? ", or baseline" : ""));
}

std::string mib(uint64_t bytes) { return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

uint64_t parse_size(const std::string& text) {
    size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    std::string unit = text.substr(used);
    unit.erase(0, unit.find_first_not_of(' '));
    static const std::map<std::string, double> units = {{"", 1},         {"B", 1},          {"K", 1e3},         {"KB", 1e3},
                                                        {"M", 1e6},      {"MB", 1e6},       {"G", 1e9},         {"GB", 1e9},
                                                        {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
    const auto it = units.find(unit);
    if (used == 0 || it == units.end() || !(value > 0))
        throw Error(fmt::format("'{}' is not a size (bytes, or a number with K, M, G, KiB, MiB or GiB)", text));
    // Bounded before the conversion, which would overflow: no model is a petabyte.
    constexpr double kMaxBytes = 1e15;
    if (!(value * it->second <= kMaxBytes)) throw Error(fmt::format("'{}' is more than a petabyte; give the model's size budget", text));
    return static_cast<uint64_t>(std::llround(value * it->second));
}

namespace {

// The study's groups in study order, each with the baseline (its bytes in the study's baseline
// model) and every treatment measured for it that --types allows; `grouped` gets their tensors.
std::vector<GroupOptions> read_groups(const Study& study, const GgufFile& input, const GgufFile& base, const std::map<std::string, json>& results,
                                      const PlanRequest& request, const std::set<std::string>& allowed, std::set<std::string>& grouped) {
    const auto base_bytes = [&](const std::string& name) {
        const TensorInfo* t = base.find_tensor(name);
        if (!t) throw Error(fmt::format("the baseline model has no tensor '{}'", name));
        return t->n_bytes;
    };
    std::vector<GroupOptions> groups;
    std::map<std::string, size_t> group_index;
    std::vector<std::string> missing;
    for (const auto& c : plan_candidates(study, input)) {
        auto [it, added] = group_index.emplace(c.group, groups.size());
        if (added) {
            GroupOptions g{c.group, {}, {{std::nullopt, {0, 0.0}, {}}}};
            for (size_t i : c.tensors) {
                g.tensors.push_back(input.tensors()[i].name);
                g.choices[0].option.bytes += base.padded(base_bytes(g.tensors.back()));
                g.choices[0].types.push_back(base.find_tensor(g.tensors.back())->type_id);
                grouped.insert(g.tensors.back());
            }
            groups.push_back(std::move(g));
        }
        GroupOptions& g = groups[it->second];
        const auto r = results.find(c.id());
        if (r == results.end()) {
            missing.push_back(c.id());
            continue;
        }
        if (r->second.contains("error") || (!allowed.empty() && !allowed.count(c.treatment_name))) continue;
        if (!r->second.contains("bytes_after_per_tensor") || !r->second.contains("type_after_per_tensor"))
            throw Error(fmt::format("{}: results without bytes_after_per_tensor or type_after_per_tensor (from an older qframe): run the study again",
                                    request.study_dir.string()));
        const auto value = [&](const json& object, const std::string& key) -> const json& {
            if (!object.contains(key))
                throw Error(fmt::format("{}: result {} has no {}; run `qframe sweep` on the study again", (request.study_dir / "results.jsonl").string(), c.id(), key));
            return object.at(key);
        };
        Choice choice{c.treatment, {0, value(r->second, request.objective).get<double>()}, {}, r->second.contains("predicted")};
        for (const auto& name : g.tensors) {
            choice.option.bytes += base.padded(value(r->second.at("bytes_after_per_tensor"), name).get<uint64_t>());
            const std::string type = value(r->second.at("type_after_per_tensor"), name).get<std::string>();
            const TypeInfo* info = find_type(type);
            if (!info) throw Error(fmt::format("{}: result {} gives tensor {} the unknown type '{}'", request.study_dir.string(), c.id(), name, type));
            choice.types.push_back(static_cast<uint32_t>(info->type));
        }
        g.choices.push_back(choice);
    }
    if (!missing.empty())
        throw Error(fmt::format("{}: the study is not finished ({} candidates without a result, e.g. {}); run `qframe sweep` on it again",
                                request.study_dir.string(), missing.size(), missing.front()));
    return groups;
}

struct ProxyCheck {
    double rho = 0, rho_within = 0;  // over all candidates; the mean over the treatments
    size_t pairs = 0;
};

// How a cheap proxy (rel_l2, or output_err2 when the study weighs by an importance matrix) ranks
// the study's candidates against the objective.
ProxyCheck proxy_check(const std::map<std::string, json>& results, const std::string& objective, const std::string& key) {
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> per_treatment;  // proxy, measured
    std::vector<double> proxy, measured;
    for (const auto& [id, r] : results)
        if (!r.contains("error") && !r.contains("predicted") && r.contains(key) && r.contains(objective)) {
            proxy.push_back(r.at(key).get<double>());
            measured.push_back(r.at(objective).get<double>());
            auto& [p, m] = per_treatment[r.value("treatment", "")];
            p.push_back(proxy.back());
            m.push_back(measured.back());
        }
    if (proxy.empty()) return {};
    ProxyCheck check{plan::spearman(proxy, measured), 0, proxy.size()};
    for (const auto& [t, pm] : per_treatment) check.rho_within += plan::spearman(pm.first, pm.second) / per_treatment.size();
    return check;
}

// The study's candidates as the gain predictor reads them: measured cost and model-free error —
// output_err2, an expected squared output error, or without an importance matrix rel_l2 squared
// (within a group, ‖ΔW‖² over a constant): a cost grows with the square of an error, so a gain
// carries from one type to another only on a squared scale (rel_l2 itself: errors of ×2.3–×7.5
// on trained-a, against ×1.2–×1.5 squared).
std::vector<plan::CostSample> cost_samples(const std::map<std::string, json>& results, const std::string& objective, bool weighed) {
    const char* key = weighed ? "output_err2" : "rel_l2";
    std::vector<plan::CostSample> samples;
    for (const auto& [id, r] : results)
        if (!r.contains("error") && !r.contains("predicted") && r.contains(key) && r.contains(objective)) {
            const double error = r.at(key).get<double>();
            samples.push_back({r.value("group", ""), r.value("treatment", ""), r.at(objective).get<double>(), weighed ? error : error * error});
        }
    return samples;
}

// Pins keep one choice of each group they match.
void apply_pins(std::vector<GroupOptions>& groups, const Study& study, const std::vector<std::pair<std::string, std::string>>& pins) {
    for (const auto& [pattern, given] : pins) {
        const Regex regex = compile({pattern}, "--pin").front();
        const std::string wanted = treatment_named(study, given, "--pin", true);
        size_t matched = 0;
        for (auto& g : groups) {
            if (!regex.search(g.name)) continue;
            ++matched;
            const auto keep = std::find_if(g.choices.begin(), g.choices.end(), [&](const Choice& c) {
                return (c.treatment ? study.treatments[*c.treatment].name : std::string("baseline")) == wanted;
            });
            if (keep == g.choices.end())
                throw Error(fmt::format("--pin {}={}: group {} has no measured '{}' (treatments: the study's names, or baseline)", pattern, wanted, g.name, wanted));
            g.choices = {*keep};
        }
        if (!matched) throw Error(fmt::format("--pin {}={}: no group matches", pattern, wanted));
    }
}

// Ties: groups matching a tie with the same captured text form one unit; the others are units of
// their own. Returns each unit's groups.
std::vector<std::vector<size_t>> tie_units(const std::vector<GroupOptions>& groups, const std::vector<std::string>& patterns) {
    const auto ties = compile(patterns, "--tie");
    std::vector<std::vector<size_t>> units;
    std::map<std::string, size_t> unit_of_key;
    for (size_t i = 0; i < groups.size(); ++i) {
        std::string key = "group:" + groups[i].name;
        for (size_t t = 0; t < ties.size(); ++t) {
            const auto m = ties[t].first_match(groups[i].name);
            if (!m) continue;
            key = fmt::format("tie{}", t);
            for (size_t k = 1; k < m->size(); ++k) key += "|" + (*m)[k];
            break;
        }
        const auto [it, added] = unit_of_key.emplace(key, units.size());
        if (added) units.emplace_back();
        units[it->second].push_back(i);
    }
    return units;
}

// A unit's choices: the treatments all its groups have, their bytes and costs summed.
std::vector<Choice> unit_choices(const std::vector<GroupOptions>& groups, const std::vector<size_t>& members) {
    std::vector<Choice> out;
    for (const Choice& first : groups[members[0]].choices) {
        Choice sum{first.treatment, {}, {}};
        bool everywhere = true;
        for (size_t m : members) {
            const Choice* c = find_choice(groups[m].choices, first.treatment);
            if (!c) {
                everywhere = false;
                break;
            }
            sum.option.bytes += c->option.bytes;
            sum.option.cost += c->option.cost;
            for (size_t t = 0; t < plan::kTimeKinds; ++t) sum.option.seconds[t] += c->option.seconds[t];
            sum.predicted = sum.predicted || c->predicted;
        }
        if (everywhere) out.push_back(sum);
    }
    if (out.empty()) throw Error(fmt::format("tied group {} and the groups tied to it share no choice (pins or failures differ)", groups[members[0]].name));
    return out;
}

// The speed model of the study's model: the table, its rest of a pass, the model's products.
struct ProductTimes {
    speed::TimingTable table;
    speed::PassRest rest;
    std::map<std::string, speed::MatrixUse, std::less<>> products;  // speed::matrix_uses, by tensor

    // The tensor's product at `type` (none where it is no product; `missing` where the table lacks it).
    std::optional<speed::MatrixUse> use(std::string_view tensor, std::string type) const {
        const auto it = products.find(tensor);
        if (it == products.end()) return std::nullopt;
        speed::MatrixUse u = it->second;
        u.type = std::move(type);
        return u;
    }
    // What the tensor adds to a pass at type `type_id`, collecting what the table lacks.
    plan::Seconds of(std::string_view tensor, uint32_t type_id, std::set<std::string>& missing) const {
        const auto u = use(tensor, type_name_or_id(find_type(type_id), type_id));
        if (!u) return {};
        const speed::MatrixSeconds s = speed::matrix_seconds(table, std::span(&*u, 1));
        missing.insert(s.missing.begin(), s.missing.end());
        return {s.prompt, s.generation};
    }
};

}  // namespace

struct Planner::Impl {
    Study study;
    std::optional<GgufFile> input;
    std::vector<NamedTensorType> base_types;  // every tensor's type when no group is treated, file order
    std::vector<MetadataSetting> importance_keys;  // llama-quantize's quantize.imatrix.* keys, when the study weighs by one
    // data_offset: the input's (bits per weight count the tensors only); header: the output's
    // header without the plan's recipe text, the least it can be; fixed: the ungrouped tensors.
    uint64_t data_offset = 0, header = 0, n_values = 0, fixed = 0;
    std::vector<GroupOptions> groups;
    std::vector<std::vector<size_t>> units;       // groups per unit
    std::vector<std::vector<Choice>> choices;     // per unit
    std::vector<std::vector<plan::Option>> options;  // the same, as the solver takes them
    ProxyCheck proxy, output_proxy;
    std::string gain_error_key;
    std::vector<GainCheck> gain_checks;
    // The speed model (PlanRequest::speed_table): a pass's seconds outside the choices (the rest of
    // a pass, the ungrouped products), the prompt's tokens, and the seconds the choices may add.
    bool timed = false;
    std::optional<ProductTimes> product_times;
    SpeedSetting speed;
    plan::Seconds fixed_seconds{};
    uint32_t prompt_tokens = 0;
    plan::Seconds time_budget = plan::kUnbounded;

    double bpw(uint64_t file) const { return 8.0 * static_cast<double>(file - std::min(file, data_offset)) / static_cast<double>(n_values); }

    // Per unit, the choice with the fewest bytes (the cheaper of equals).
    std::vector<size_t> smallest_choice() const {
        std::vector<size_t> out;
        for (const auto& unit : options) {
            size_t best = 0;
            for (size_t i = 1; i < unit.size(); ++i)
                if (std::pair(unit[i].bytes, unit[i].cost) < std::pair(unit[best].bytes, unit[best].cost)) best = i;
            out.push_back(best);
        }
        return out;
    }

    // Each choice's seconds in a pass, from the speed table; the fixed seconds; the time budget.
    void time_products(const PlanRequest& request, const GgufFile& input, const GgufFile& base, const std::set<std::string>& grouped) {
        ProductTimes times{speed::read_table_file(*request.speed_table), {}, {}};
        std::set<std::string> missing;  // "TYPE COLS×ROWS" the table lacks
        const speed::PassRest* rest = nullptr;
        const std::string shape = speed::shape_key(input);
        for (const auto& r : times.table.rests)
            if (r.shape == shape) rest = &r;
        if (!rest)
            throw Error(fmt::format("--speed-table {}: no pass of {}'s shape was timed for it: run `qframe bench-types {}` with the table's threads ({})",
                                    request.speed_table->string(), input.display_name(), study.input.string(), times.table.threads));
        for (auto& u : speed::matrix_uses(input)) times.products[u.name] = std::move(u);
        times.rest = *rest;
        for (auto& g : groups)
            for (auto& c : g.choices)
                for (size_t k = 0; k < g.tensors.size(); ++k) {
                    const plan::Seconds s = times.of(g.tensors[k], c.types[k], missing);
                    for (size_t t = 0; t < plan::kTimeKinds; ++t) c.option.seconds[t] += s[t];
                }
        fixed_seconds = {rest->prompt_seconds, rest->generation_seconds};
        for (const auto& t : base.tensors())
            if (!grouped.count(t.name)) {
                const plan::Seconds s = times.of(t.name, t.type_id, missing);
                for (size_t k = 0; k < plan::kTimeKinds; ++k) fixed_seconds[k] += s[k];
            }
        if (!missing.empty())
            throw Error(fmt::format("--speed-table {}: no time for {}{}: run `qframe bench-types {} --types …` with those types",
                                    request.speed_table->string(), *missing.begin(),
                                    missing.size() > 1 ? fmt::format(" (and {} more)", missing.size() - 1) : "", study.input.string()));
        timed = true;
        prompt_tokens = times.table.prompt_tokens;
        speed = {times.table.threads, times.table.prompt_tokens, rest->gen_tokens, times.table.numerics,
                 fmt::format("{} numerics on {}, {} thread(s)", times.table.numerics, times.table.cpu, times.table.threads)};
        product_times = std::move(times);
        if (request.min_prompt_tps) time_budget[0] = prompt_tokens / *request.min_prompt_tps - fixed_seconds[0];
        if (request.min_gen_tps) time_budget[1] = 1.0 / *request.min_gen_tps - fixed_seconds[1];
    }

    // The plan of one choice per unit, as the recipe that writes `output`, with its exact size.
    MixPlan assemble(const std::vector<size_t>& unit_choice, uint64_t budget, const std::filesystem::path& output, const Planner& planner) const {
        MixPlan plan;
        plan.study = study;
        plan.budget = budget;
        plan.smallest = planner.smallest();
        plan.largest = planner.largest();
        plan.proxy_pairs = proxy.pairs;
        plan.proxy_rank_correlation = proxy.rho;
        plan.proxy_rank_correlation_within = proxy.rho_within;
        plan.output_proxy_pairs = output_proxy.pairs;
        plan.output_proxy_rank_correlation = output_proxy.rho;
        plan.output_proxy_rank_correlation_within = output_proxy.rho_within;
        plan.gain_error_key = gain_error_key;
        plan.gain_checks = gain_checks;
        std::vector<std::optional<size_t>> choice_of_group(groups.size());
        for (size_t u = 0; u < units.size(); ++u)
            for (size_t m : units[u]) choice_of_group[m] = choices[u][unit_choice[u]].treatment;
        std::vector<NamedTensorType> types = base_types;
        std::map<std::string_view, size_t> position;
        for (size_t i = 0; i < types.size(); ++i) position[types[i].name] = i;
        uint64_t chosen_bytes = 0;
        plan::Seconds seconds = fixed_seconds;
        for (size_t i = 0; i < groups.size(); ++i) {
            const auto& g = groups[i];
            const Choice& c = *find_choice(g.choices, choice_of_group[i]);
            for (size_t t = 0; t < plan::kTimeKinds; ++t) seconds[t] += c.option.seconds[t];
            plan.groups.push_back({g.name, c.treatment, g.tensors, c.option.bytes, c.option.cost, c.predicted});
            plan.predicted_choices += c.predicted;
            plan.predicted += c.option.cost;
            chosen_bytes += c.option.bytes;
            for (size_t k = 0; k < g.tensors.size(); ++k) types[position.at(g.tensors[k])].type_id = c.types[k];
        }
        plan.recipe = plan_recipe(plan, output);
        // `qframe run` rewrites tensors (and adds llama-quantize's keys) when a stage quantizes.
        const bool rewritten = !study.baseline_text.empty() ||
                               std::any_of(plan.groups.begin(), plan.groups.end(), [](const GroupChoice& g) { return g.treatment.has_value(); });
        plan.file_bytes = output_data_offset(types, plan.recipe, rewritten) + fixed + chosen_bytes;
        plan.bpw = bpw(plan.file_bytes);
        plan.file_type = guess_llama_file_type(types);
        for (const auto& t : types) plan.output_types.emplace_back(std::string(t.name), t.type_id);
        if (timed) {
            plan.speed_prompt_tokens = prompt_tokens;
            plan.speed_source = speed.source;
            plan.predicted_prompt_tps = prompt_tokens / seconds[0];
            plan.predicted_gen_tps = 1.0 / seconds[1];
        }
        return plan;
    }

    // Where the data of the file `qframe run` makes from `recipe` begins: the header holds the
    // recipe's text and the type llama.cpp will call the file (provenance.hpp).
    uint64_t output_data_offset(const std::vector<NamedTensorType>& types, const std::string& recipe, bool rewritten) const {
        const Provenance provenance{study.name + "-plan", recipe, {}, study.input.filename().string(), std::string(kSha256HexDigits, '0'), importance_keys};
        std::vector<OutputTensor> skeleton;  // names, dims and types make the header; the bytes do not
        for (size_t i = 0; i < types.size(); ++i) {
            const TensorInfo& t = input->tensors()[i];
            skeleton.push_back({t.name, types[i].type_id, t.dims, 0, {}, {}, {}});
        }
        return data_section_offset(output_layout(*input, types, rewritten, provenance), skeleton);
    }
};

Planner::~Planner() = default;
const Study& Planner::study() const { return impl_->study; }
uint64_t Planner::smallest() const { return impl_->header + impl_->fixed + plan::smallest_bytes(impl_->options); }
uint64_t Planner::largest() const { return impl_->header + impl_->fixed + plan::largest_bytes(impl_->options); }

double Planner::bpw(uint64_t file_bytes) const { return impl_->bpw(file_bytes); }

const std::vector<GainCheck>& Planner::gain_checks() const { return impl_->gain_checks; }
const std::string& Planner::gain_error_key() const { return impl_->gain_error_key; }

std::set<std::string> Planner::offered_types() const {
    std::set<std::string> out;
    const auto add = [&](uint32_t id) { out.insert(type_name_or_id(find_type(id), id)); };
    for (const auto& t : impl_->base_types) add(t.type_id);
    for (const auto& group : impl_->groups)
        for (const auto& choice : group.choices)
            for (uint32_t id : choice.types) add(id);
    return out;
}

uint64_t Planner::budget_of(const PlanRequest& request) const {
    if (!request.target_bytes && !request.target_bpw && impl_->timed) return largest() + (uint64_t(1) << 20);  // room for any recipe text
    if (request.target_bytes.has_value() == request.target_bpw.has_value()) throw Error("give one target: --target-size or --target-bpw");
    if (request.target_bytes) return *request.target_bytes;
    return impl_->data_offset + static_cast<uint64_t>(std::floor(*request.target_bpw * static_cast<double>(impl_->n_values) / 8));
}

Planner::Planner(const PlanRequest& request, const StageCatalog& catalog) : impl_(std::make_unique<Impl>()) {
    Impl& d = *impl_;
    StudyOverrides overrides;
    overrides.input = request.input;
    overrides.out = request.study_dir;
    d.study = load_study(request.study_dir / "study.yaml", catalog, overrides);
    const Study& study = d.study;
    if (study.mode == StudyMode::AllButOne) throw Error("a plan sums one-at-a-time costs: this study is all_but_one");
    if (request.objective != "kld_mean" && request.objective != "kld_p99" && request.objective != "dppl")
        throw Error(fmt::format("--objective must be kld_mean, kld_p99 or dppl, not '{}'", request.objective));
    std::set<std::string> allowed;
    for (const auto& t : request.types) allowed.insert(treatment_named(study, t, "--types", false));

    d.input = GgufFile::open(study.input);
    const GgufFile& input = *d.input;
    // The plan's recipe weighs by the study's importance matrix (named by its absolute path, as
    // plan_recipe writes it): its keys are part of the output's header.
    if (!study.imatrix.file.empty())
        for (auto& [key, value] : importance_metadata(read_chosen(study.imatrix), plan_importance_file(study)))
            d.importance_keys.push_back({key, value});
    // The baseline's bytes: the input's, or those of the baseline model the sweep wrote.
    std::optional<GgufFile> generated;
    if (!study.baseline.empty()) {
        const auto path = study.out / "baseline.gguf";
        if (!std::filesystem::exists(path)) throw Error(fmt::format("{}: the study's baseline model is missing; run `qframe sweep` on the study again", path.string()));
        generated = GgufFile::open(path);
    }
    const GgufFile& base = generated ? *generated : input;
    const auto results = read_results(request.study_dir);

    std::set<std::string> grouped;
    d.groups = read_groups(study, input, base, results, request, allowed, grouped);
    d.proxy = proxy_check(results, request.objective, "rel_l2");
    d.output_proxy = proxy_check(results, request.objective, "output_err2");
    const bool weighed = !study.imatrix.file.empty();
    d.gain_error_key = weighed ? "output_err2" : "rel_l2^2";
    d.gain_checks = plan::check_gains(cost_samples(results, request.objective, weighed));
    if (request.speed_table) d.time_products(request, input, base, grouped);
    apply_pins(d.groups, study, request.pins);
    d.units = tie_units(d.groups, request.ties);
    for (const auto& members : d.units) {
        d.choices.push_back(unit_choices(d.groups, members));
        d.options.emplace_back();
        for (const Choice& c : d.choices.back()) d.options.back().push_back(c.option);
    }

    // What no choice changes: the ungrouped tensors; and the header's least size.
    for (const auto& t : input.tensors()) {
        d.n_values += t.n_values;
        d.base_types.push_back({t.name, base.find_tensor(t.name)->type_id});
    }
    d.data_offset = input.data_offset();
    for (const auto& t : base.tensors())
        if (!grouped.count(t.name)) d.fixed += base.padded(t.n_bytes);
    d.header = d.output_data_offset(d.base_types, "", false);
}

uint64_t Planner::smallest_plan_bytes(const std::filesystem::path& output) const {
    // The recipe states its budget, so the size depends on the budget's digits: the least
    // budget that holds the plan written with it.
    uint64_t budget = 0;
    while (true) {
        const uint64_t bytes = impl_->assemble(impl_->smallest_choice(), budget, output, *this).file_bytes;
        if (bytes <= budget) return budget;
        budget = bytes;
    }
}

// Why no plan meets the speed bound: the fastest the choices reach, each kind on its own.
std::string Planner::no_plan_fast_enough(uint64_t budget) const {
    const Impl& d = *impl_;
    plan::Seconds fastest = d.fixed_seconds;
    for (const auto& unit : d.options)
        for (size_t t = 0; t < plan::kTimeKinds; ++t)
            fastest[t] += std::min_element(unit.begin(), unit.end(), [t](const auto& a, const auto& b) { return a.seconds[t] < b.seconds[t]; })->seconds[t];
    return fmt::format("no plan within {} bytes ({:.3f} bits per weight) is predicted to reach the speed asked ({}{}): the fastest choices, each kind on "
                       "its own and at any size, predict {:.1f} prompt tokens/s and {:.2f} generated tokens/s",
                       budget, d.bpw(budget), std::isfinite(d.time_budget[0]) ? "prompt" : "", std::isfinite(d.time_budget[1]) ? (std::isfinite(d.time_budget[0]) ? " and generation" : "generation") : "",
                       d.prompt_tokens / fastest[0], 1.0 / fastest[1]);
}

MixPlan Planner::plan(uint64_t budget, const std::filesystem::path& output) const {
    const Impl& d = *impl_;
    const MixPlan least = d.assemble(d.smallest_choice(), budget, output, *this);
    if (budget < least.file_bytes)
        throw Error(fmt::format("no plan fits {} bytes ({}, {:.3f} bits per weight): the smallest the study's choices reach is {} bytes ({}, {:.3f} bits per weight)",
                                budget, mib(budget), d.bpw(budget), least.file_bytes, mib(least.file_bytes), d.bpw(least.file_bytes)));
    // The header holds the plan's recipe, which names the choices: solve for a header size, write
    // the recipe, and solve again for the header it makes until that fits (the header grows each
    // time, so this ends). Should a longer recipe leave no room, the smallest plan still fits.
    for (uint64_t header = d.header;;) {
        const auto solution = budget >= header + d.fixed ? plan::solve(d.options, budget - header - d.fixed, d.time_budget) : std::nullopt;
        if (!solution && (std::isfinite(d.time_budget[0]) || std::isfinite(d.time_budget[1]))) throw Error(no_plan_fast_enough(budget));
        if (!solution) return least;
        MixPlan plan = d.assemble(solution->choice, budget, output, *this);
        const uint64_t needed = plan.file_bytes - d.fixed - solution->bytes;
        if (needed <= header) return plan;
        header = needed;
    }
}

std::optional<SpeedSetting> Planner::speed_setting() const {
    if (!impl_->timed) return std::nullopt;
    return impl_->speed;
}

std::optional<std::pair<double, double>> Planner::predicted_speed(const std::map<std::string, std::string>& types) const {
    const Impl& d = *impl_;
    if (!d.timed) return std::nullopt;
    const ProductTimes& times = *d.product_times;
    std::vector<speed::MatrixUse> uses;
    for (const auto& t : d.base_types) {
        const auto it = types.find(std::string(t.name));
        if (auto u = times.use(t.name, it != types.end() ? it->second : type_name_or_id(find_type(t.type_id), t.type_id))) uses.push_back(std::move(*u));
    }
    const speed::MatrixSeconds products = speed::matrix_seconds(times.table, uses);
    if (!products.missing.empty()) return std::nullopt;
    const speed::SpeedPrediction s = speed::predict(products, times.rest);
    return std::pair{s.prompt_tps, s.gen_tps};
}

MixPlan make_plan(const PlanRequest& request, const StageCatalog& catalog, const std::filesystem::path& output) {
    const Planner planner(request, catalog);
    return planner.plan(planner.budget_of(request), output);
}

std::vector<MixPlan> plan_frontier(const Planner& planner, size_t n, const std::filesystem::path& dir) {
    std::vector<MixPlan> plans;
    // The least budget: the smallest plan as its recipe makes it (the recipes' lengths differ).
    const uint64_t lo = planner.smallest_plan_bytes(dir / "plan-1.gguf"), hi = std::max(lo, planner.largest());
    for (size_t k = 0; k < n; ++k) {
        // Geometric steps: the small sizes, where the choices matter most, get more plans.
        const uint64_t budget = n == 1 ? hi : k + 1 == n ? hi : static_cast<uint64_t>(lo * std::pow(static_cast<double>(hi) / lo, static_cast<double>(k) / (n - 1)));
        plans.push_back(planner.plan(budget, dir / fmt::format("plan-{}.gguf", k + 1)));
    }
    return plans;
}

}  // namespace qframe
