#include "adaptive_study.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <charconv>
#include <map>
#include <set>

#include "gain_predictor.hpp"
#include "qframe/error.hpp"
#include "qframe/output_file.hpp"
#include "qframe/plan.hpp"
#include "statistics.hpp"

namespace qframe::plan {
namespace {

// The costs an adaptive study predicts: whatever `qframe plan` may be asked to minimise.
constexpr const char* kPredictedKeys[] = {"kld_mean", "kld_p99", "dppl"};

struct CandidateRow {
    std::string id, group, treatment;
    double error = 0;   // model-free: output_err2, or rel_l2² without an importance matrix
    uint64_t bytes = 0;
    Findings free;      // the model-free keys of its result
};

// The study's candidates with their model-free errors, in study order.
struct Rows {
    std::vector<CandidateRow> rows;
    std::map<std::string, std::vector<size_t>> by_group;  // positions, treatment order
    std::vector<std::string> groups;                      // study order
    std::string error_key;
};

Rows read_rows(const std::vector<Findings>& free) {
    Rows r;
    const bool weighed = !free.empty() && std::all_of(free.begin(), free.end(), [](const Findings& f) { return f.contains("output_err2"); });
    r.error_key = weighed ? "output_err2" : "rel_l2^2";
    for (const auto& f : free) {
        CandidateRow row{f.at("group").get<std::string>() + "@" + f.at("treatment").get<std::string>(), f.at("group").get<std::string>(),
                         f.at("treatment").get<std::string>(), 0, f.at("bytes_after").get<uint64_t>(), f};
        const double e = weighed ? f.at("output_err2").get<double>() : f.at("rel_l2").get<double>();
        row.error = weighed ? e : e * e;
        if (!r.by_group.count(row.group)) r.groups.push_back(row.group);
        r.by_group[row.group].push_back(r.rows.size());
        r.rows.push_back(std::move(row));
    }
    return r;
}

// study.calibrate_at, or the treatment in the middle when the treatments are ordered by their
// median error over the groups: a gain carries best to types near the one it was measured at.
std::string calibration_treatment(const Study& study, const Rows& rows) {
    if (!study.adaptive.calibrate_at.empty()) return study.adaptive.calibrate_at;
    std::vector<std::pair<double, std::string>> by_error;
    for (const auto& t : study.treatments) {
        std::vector<double> errors;
        for (const auto& row : rows.rows)
            if (row.treatment == t.name) errors.push_back(row.error);
        by_error.emplace_back(median(errors), t.name);
    }
    std::sort(by_error.begin(), by_error.end());
    return by_error[by_error.size() / 2].second;
}

// A group's place in the model: "blk.7.ffn_down.weight" → layer 7, role "ffn_down.weight";
// "blk.7" → 7, ""; a group outside the blocks (output.weight) → -1, its own name.
struct GroupPlace {
    int layer = -1;
    std::string role;
};

GroupPlace place_of(std::string_view group) {
    if (!group.starts_with("blk.")) return {-1, std::string(group)};
    const char* first = group.data() + 4;
    const char* last = group.data() + group.size();
    int layer = -1;
    const auto [p, ec] = std::from_chars(first, last, layer);
    if (ec != std::errc() || p == first || (p != last && *p != '.')) return {-1, std::string(group)};
    return {layer, p == last ? std::string() : std::string(p + 1, last)};
}

// Per calibrated group, the candidate that calibrates it: the calibration treatment's, or where
// that changed nothing (error 0: the group's tensors cannot take the type) the treatment nearest
// to it in study order that changed something.
std::vector<std::string> calibration_candidates(const Study& study, const Rows& rows, const std::vector<std::string>& groups,
                                                const std::string& calibration) {
    const auto index_of = [&](const std::string& name) {
        return static_cast<std::ptrdiff_t>(std::find_if(study.treatments.begin(), study.treatments.end(), [&](const Treatment& t) { return t.name == name; }) -
                                           study.treatments.begin());
    };
    const std::ptrdiff_t at = index_of(calibration);
    std::vector<std::string> out;
    for (const auto& group : groups) {
        const CandidateRow* best = nullptr;
        for (size_t p : rows.by_group.at(group)) {
            const CandidateRow& row = rows.rows[p];
            if (row.error > 0 && (!best || std::abs(index_of(row.treatment) - at) < std::abs(index_of(best->treatment) - at))) best = &row;
        }
        if (best) out.push_back(best->id);
    }
    return out;
}

// The gain of a group none of whose candidates is measured, at model-free error `error`: from
// the groups of its role measured in the nearest layers below and above it (each one's gain at
// that error), interpolated in log gain by layer; one side alone gives its gain; no measured
// group of the role, `fallback`. `from` receives the measured candidates it rests on.
double borrowed_gain(const Rows& rows, const std::map<std::string, GainPoints>& points, const std::string& group, double error,
                     double fallback, const std::map<std::string, Findings>& measured, Findings* from) {
    const GroupPlace here = place_of(group);
    if (here.layer < 0) return fallback;
    const std::string *below = nullptr, *above = nullptr;
    int layer_below = 0, layer_above = 0;
    for (const auto& [other, _] : points) {
        const GroupPlace there = place_of(other);
        if (there.layer < 0 || there.role != here.role) continue;
        if (there.layer < here.layer && (!below || there.layer > layer_below)) below = &other, layer_below = there.layer;
        if (there.layer > here.layer && (!above || there.layer < layer_above)) above = &other, layer_above = there.layer;
    }
    if (!below && !above) return fallback;
    const auto gain_of = [&](const std::string* g) {
        if (from)
            for (size_t p : rows.by_group.at(*g))
                if (measured.count(rows.rows[p].id)) from->push_back(rows.rows[p].id);
        return predict_cost(points.at(*g), error, fallback) / error;
    };
    const double gb = below ? gain_of(below) : 0, ga = above ? gain_of(above) : 0;
    if (!below) return ga;
    if (!above) return gb;
    const double t = static_cast<double>(here.layer - layer_below) / static_cast<double>(layer_above - layer_below);
    if (gb > 0 && ga > 0) return std::exp(std::log(gb) + t * (std::log(ga) - std::log(gb)));
    return gb + t * (ga - gb);
}

// Every candidate without a measurement, its costs predicted from its group's measured ones, or
// where the group has none, from its role's nearest measured layers.
std::map<std::string, Findings> predict(const Rows& rows, const std::map<std::string, Findings>& measured) {
    std::map<std::string, Findings> out;
    for (const char* key : kPredictedKeys) {
        std::map<std::string, GainPoints> points;  // per group
        std::vector<double> gains;
        for (const auto& row : rows.rows) {
            const auto m = measured.find(row.id);
            if (m == measured.end() || !m->second.contains(key) || !(row.error > 0)) continue;
            points[row.group].emplace_back(row.error, m->second.at(key).get<double>());
            gains.push_back(points[row.group].back().second / row.error);
        }
        const double fallback = median(gains);  // a role none of whose groups is measured
        for (const auto& row : rows.rows) {
            if (measured.count(row.id)) continue;
            auto [it, added] = out.try_emplace(row.id, row.free);
            Findings from = Findings::array();  // said once, with the first key
            double cost = 0;
            if (const auto g = points.find(row.group); g != points.end()) {
                cost = predict_cost(g->second, row.error, fallback);
                if (added)
                    for (size_t p : rows.by_group.at(row.group))
                        if (measured.count(rows.rows[p].id)) from.push_back(rows.rows[p].id);
            } else if (row.error > 0) {
                cost = borrowed_gain(rows, points, row.group, row.error, fallback, measured, added ? &from : nullptr) * row.error;
            }
            if (added) it->second["predicted"] = {{"from", from}, {"error", row.error}, {"error_key", rows.error_key}};
            it->second[key] = cost;
        }
    }
    return out;
}

// The plans' sizes: study.plan_bpw, or 5 from the smallest to the largest reachable in geometric steps.
std::vector<uint64_t> plan_budgets(const Study& study, const Planner& planner, const std::filesystem::path& output) {
    std::vector<uint64_t> out;
    if (!study.adaptive.plan_bpw.empty()) {
        for (double bpw : study.adaptive.plan_bpw) {
            PlanRequest at;
            at.target_bpw = bpw;
            out.push_back(planner.budget_of(at));
        }
        return out;
    }
    const uint64_t lo = planner.smallest_plan_bytes(output), hi = std::max(lo, planner.largest());
    for (int k = 0; k < 5; ++k) out.push_back(static_cast<uint64_t>(static_cast<double>(lo) * std::pow(static_cast<double>(hi) / static_cast<double>(lo), k / 4.0)));
    return out;
}

// What to measure next: the predicted candidates the plans choose; when there are none, the
// predicted candidates next to a choice (the group's treatments nearest in bytes above and below
// it). Each plan's largest predicted cost first, the plans taken in turn (a small budget's plan,
// which takes the smallest type everywhere, does not crowd out the others). Skips `tried`.
std::vector<std::string> decisive_candidates(const Study& study, const StageCatalog& catalog, const Rows& rows,
                                             const std::map<std::string, Findings>& predicted, const std::set<std::string>& tried) {
    PlanRequest request;
    request.study_dir = study.out;
    request.input = study.input;
    const Planner planner(request, catalog);
    const auto output = study.out / "adaptive-plan.gguf";  // named in the plans' recipes only
    const uint64_t smallest = planner.smallest_plan_bytes(output);
    std::vector<std::vector<std::string>> chosen, near;  // per plan
    const auto wanted = [&](const std::string& id) { return predicted.count(id) && !tried.count(id); };
    for (uint64_t budget : plan_budgets(study, planner, output)) {
        if (budget < smallest) {
            spdlog::warn("adaptive study: no plan fits {} bytes (the smallest reachable is {}); that size decides nothing", budget, smallest);
            continue;
        }
        chosen.emplace_back();
        near.emplace_back();
        for (const GroupChoice& g : planner.plan(budget, output).groups) {
            const auto& positions = rows.by_group.at(g.group);
            uint64_t bytes = positions.empty() ? 0 : rows.rows[positions.front()].free.at("bytes_before").get<uint64_t>();
            if (g.treatment) {
                const std::string id = g.group + "@" + study.treatments[*g.treatment].name;
                if (wanted(id)) chosen.back().push_back(id);
                for (size_t p : positions)
                    if (rows.rows[p].id == id) bytes = rows.rows[p].bytes;
            }
            const CandidateRow *above = nullptr, *below = nullptr;
            for (size_t p : positions) {
                const CandidateRow& row = rows.rows[p];
                if (row.bytes > bytes && (!above || row.bytes < above->bytes)) above = &row;
                if (row.bytes < bytes && (!below || row.bytes > below->bytes)) below = &row;
            }
            for (const CandidateRow* n : {above, below})
                if (n && wanted(n->id)) near.back().push_back(n->id);
        }
    }
    const bool any_chosen = std::any_of(chosen.begin(), chosen.end(), [](const auto& plan) { return !plan.empty(); });
    auto& lists = any_chosen ? chosen : near;
    const auto cost = [&](const std::string& id) { return predicted.at(id).at("kld_mean").get<double>(); };
    size_t longest = 0;
    for (auto& list : lists) {
        std::stable_sort(list.begin(), list.end(), [&](const std::string& a, const std::string& b) { return cost(a) > cost(b); });
        longest = std::max(longest, list.size());
    }
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (size_t k = 0; k < longest; ++k)
        for (const auto& list : lists)
            if (k < list.size() && seen.insert(list[k]).second) out.push_back(list[k]);
    return out;
}

}  // namespace

size_t adaptive_budget(const Study& study, size_t candidates) {
    return static_cast<size_t>(std::floor(study.adaptive.measure_budget * static_cast<double>(candidates) + 1e-9));
}

std::vector<std::string> study_groups(const std::vector<Candidate>& candidates) {
    std::vector<std::string> groups;
    for (const auto& c : candidates)
        if (groups.empty() || groups.back() != c.group) groups.push_back(c.group);
    return groups;
}

std::vector<std::string> calibration_groups(const std::vector<std::string>& groups, size_t budget, uint32_t layers_per_role) {
    if (layers_per_role == 0 && budget >= groups.size()) return groups;
    std::map<std::string, std::vector<std::pair<int, std::string>>> by_role;  // role → (layer, group)
    for (const auto& g : groups) {
        const GroupPlace place = place_of(g);
        if (place.layer >= 0) by_role[place.role].emplace_back(place.layer, g);
    }
    for (auto& [_, members] : by_role) std::sort(members.begin(), members.end());
    const auto pick = [&](size_t k) {  // k layers of each role, evenly spread
        std::set<std::string> chosen;
        for (const auto& g : groups)
            if (place_of(g).layer < 0) chosen.insert(g);
        for (const auto& [_, members] : by_role) {
            const size_t n = members.size();
            if (k >= n) {
                for (const auto& m : members) chosen.insert(m.second);
                continue;
            }
            for (size_t i = 0; i < k; ++i)
                chosen.insert(members[k == 1 ? (n - 1) / 2 : static_cast<size_t>(std::lround(static_cast<double>(i * (n - 1)) / static_cast<double>(k - 1)))].second);
        }
        std::vector<std::string> out;
        for (const auto& g : groups)
            if (chosen.count(g)) out.push_back(g);
        return out;
    };
    if (layers_per_role > 0) return pick(layers_per_role);
    size_t k = 2;  // grows while one more layer per role fits half the budget and adds a group
    for (auto wider = pick(k + 1); wider.size() <= budget / 2 && wider.size() > pick(k).size(); wider = pick(k + 1)) ++k;
    return pick(k);
}

AdaptiveSummary run_adaptive_study(const Study& study, const StageCatalog& catalog, const SweepOptions& options) {
    AdaptiveSummary s;
    std::vector<std::string> calibrated;
    {  // the budget checked before any work
        const auto candidates = plan_candidates(study, GgufFile::open(study.input));
        std::set<std::string> groups;
        for (const auto& c : candidates) groups.insert(c.group);
        s.candidates = candidates.size();
        s.groups = groups.size();
        s.budget = adaptive_budget(study, s.candidates);
        calibrated = calibration_groups(study_groups(candidates), s.budget, study.adaptive.calibrate_layers);
        if (s.budget < calibrated.size())
            throw Error(fmt::format("study.measure_budget {} allows {} of the {} candidates: fewer than the {} groups the predictor's calibration "
                                    "measures ({}); give at least {:.3g}",
                                    study.adaptive.measure_budget, s.budget, s.candidates, calibrated.size(),
                                    calibrated.size() == s.groups ? "one per group" : "a few layers of each role",
                                    std::ceil(1000.0 * static_cast<double>(calibrated.size()) / static_cast<double>(s.candidates)) / 1000));
        s.calibrated = calibrated.size();
    }
    SweepSession session(study, options);
    spdlog::info("adaptive study: the model-free error of every candidate ({})", s.candidates);
    const Rows rows = read_rows(session.model_free_results());
    s.calibration = calibration_treatment(study, rows);
    std::map<std::string, Findings> measured = session.finished_results();
    std::set<std::string> tried;  // measured in this run (a failure is not measured twice)
    SweepSummary evaluated;
    const auto measure = [&](const std::vector<std::string>& ids) {
        std::vector<std::string> todo;
        for (const auto& id : ids)
            if (!measured.count(id) && tried.insert(id).second) todo.push_back(id);
        if (todo.empty()) return;
        evaluated += session.evaluate(todo);
        measured = session.finished_results();
    };
    spdlog::info("adaptive study: calibrating at {}: one candidate in each of {} of the {} groups", s.calibration, s.calibrated, s.groups);
    measure(calibration_candidates(study, rows, calibrated, s.calibration));

    std::vector<std::pair<double, double>> checks;  // predicted, then measured kld_mean
    Findings check_list = Findings::array();
    std::map<std::string, Findings> predicted;
    while (true) {
        predicted = predict(rows, measured);
        session.merge(evaluated, predicted, /*reports=*/false);  // the planner reads results.jsonl
        const size_t left = s.budget > measured.size() ? s.budget - measured.size() : 0;
        std::vector<std::string> next = decisive_candidates(study, catalog, rows, predicted, tried);
        if (next.empty()) {
            s.settled = true;
            break;
        }
        if (left == 0) break;
        // At most half of what is left per round (one at least): the next round plans with
        // the gains these measurements correct.
        next.resize(std::min(next.size(), std::max<size_t>(1, (left + 1) / 2)));
        spdlog::info("adaptive study, round {}: measuring {} candidate(s) the plans choose or stand next to ({} of the budget left)", s.rounds + 1,
                     next.size(), left);
        measure(next);
        for (const auto& id : next)
            if (const auto m = measured.find(id); m != measured.end() && m->second.contains("kld_mean")) {
                const double p = predicted.at(id).at("kld_mean").get<double>(), got = m->second.at("kld_mean").get<double>();
                checks.emplace_back(p, got);
                check_list.push_back({{"candidate", id}, {"predicted", p}, {"measured", got}});
            }
        ++s.rounds;
    }
    s.sweep = session.merge(evaluated, predicted, /*reports=*/true);
    s.measured = measured.size();
    s.checked = checks.size();
    if (checks.size() >= 3) {
        std::vector<double> p, m, factors;
        for (const auto& [a, b] : checks) {
            p.push_back(a);
            m.push_back(b);
            if (a > 0 && b > 0) factors.push_back(std::exp(std::abs(std::log(a / b))));
        }
        s.rho = spearman(p, m);
        s.median_factor = median(factors);
    }
    const Findings report = {{"candidates", s.candidates}, {"groups", s.groups}, {"measure_budget", study.adaptive.measure_budget},
                             {"budget", s.budget}, {"measured", s.measured}, {"predicted", s.candidates - s.measured},
                             {"calibration", s.calibration}, {"calibrated_groups", s.calibrated}, {"error_key", rows.error_key}, {"rounds", s.rounds}, {"settled", s.settled},
                             {"held_out", {{"checked", s.checked}, {"rho", s.rho}, {"median_factor", s.median_factor}, {"candidates", check_list}}}};
    write_text_atomically(study.out / "adaptive.json", report.dump(1) + "\n");
    return s;
}

}  // namespace qframe::plan
