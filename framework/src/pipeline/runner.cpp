#include "qframe/runner.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <unordered_map>

#include "pipeline/selection.hpp"
#include "qframe/catalog.hpp"
#include "qframe/error.hpp"
#include "qframe/tensor_view.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/parallel.hpp"
#include "qframe/provenance.hpp"
#include "qframe/sha256.hpp"

namespace qframe {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A tensor's current state: the input's bytes until a quantizer replaces them.
struct TensorState {
    const TensorInfo* original;
    const ModelInfo* model;  // the input model, as stages see it
    uint32_t type_id;
    const TypeInfo* type;
    std::span<const std::byte> bytes;
    std::shared_ptr<const std::vector<std::byte>> owned;

    TensorData view() const { return {original->name, type_id, type, original->dims, bytes, model}; }
    TensorData original_view() const { return tensor_view(*original, model); }
    bool rewritten() const { return owned != nullptr; }
};

// A stage's objects, created before any stage runs so that a bad option value (a regex that
// does not compile, say) fails the run up front with its recipe location.
struct StageInstances {
    Selection selection;
    std::shared_ptr<Stage> stage;  // implements the interface of the stage's kind
};

StageInstances instantiate(const PlannedStage& stage) {
    Selection selection(stage.selectors);
    if (stage.call.stage->kind == StageKind::Selector)
        throw Error(fmt::format("{}: a selector cannot be a stage of its own", stage.call.where));
    return {std::move(selection), make_call(stage.call)};
}

// Every failure inside a plugin is reported with the plugin, the stage and the tensor.
struct StageFailure : Error {
    using Error::Error;
};

// `subject` says what the stage was working on: "tensor 'blk.0.ffn_up.weight'", "the whole model".
[[noreturn]] void stage_failed(const PlannedStage& s, const std::string& subject, const std::string& what) {
    const auto& d = *s.call.stage;
    throw StageFailure(fmt::format("stage {} ({} from plugin '{}', {}) failed on {}: {}", s.label, to_string(d.kind), d.plugin,
                                   d.file.filename().string(), subject, what));
}

std::string tensor_subject(const std::string& name) { return fmt::format("tensor '{}'", name); }

// Tensor name → position in the file, built once: model evaluators look up every tensor.
using TensorIndex = std::unordered_map<std::string_view, size_t>;

// The input model (original = true) or the pipeline's current state of it, for model evaluators.
class StateView : public ModelView {
public:
    StateView(const GgufFile& file, const std::vector<TensorState>& states, const TensorIndex& index, bool original)
        : file_(file), states_(states), index_(index), original_(original), path_(file.display_name()) {}
    const Metadata& metadata() const override { return file_.metadata(); }
    std::vector<std::string> tensor_names() const override {
        std::vector<std::string> names;
        for (const auto& s : states_) names.push_back(s.original->name);
        return names;
    }
    std::optional<TensorData> tensor(std::string_view name) const override {
        const auto it = index_.find(name);
        if (it == index_.end()) return std::nullopt;
        const TensorState& s = states_[it->second];
        return original_ ? s.original_view() : s.view();
    }
    const std::filesystem::path& source() const override { return path_; }

private:
    const GgufFile& file_;
    const std::vector<TensorState>& states_;
    const TensorIndex& index_;
    bool original_;
    std::filesystem::path path_;
};

class Runner {
public:
    Runner(const Plan& plan, const RunOptions& options) : plan_(plan), options_(options), input_(GgufFile::open(plan.input)), model_info_(input_) {
        states_.reserve(input_.tensors().size());
        for (const auto& t : input_.tensors()) {
            index_.emplace(t.name, states_.size());
            states_.push_back({&t, &model_info_.info, t.type_id, t.type, t.data, nullptr});
        }
        for (const auto& stage : plan.stages) instances_.push_back(instantiate(stage));
    }

