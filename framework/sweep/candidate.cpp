#include "candidate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <numeric>
#include <optional>

#include "qframe/codec.hpp"
#include "qframe/engine/model.hpp"
#include "qframe/error.hpp"
#include "qframe/tensor_view.hpp"
#include "qframe/runner.hpp"

namespace qframe::sweep {
namespace {

// The group's tensors after the treatment, and what that cost in bytes and values.
struct Treated {
    std::vector<std::string> names;
    Findings skip_reasons = Findings::object();
    Findings rel_l2 = Findings::object();  // per treated tensor
    double err2 = 0, ref2 = 0;             // summed over the group: its relative L2 error
    // The error under the importance matrix's activation statistics (each column's error times
    // its input's mean square: E‖ΔW·x‖² without the columns' correlations); weighed: all had one.
    double err2_weighted = 0;
    bool weighed = true;
    uint64_t bytes_before = 0, bytes_after = 0;
    std::map<std::string, uint64_t> tensor_bytes_after;  // per tensor: a plan's exact file size
    std::map<std::string, std::string> tensor_type_after;  // per tensor: a plan's general.file_type
    std::map<std::string, engine::TensorData, std::less<>> replaced;
};

// A tensor the treatment cannot take (rows that do not fit its blocks, say) keeps its baseline
// bytes and is listed with the reason.
void treat(const Models& models, const TensorInfo& source, const TensorInfo& base, const TreatmentRun& treatment, Treated& out) {
    out.names.push_back(source.name);
    out.bytes_before += base.n_bytes;
    QuantizedTensor q;
    try {
        TensorData view = tensor_view(source, &models.input_info);
        std::string key_text = treatment.text + "\n" + models.input_header_key;  // a stage may choose by the whole model (a mix does)
        if (const auto it = models.importance.find(source.name); it != models.importance.end()) {
            view.importance = it->second;
            key_text += "\nimportance " + models.importance_digests.find(source.name)->second;
        }
        q = models.bank.get(TensorBank::key(view, key_text), [&] { return treatment.quantizer.quantize(view); });
        checked_result_type(view, q);
    } catch (const Error& e) {
        out.skip_reasons[source.name] = e.what();
        out.bytes_after += base.n_bytes;
        out.tensor_bytes_after[source.name] = base.n_bytes;
        out.tensor_type_after[source.name] = std::string(base.type_name());
        return;
    }
    // Relative L2 error against the source values: a proxy that needs no model run. In slices of
    // rows, so that an 8B model's largest matrices cost megabytes here, not gigabytes.
    if (!source.type || !can_decode(source.type->type))
        throw Error(fmt::format("tensor '{}' has type {}, which qframe cannot decode", source.name, source.type_name()));
    const auto importance = models.importance.find(source.name);
    // importance: [matrix][column]; the values: [matrix][row][column].
    const uint64_t cols = source.row_length(), rows = source.n_values / cols, per_matrix = cols * (source.dims.size() > 1 ? source.dims[1] : 1);
    const uint64_t source_row = *byte_size(*source.type, cols), treated_row = *byte_size(*find_type(static_cast<uint32_t>(q.type)), cols);
    const uint64_t slice_rows = std::max<uint64_t>(1, (uint64_t(1) << 20) / cols);
    std::vector<float> ref, got;
    double err2 = 0, ref2 = 0;
    for (uint64_t r0 = 0; r0 < rows; r0 += slice_rows) {
        const uint64_t n = std::min(slice_rows, rows - r0);
        ref.resize(n * cols);
        got.resize(n * cols);
        decode(source.type->type, source.data.subspan(r0 * source_row, n * source_row), ref);
        decode(q.type, std::span<const std::byte>(q.bytes).subspan(r0 * treated_row, n * treated_row), got);
        for (size_t i = 0; i < ref.size(); ++i) {
            const double d = static_cast<double>(got[i]) - ref[i];
            err2 += d * d;
            ref2 += static_cast<double>(ref[i]) * ref[i];
            if (importance != models.importance.end()) {
                const uint64_t at = r0 * cols + i;
                out.err2_weighted += importance->second[(at / per_matrix) * cols + at % cols] * d * d;
            }
        }
    }
    if (importance == models.importance.end()) out.weighed = false;
    out.rel_l2[source.name] = ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0;
    out.err2 += err2;
    out.ref2 += ref2;
    out.bytes_after += q.bytes.size();
    out.tensor_bytes_after[source.name] = q.bytes.size();
    out.tensor_type_after[source.name] = std::string(type_name(q.type));
    auto owned = std::make_shared<const std::vector<std::byte>>(std::move(q.bytes));
    out.replaced[source.name] = engine::TensorData{q.type, source.dims, *owned, owned};
}

// The first layer whose input the treated tensors change: a pass can start there from the
// baseline's stream.
uint32_t first_changed_layer(const Treated& t, uint32_t n_layer) {
    uint32_t first = n_layer;
    for (const auto& [name, data] : t.replaced) first = std::min(first, sweep::first_changed_layer(std::string_view(name), n_layer));
    return first;
}

// The standard error of the chunks' mean KLD relative to it: the chunks as samples (tokens of one
// chunk are not independent draws, chunks nearly are). 0 for fewer than 2 chunks or no KLD.
double relative_standard_error(const std::vector<double>& chunk_klds) {
    const double c = static_cast<double>(chunk_klds.size());
    if (chunk_klds.size() < 2) return 0;
    const double mean = std::accumulate(chunk_klds.begin(), chunk_klds.end(), 0.0) / c;
    double var = 0;
    for (double k : chunk_klds) var += (k - mean) * (k - mean);
    var /= c - 1;
    return mean > 0 ? std::sqrt(var / c) / mean : 0;
}

// Whether a candidate may stop after these chunks: at least kMinChunks scored (fewer say little
// of the spread) and the mean's relative standard error at most `target` (0: never stop).
constexpr size_t kMinChunks = 4;
bool known_well_enough(const std::vector<double>& chunk_klds, double target) {
    return target > 0 && chunk_klds.size() >= kMinChunks && relative_standard_error(chunk_klds) <= target;
}

// The change's tensors treated, and what that cost before any model run.
Treated treat_change(const Change& change, const Models& models) {
    Treated t;
    for (const auto& [i, treatment] : change) {
        const TensorInfo& source = models.input.tensors()[i];
        const TensorInfo* base = models.baseline.find_tensor(source.name);
        if (!base) throw Error(fmt::format("the baseline model has no tensor '{}'", source.name));
        treat(models, source, *base, *treatment, t);
    }
    return t;
}

Findings model_free_keys(const Treated& t) {
    Findings out = Findings::object();
    out["tensors"] = t.names;
    out["bytes_before"] = t.bytes_before;
    out["bytes_after"] = t.bytes_after;
    out["bytes_after_per_tensor"] = t.tensor_bytes_after;
    out["type_after_per_tensor"] = t.tensor_type_after;
    out["rel_l2"] = t.ref2 > 0 ? std::sqrt(t.err2 / t.ref2) : 0.0;
    out["rel_l2_per_tensor"] = t.rel_l2;
    // The expected output error E‖ΔW·x‖² per token, summed over the group's tensors.
    if (t.weighed && !t.names.empty()) out["output_err2"] = t.err2_weighted;
    if (!t.skip_reasons.empty()) out["skipped"] = t.skip_reasons;
    return out;
}

}  // namespace

Findings evaluate_candidate(const Candidate& candidate, const TreatmentRun& treatment, const Models& models, unsigned threads, double stop_rel_error) {
    Change change;
    for (size_t i : candidate.tensors) change.emplace_back(i, &treatment);
    Findings out = {{"group", candidate.group}, {"treatment", candidate.treatment_name}};
    out.update(evaluate_change(change, models, threads, stop_rel_error));
    return out;
}

Findings model_free_findings(const Change& change, const Models& models) { return model_free_keys(treat_change(change, models)); }

Findings evaluate_change(const Change& change, const Models& models, unsigned threads, double stop_rel_error,
                         const std::function<void(const engine::Model&)>& with_model) {
    const Treated t = treat_change(change, models);
    Findings out = model_free_keys(t);

    const Baseline& b = models.scores;
    const uint64_t per_chunk = b.plan.scored_per_chunk();
    uint32_t chunks = b.plan.n_chunks;  // scored: fewer when the candidate stops early
    std::vector<double> klds, chunk_klds;  // per scored token; per chunk, their mean
    klds.reserve(chunks * per_chunk);
    uint64_t top1_same = 0;
    double sum_diff = 0, sum_diff2 = 0, nll_sum = 0;
    std::optional<engine::Model> changed;
    if (t.replaced.empty()) {
        klds.assign(chunks * per_chunk, 0.0);  // nothing changed: the baseline itself
        top1_same = klds.size();
        nll_sum = std::accumulate(b.nll.begin(), b.nll.end(), 0.0);
    } else {
        const auto source = [&](std::string_view name) -> std::optional<engine::TensorData> {
            const auto it = t.replaced.find(name);
            if (it == t.replaced.end()) return std::nullopt;
            return it->second;
        };
        changed = engine::Model::load(models.baseline, source);
        const engine::Model& model = *changed;
        // One batch per chunk, as the baseline's pass: the same arithmetic, so an unchanged model
        // scores exactly zero and a restarted pass is the full pass.
        engine::Context context(model, b.plan.n_ctx, threads, b.plan.n_ctx, b.numerics);
        const uint32_t first = b.streams.empty() ? 0 : b.resume_layer(first_changed_layer(t, b.n_layer));
        std::vector<double> row;
        std::vector<float> lq(b.n_vocab);
        for (uint32_t i = 0; i < chunks; ++i) {
            context.reset();
            const auto tokens = b.plan.chunk(i);
            const auto logits = engine::scored_rows(first > 0 ? context.eval_from_layer(tokens, first, b.stream(i, first)) : context.eval(tokens, true), b.plan);
            for (uint64_t k = 0; k < per_chunk; ++k) {
                engine::log_softmax({logits.data() + k * b.n_vocab, b.n_vocab}, row);
                // Rounded as the baseline's were, so an unchanged model scores exactly zero.
                for (uint32_t v = 0; v < b.n_vocab; ++v) lq[v] = static_cast<float>(row[v]);
                const uint64_t position = i * per_chunk + k;
                const auto q_top = std::max_element(lq.begin(), lq.end()) - lq.begin();
                if (b.compact) {
                    klds.push_back(b.compact->kl_divergence(position, lq));
                    top1_same += b.compact->most_likely(position) == q_top;
                } else {
                    const auto lp = b.row(i, k);
                    klds.push_back(engine::kl_divergence<float, float>(lp, lq));
                    top1_same += std::max_element(lp.begin(), lp.end()) - lp.begin() == q_top;
                }
                const double nll = -static_cast<double>(lq[b.plan.next_token(i, b.plan.first_scored() + k)]);
                const double diff = nll - b.nll[position];
                nll_sum += nll;
                sum_diff += diff;
                sum_diff2 += diff * diff;
            }
            chunk_klds.push_back(std::accumulate(klds.end() - static_cast<std::ptrdiff_t>(per_chunk), klds.end(), 0.0) / static_cast<double>(per_chunk));
            if (i + 1 < chunks && known_well_enough(chunk_klds, stop_rel_error)) chunks = i + 1;
        }
    }
    if (with_model) with_model(changed ? *changed : engine::Model::load(models.baseline));
    const uint64_t n = klds.size();
    const double kld_sum = std::accumulate(klds.begin(), klds.end(), 0.0);
    std::sort(klds.begin(), klds.end());
    const double count = static_cast<double>(n);
    const double ppl = std::exp(nll_sum / count);
    // The baseline's perplexity on the chunks scored.
    const double ppl_baseline = chunks == b.plan.n_chunks ? b.ppl : std::exp(std::accumulate(b.nll.begin(), b.nll.begin() + static_cast<std::ptrdiff_t>(n), 0.0) / count);
    // The paired per-token differences give the ±: ppl ≈ ppl_baseline · exp(mean diff), so its
    // standard error is ppl · sd(diff) / sqrt(n).
    const double mean_diff = sum_diff / count;
    const double var_diff = n > 1 ? std::max(0.0, (sum_diff2 - count * mean_diff * mean_diff) / (count - 1)) : 0.0;
    out["kld_mean"] = kld_sum / count;
    out["kld_p99"] = engine::percentile(klds, 0.99);
    out["kld_p999"] = engine::percentile(klds, 0.999);
    out["kld_max"] = klds.back();
    out["top1_agreement"] = static_cast<double>(top1_same) / count;
    out["ppl"] = ppl;
    out["ppl_baseline"] = ppl_baseline;
    out["dppl"] = ppl - ppl_baseline;
    out["dppl_err"] = ppl * std::sqrt(var_diff / count);
    out["scored_tokens"] = n;
    if (stop_rel_error > 0) {
        out["chunks_scored"] = chunks;
        out["kld_rel_error"] = relative_standard_error(chunk_klds);
    }
    return out;
}

uint32_t first_changed_layer(std::string_view tensor_name, uint32_t n_layer) {
    const int layer = tensor_layer(tensor_name);
    if (layer >= 0) return std::min(n_layer, static_cast<uint32_t>(layer));
    return tensor_name == "output.weight" || tensor_name == "output_norm.weight" ? n_layer : 0;
}

std::vector<uint32_t> resume_layers(const GgufFile& model, const std::vector<Candidate>& candidates) {
    const uint32_t n_layer = block_count(model.metadata());
    std::set<uint32_t> layers;
    for (const auto& c : candidates) {
        uint32_t first = n_layer;
        for (size_t i : c.tensors) first = std::min(first, first_changed_layer(model.tensors()[i].name, n_layer));
        if (first > 0) layers.insert(first);
    }
    return {layers.begin(), layers.end()};
}

}  // namespace qframe::sweep