    RunResult run() {
        const auto start = Clock::now();
        RunResult result;
        result.plan = &plan_;
        result.input = {plan_.input, input_.file_size(), {}};
        // Read through a buffer, not the mapping: hashing must not make the model resident.
        std::future<std::string> input_hash;
        if (options_.hash && !options_.dry_run)
            input_hash = std::async(std::launch::async, [path = plan_.input] { return sha256_file(path); });
        for (size_t i = 0; i < plan_.stages.size(); ++i) result.stages.push_back(run_stage(plan_.stages[i], instances_[i]));
        if (options_.dry_run) return result;

        for (const auto& s : states_) {
            if (!s.rewritten()) continue;
            result.rewritten.push_back(s.original->name);
            const bool same = s.type_id == s.original->type_id && s.bytes.size() == s.original->data.size() &&
                              std::equal(s.bytes.begin(), s.bytes.end(), s.original->data.begin());
            if (!same) result.changed.push_back(s.original->name);
        }
        if (input_hash.valid()) result.input.sha256 = input_hash.get();
        if (!plan_.output.empty()) {
            const auto write_start = Clock::now();
            const std::string output_sha256 = write_output(result.input.sha256);
            result.write_seconds = seconds_since(write_start);
            result.output = {plan_.output, std::filesystem::file_size(plan_.output), output_sha256};
        }
        result.total_seconds = seconds_since(start);
        return result;
    }

private:
    std::vector<size_t> select(const PlannedStage& stage, const Selection& selection) {
        std::vector<size_t> out;
        for (size_t i = 0; i < states_.size(); ++i) {
            const bool candidate = stage.has_selection || !kind_info(stage.call.stage->kind).changed_by_default || states_[i].rewritten();
            if (candidate && selection.accepts(states_[i].view(), input_.metadata())) out.push_back(i);
        }
        return out;
    }

    StageResult run_stage(const PlannedStage& stage, const StageInstances& objects) {
        const auto start = Clock::now();
        StageResult result;
        result.planned = &stage;
        const Stage& object = *objects.stage;
        if (stage.call.stage->kind == StageKind::ModelEvaluator) {
            if (options_.dry_run) return result;
            evaluate_model(stage, static_cast<const ModelEvaluator&>(object), result);
            result.seconds = seconds_since(start);
            return result;
        }
        const auto chosen = select(stage, objects.selection);
        for (size_t i : chosen) result.selected.push_back(states_[i].original->name);
        if (chosen.empty()) {
            if (stage.require_match) throw Error(fmt::format("{}: stage {} selected no tensor (require_match: true)", stage.call.where, stage.label));
            spdlog::warn("stage {} selected no tensor", stage.label);
        }
        if (options_.dry_run) return result;
        spdlog::info("stage {}: {} tensor(s)", stage.label, chosen.size());

        result.findings.resize(chosen.size());
        switch (stage.call.stage->kind) {
            case StageKind::Analyzer: {
                const auto& analyzer = static_cast<const Analyzer&>(object);
                for_each(stage, chosen, result, [&](TensorState& s) { return analyzer.analyze(s.view()); });
                break;
            }
            case StageKind::Evaluator: {
                const auto& evaluator = static_cast<const Evaluator&>(object);
                for_each(stage, chosen, result, [&](TensorState& s) { return evaluator.evaluate(s.original_view(), s.view()); });
                break;
            }
            case StageKind::Quantizer: {
                const auto& quantizer = static_cast<const Quantizer&>(object);
                for_each(stage, chosen, result, [&](TensorState& s) { return apply(s, quantizer.quantize(s.view())); });
                break;
            }
            case StageKind::Selector:
            case StageKind::ModelEvaluator: break;  // refused by instantiate / handled above
        }
        result.seconds = seconds_since(start);
        return result;
    }

    void evaluate_model(const PlannedStage& stage, const ModelEvaluator& evaluator, StageResult& result) {
        spdlog::info("stage {}: the whole model", stage.label);
        const StateView original(input_, states_, index_, true), current(input_, states_, index_, false);
        ProgressFn progress;
        if (options_.progress) progress = [&](uint64_t done, uint64_t total) { options_.progress(stage.label, done, total); };
        try {
            result.findings.emplace_back("(model)", evaluator.evaluate(original, current, progress));
        } catch (const std::exception& e) {
            stage_failed(stage, "the whole model", e.what());
        }
    }

    template <class Fn>
    void for_each(const PlannedStage& stage, const std::vector<size_t>& chosen, StageResult& result, Fn fn) {
        std::atomic<size_t> done{0};
        parallel_for(chosen.size(), options_.threads, [&](size_t k) {
            TensorState& s = states_[chosen[k]];
            try {
                result.findings[k] = {s.original->name, fn(s)};
            } catch (const StageFailure&) {
                throw;
            } catch (const std::exception& e) {
                stage_failed(stage, tensor_subject(s.original->name), e.what());
            }
            if (options_.progress) options_.progress(stage.label, ++done, chosen.size());
        });
    }

    // Checks a quantizer's result against its declared type before it replaces the tensor.
    // (for_each reports a failed check as the stage's failure on this tensor.)
    static Findings apply(TensorState& s, QuantizedTensor q) {
        const TypeInfo& type = checked_result_type(s.original_view(), q);
        auto owned = std::make_shared<const std::vector<std::byte>>(std::move(q.bytes));
        s.type_id = static_cast<uint32_t>(q.type);
        s.type = &type;
        s.bytes = *owned;
        s.owned = std::move(owned);
        return std::move(q.findings);
    }

    // Returns the output's SHA-256 (empty without options_.hash).
    std::string write_output(const std::string& input_sha256) {
        std::vector<OutputTensor> tensors;
        std::vector<NamedTensorType> after;
        for (const auto& s : states_) after.push_back({s.original->name, s.type_id});
        for (const auto& s : states_) {
            if (!s.rewritten()) {
                tensors.push_back(pass_through(input_, *s.original));
                continue;
            }
            auto bytes = s.bytes;
            auto keep_alive = s.owned;
            tensors.push_back({s.original->name, s.type_id, s.original->dims, bytes.size(),
                               [bytes, keep_alive](std::vector<std::byte>&) { return bytes; }, {}, {}});
        }
        spdlog::info("writing {}", plan_.output.string());
        if (plan_.output.has_parent_path()) std::filesystem::create_directories(plan_.output.parent_path());
        WriteOptions write_options{{plan_.input}, {}, options_.hash};
        if (options_.progress)
            write_options.progress = [this](uint64_t done, uint64_t total) { options_.progress("write", done, total); };
        const Provenance provenance{plan_.name, plan_.recipe_text, plan_.overrides, plan_.input.filename().string(), input_sha256};
        return write_gguf(plan_.output, output_layout(input_, after, provenance), tensors, write_options);
    }

    const Plan& plan_;
    RunOptions options_;
    GgufFile input_;
    FileModelInfo model_info_;
    std::vector<TensorState> states_;
    TensorIndex index_;
    std::vector<StageInstances> instances_;
};

}  // namespace

const TypeInfo& checked_result_type(const TensorData& source, const QuantizedTensor& result) {
    const TypeInfo* type = find_type(static_cast<uint32_t>(result.type));
    if (!type) throw Error(fmt::format("returned unknown type id {}", static_cast<uint32_t>(result.type)));
    if (source.row_length() % type->block_size != 0)
        throw Error(fmt::format("returned type {} but the row length {} is not a multiple of its block size {}", type->name,
                                source.row_length(), type->block_size));
    const uint64_t expected = *byte_size(*type, source.n_values());
    if (result.bytes.size() != expected)
        throw Error(fmt::format("returned {} bytes for {} {} values; {} expected", result.bytes.size(), source.n_values(), type->name, expected));
    return *type;
}

RunResult run_plan(const Plan& plan, const RunOptions& options) { return Runner(plan, options).run(); }

}  // namespace qframe
