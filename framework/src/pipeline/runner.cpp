#include "qframe/runner.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <unordered_map>

#include "file_named.hpp"
#include "pipeline/selection.hpp"
#include "pipeline/stream_plan.hpp"
#include "pipeline/streamed_output.hpp"
#include "pipeline/written_tensors.hpp"
#include "qframe/catalog.hpp"
#include "qframe/digest_cache.hpp"
#include "qframe/error.hpp"
#include "qframe/importance.hpp"
#include "qframe/output_lock.hpp"
#include "qframe/tensor_view.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/parallel.hpp"
#include "qframe/provenance.hpp"
#include "qframe/sha256.hpp"

namespace qframe {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A tensor's current state: the input's bytes until a quantizer replaces them; then bytes in the
// spill file or in the output (written_tensors.hpp), read back through their mappings.
struct TensorState {
    const TensorInfo* original;
    const ModelInfo* model;  // the input model, as stages see it
    uint32_t type_id;
    const TypeInfo* type;
    std::span<const std::byte> bytes;
    std::span<const float> importance{};  // the run's importance matrix's weights for it; empty: none
    bool in_spill = false;  // rewritten before the last quantizing stage
    bool rewritten = false;
    bool changed = false;   // type or bytes differ from the input's

    TensorData view() const { return {original->name, type_id, type, original->dims, bytes, model, importance}; }
    TensorData original_view() const {
        TensorData t = tensor_view(*original, model);
        t.importance = importance;
        return t;
    }
    // What a quantizer returned replaces the bytes, already written to the spill file or the output.
    void replace(const QuantizedTensor& q, const TypeInfo& result_type, std::span<const std::byte> written, bool written_to_spill) {
        changed = q.type != static_cast<TensorType>(original->type_id) || q.bytes.size() != original->data.size() ||
                  !std::equal(q.bytes.begin(), q.bytes.end(), original->data.begin());
        type_id = static_cast<uint32_t>(q.type);
        type = &result_type;
        bytes = written;
        in_spill = written_to_spill;
        rewritten = true;
    }
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

// The folder itself, or the nearest of its parents that exists (where it would be created).
std::filesystem::path existing_folder(std::filesystem::path folder) {
    folder = std::filesystem::absolute(folder);
    while (!std::filesystem::exists(folder) && folder.has_relative_path()) folder = folder.parent_path();
    return folder;
}

// Throws qframe::Error when files cannot be written into `folder` (created later, when needed).
void check_writable_folder(const std::filesystem::path& folder) {
    const auto existing = existing_folder(folder);
    if (!std::filesystem::is_directory(existing)) throw Error(fmt::format("{}: cannot create this folder: {} is a file", folder.string(), existing.string()));
    if (::access(existing.c_str(), W_OK | X_OK) != 0) throw Error(fmt::format("{}: cannot write into {}: {}", folder.string(), existing.string(), std::strerror(errno)));
}

void check_writable_file(const std::filesystem::path& file) {
    if (std::filesystem::is_directory(file))
        throw Error(fmt::format("{}: is a folder; the output is a file (e.g. {})", file.string(), (file / "model.gguf").string()));
    check_writable_folder(file.has_parent_path() ? file.parent_path() : std::filesystem::path("."));
}

// Every failure inside a plugin is reported with the plugin, the stage and the tensor.
struct StageFailure : Error {
    using Error::Error;
};

// `subject` says what the stage was working on: "tensor 'blk.0.ffn_up.weight'", "the whole model";
// the message starts with the input file (unless it names it already): a recipe runs on many models.
[[noreturn]] void stage_failed(const PlannedStage& s, const std::string& input_file, const std::string& subject, const std::string& what) {
    const auto& d = *s.call.stage;
    throw StageFailure(file_named(input_file, fmt::format("stage {} ({} from plugin '{}', {}) failed on {}: {}", s.label, to_string(d.kind),
                                                          d.plugin, d.file.filename().string(), subject, what)));
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

// A quantizer's own importance matrix (a stage's `imatrix:`): its weights and the model as its
// quantizer sees it (has_importance for llama.cpp's mix rules).
struct StageWeights {
    TensorImportance importance;
    ModelInfo info;
    StageWeights(const ImportanceChoice& choice, const GgufFile& input, const ModelInfo& run_info) : info(run_info) {
        const ImportanceMatrix im = read_chosen(choice);
        importance = importance_for(im, input, choice.file);
        info.has_importance = !im.entries.empty();
    }
};

class Runner {
public:
    Runner(const Plan& plan, const RunOptions& options) : plan_(plan), options_(options), input_(GgufFile::open(plan.input)), model_info_(input_) {
        states_.reserve(input_.tensors().size());
        metadata_ = plan_.metadata;
        // The importance matrix is read and matched to the model before any stage works.
        if (!plan_.imatrix.file.empty()) use_importance(read_chosen(plan_.imatrix));
        for (const auto& t : input_.tensors()) {
            index_.emplace(t.name, states_.size());
            states_.push_back({&t, &model_info_.info, t.type_id, t.type, t.data});
            if (const auto it = importance_.find(t.name); it != importance_.end()) states_.back().importance = it->second;
        }
        for (const auto& stage : plan.stages) {
            instances_.push_back(instantiate(stage));
            stage_weights_.push_back(stage.imatrix.file.empty() ? nullptr : std::make_unique<StageWeights>(stage.imatrix, input_, model_info_.info));
        }
        if (!plan_.report.empty() && !options_.dry_run) {
            check_writable_folder(plan_.report);
            for (const char* name : {"REPORT.md", "REPORT.json"}) refuse_overwriting(plan_.report / name, files_read());
        }
        // Where the run writes is checked before any stage works.
        if (writes_output()) {
            refuse_overwriting(plan_.output, files_read());
            check_writable_file(plan_.output);
            create_output_folder();  // the lock file goes there, and later the output
            output_lock_.emplace(plan_.output);  // one run per output at a time
            for (size_t i = 0; i < plan_.stages.size(); ++i)
                if (plan_.stages[i].call.stage->kind == StageKind::Quantizer) streamed_stage_ = i;
        }
    }

    RunResult run() {
        const auto start = Clock::now();
        RunResult result;
        result.plan = &plan_;
        result.input = {plan_.input, input_.file_size(), {}};
        if (options_.hash && !options_.dry_run) input_hash_ = std::async(std::launch::async, [this] { return input_sha256(); }).share();
        for (size_t i = 0; i < plan_.stages.size(); ++i) result.stages.push_back(run_stage(i, instances_[i]));
        if (options_.dry_run) {
            forecast(result);
            return result;
        }

        for (const auto& s : states_) {
            if (s.rewritten) result.rewritten.push_back(s.original->name);
            if (s.changed) result.changed.push_back(s.original->name);
        }
        if (input_hash_.valid()) result.input.sha256 = input_hash_.get();
        if (writes_output()) {
            const auto write_start = Clock::now();
            // Filled in once the file is complete, before it takes its name.
            const auto complete = [&](uint64_t bytes, const std::string& sha256) {
                result.write_seconds = seconds_since(write_start);
                result.output = {plan_.output, bytes, sha256};
                result.total_seconds = seconds_since(start);
                if (options_.before_output_published) options_.before_output_published(result);
            };
            finish_output(result.input.sha256, complete);
            return result;
        }
        result.total_seconds = seconds_since(start);
        return result;
    }

private:
    // The entries the plan keeps (imatrix include/exclude) weigh their tensors; the output says
    // so in llama-quantize's quantize.imatrix.* keys. With none left the run has no importance
    // matrix at all, as in llama-quantize.
    void use_importance(const ImportanceMatrix& im) {
        if (im.entries.empty()) {
            spdlog::warn("{}: no entry is left to weigh by (imatrix include/exclude): quantizing without an importance matrix", plan_.imatrix.file.string());
            return;
        }
        importance_ = importance_for(im, input_, plan_.imatrix.file);
        model_info_.info.has_importance = true;
        for (auto& [key, value] : importance_metadata(im, plan_.imatrix.file)) metadata_.push_back({key, value});
    }

    std::vector<size_t> select(const PlannedStage& stage, const Selection& selection) {
        std::vector<size_t> out;
        for (size_t i = 0; i < states_.size(); ++i) {
            const bool candidate = stage.has_selection || !kind_info(stage.call.stage->kind).changed_by_default || states_[i].rewritten;
            if (candidate && selection.accepts(states_[i].view(), input_.metadata())) out.push_back(i);
        }
        return out;
    }

    bool writes_output() const { return !plan_.output.empty() && !options_.dry_run; }

    // Every file the run reads: the model, the recipe, importance matrices, stages' file options
    // (an evaluation's text, say). No output may replace one of them.
    std::vector<std::filesystem::path> files_read() const {
        std::vector<std::filesystem::path> files{plan_.input, plan_.recipe_path, plan_.imatrix.file};
        for (const auto& stage : plan_.stages) {
            files.push_back(stage.imatrix.file);
            for (const StageCall* call : calls_of(stage))
                for (const OptionSpec& spec : call->stage->schema)
                    if (spec.kind == OptionKind::File && call->options.has(spec.name)) files.emplace_back(call->options.get_string(spec.name));
        }
        std::erase(files, std::filesystem::path());
        return files;
    }

    static std::vector<const StageCall*> calls_of(const PlannedStage& stage) {
        std::vector<const StageCall*> calls{&stage.call};
        for (const auto& s : stage.selectors) calls.push_back(&s);
        return calls;
    }

    // The tensor as `stage`'s quantizer sees it: with the stage's own importance matrix when it
    // names one, else the run's.
    TensorData quantizer_view(const PlannedStage& stage, const TensorState& s) const {
        TensorData view = s.view();
        if (const auto& own = stage_weights_[static_cast<size_t>(&stage - plan_.stages.data())]) {
            view.model = &own->info;
            const auto it = own->importance.find(view.name);
            view.importance = it == own->importance.end() ? std::span<const float>() : std::span<const float>(it->second);
        }
        return view;
    }

    // A dry run's quantizing stage: the types its quantizer says it would give, without encoding.
    void plan_types(const PlannedStage& stage, const Quantizer& quantizer, const std::vector<size_t>& chosen) {
        if (dry_types_.empty())
            for (const auto& s : states_) dry_types_.push_back(s.type_id);
        dry_rewritten_ = dry_rewritten_ || !chosen.empty();
        for (size_t i : chosen) {
            std::optional<TensorType> type;
            naming_failures(stage, states_[i], [&] { type = quantizer.planned_type(quantizer_view(stage, states_[i])); });
            dry_types_[i] = type ? std::optional(static_cast<uint32_t>(*type)) : std::nullopt;
        }
    }

    // The dry run's forecast: types, sizes and, when all are known, the output's exact size
    // (the header as the run would write it, with a stand-in of the input's digest).
    void forecast(RunResult& result) const {
        bool all_known = true;
        std::vector<OutputTensor> tensors;
        for (size_t i = 0; i < states_.size(); ++i) {
            const TensorInfo& t = *states_[i].original;
            PlannedTensor p{t.name, t.type_id, dry_types_.empty() ? std::optional(t.type_id) : dry_types_[i], {}};
            if (p.type_id) {
                if (const TypeInfo* type = find_type(*p.type_id)) p.bytes = byte_size(*type, t.n_values);
                else if (*p.type_id == t.type_id) p.bytes = t.n_bytes;
            }
            all_known = all_known && p.bytes;
            tensors.push_back({t.name, p.type_id.value_or(t.type_id), t.dims, p.bytes.value_or(0), {}, {}, {}});
            result.planned.push_back(std::move(p));
        }
        if (!all_known || plan_.output.empty()) return;
        const std::string digest_stand_in(options_.hash ? kSha256HexDigits : 0, '0');
        const GgufLayout out = layout(types_of(tensors), dry_rewritten_, digest_stand_in);
        uint64_t size = data_section_offset(out, tensors);
        const uint64_t alignment = data_alignment(out);
        for (const auto& t : tensors) size += (t.n_bytes + alignment - 1) / alignment * alignment;
        result.planned_output_bytes = size;
    }

    // From the digest cache when the input is unchanged since it was last hashed; else from the
    // mapping (reading through a buffer costs a copy of the whole file in system time). The
    // output's digest starts only once this one is known, since the header holds it.
    std::string input_sha256() const {
        const DigestCache cache(plan_.input);
        if (auto known = cache.get()) {
            spdlog::info("the input's SHA-256 from the digest cache ({})", cache.entry().string());
            return *known;
        }
        std::string digest;
        if (const auto mapping = input_.mapping()) {
            Sha256 sha;
            hash_releasing(sha, mapping->bytes());
            digest = sha.hex();
        } else {
            digest = sha256_file(plan_.input);
        }
        cache.put(digest);
        return digest;
    }

    StageResult run_stage(size_t index, const StageInstances& objects) {
        const PlannedStage& stage = plan_.stages[index];
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
        if (options_.dry_run) {
            if (stage.call.stage->kind == StageKind::Quantizer) plan_types(stage, static_cast<const Quantizer&>(object), chosen);
            return result;
        }
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
                if (index == streamed_stage_) {
                    stream(stage, quantizer, chosen, result);
                    break;
                }
                SpillFile& spill = spill_file();
                for_each(stage, chosen, result, [&](TensorState& s) {
                    QuantizedTensor q = quantizer.quantize(quantizer_view(stage, s));
                    const TypeInfo& type = checked_result_type(s.original_view(), q);
                    s.replace(q, type, spill.append(q.bytes), true);
                    return std::move(q.findings);
                });
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
            stage_failed(stage, input_.display_name(), "the whole model", e.what());
        }
    }

    template <class Fn>
    void for_each(const PlannedStage& stage, const std::vector<size_t>& chosen, StageResult& result, Fn fn) {
        std::atomic<size_t> done{0};
        parallel_for(chosen.size(), options_.threads, [&](size_t k) {
            TensorState& s = states_[chosen[k]];
            naming_failures(stage, s, [&] { result.findings[k] = {s.original->name, fn(s)}; });
            if (options_.progress) options_.progress(stage.label, ++done, chosen.size());
        });
    }

    // One tensor's work: a plugin's exception becomes a StageFailure naming the stage and tensor.
    template <class Step>
    void naming_failures(const PlannedStage& stage, const TensorState& s, Step step) {
        try {
            step();
        } catch (const StageFailure&) {
            throw;
        } catch (const std::exception& e) {
            stage_failed(stage, input_.display_name(), tensor_subject(s.original->name), e.what());
        }
    }

    // Where results go until the last quantizing stage: beside the output (its file system), or
    // in the temporary folder when nothing is written.
    SpillFile& spill_file() {
        if (!spill_) {
            uint64_t capacity = 0;
            for (const auto& t : input_.tensors()) capacity += largest_tensor_bytes(t.n_values, t.n_bytes) + 64;
            size_t quantizing = 0;
            for (const auto& stage : plan_.stages) quantizing += stage.call.stage->kind == StageKind::Quantizer;
            const auto dir = writes_output() ? existing_folder(std::filesystem::absolute(plan_.output).parent_path()) : std::filesystem::temp_directory_path();
            spill_.emplace(dir, capacity * quantizing);
        }
        return *spill_;
    }

    // A tensor's current bytes as bytes of a file, for copies made by the kernel.
    FileBytes file_bytes_of(const TensorState& s) const {
        if (s.in_spill) return spill_->tensors().file_bytes(s.bytes);
        if (const auto mapping = input_.mapping()) return file_bytes(*mapping, s.bytes);
        return {-1, 0, s.bytes};
    }

    // The last quantizing stage, when an output is written: its results, and every other tensor,
    // go straight to their place in the output (streamed_output.hpp), in file order as far as
    // the threads go; a result waits in memory only for the tensors before it to have a size.
    void stream(const PlannedStage& stage, const Quantizer& quantizer, const std::vector<size_t>& chosen, StageResult& result) {
        std::vector<std::optional<size_t>> slot(states_.size());
        for (size_t k = 0; k < chosen.size(); ++k) slot[chosen[k]] = k;
        std::vector<OutputTensor> tensors;
        bool rewritten = !chosen.empty();
        for (const auto& s : states_) {
            tensors.push_back({s.original->name, s.type_id, s.original->dims, s.bytes.size(), {}, {}, {}});
            rewritten = rewritten || s.rewritten;
        }
        // The input's digest is not known yet: a stand-in of its length keeps the header's size.
        const std::string digest_stand_in(options_.hash ? kSha256HexDigits : 0, '0');
        output_.emplace(plan_.output, layout(types_of(tensors), rewritten, digest_stand_in), std::move(tensors),
                        options_.hash ? kHashedRunPieceBytes : 0);
        // The output's digest follows the writers: the header is known once every tensor has its
        // size and the input's digest is done, and each tensor is hashed as soon as it is written.
        if (options_.hash)
            output_hash_ = std::async(std::launch::async, [this, rewritten] {
                const auto sized = output_->wait_for_sizes();
                if (!sized) return std::string();  // a tensor failed: nothing is committed
                output_->set_header(layout(types_of(*sized), rewritten, input_hash_.get()));
                return output_->hash();
            });

        // A failing tensor abandons the output at once (writers waiting for it wake up); whatever
        // else ends the loop early (a progress callback's exception) abandons it here, or the
        // digest's thread would wait forever.
        struct AbandonUnlessFinished {
            StreamedOutput& out;
            bool finished = false;
            ~AbandonUnlessFinished() {
                if (!finished) out.abandon();
            }
        } guard{*output_};
        SpillFile& spill = spill_file();  // made before the threads start: they may all need it
        std::atomic<size_t> done{0};
        const auto progress = [&] {
            if (options_.progress) options_.progress(stage.label, ++done, chosen.size());
        };
        // Small tensors are quantized first, into the spill file. One whose result keeps its size
        // then no longer cuts the run of untouched tensors around it: the run is copied in one
        // call and the result written over it (BF16 norms: one copy instead of 45).
        std::vector<bool> quantize_later(states_.size(), false), from_input(states_.size(), false);
        std::vector<size_t> small;
        for (size_t i = 0; i < states_.size(); ++i) from_input[i] = !states_[i].in_spill && input_.mapping();
        for (size_t i : chosen) {
            if (states_[i].bytes.size() <= kSmallTensorBytes) small.push_back(i);
            else quantize_later[i] = true;
        }
        parallel_for(small.size(), options_.threads, [&](size_t k) {
            streamed_step(stage, states_[small[k]], [&] { quantize_streamed(stage, quantizer, small[k], false, spill, result.findings[*slot[small[k]]]); });
            progress();
        });

        std::vector<StreamedTensor> streamed;
        for (size_t i = 0; i < states_.size(); ++i) {
            const TensorState& s = states_[i];
            const bool same_size = s.bytes.size() == s.original->data.size();
            const std::byte* in_input = from_input[i] && (!slot[i] || same_size) ? s.original->data.data() : nullptr;
            streamed.push_back({quantize_later[i], in_input, s.bytes.size(), s.original->n_values});
        }
        const auto units = stream_units(streamed, output_->alignment());
        const auto order = work_order(units, streamed, options_.threads ? options_.threads : default_thread_count());
        Deferred deferred;
        parallel_for(order.size(), options_.threads, [&](size_t k) {
            const StreamUnit& unit = units[order[k]];
            const size_t i = unit.first;
            streamed_step(stage, states_[i], [&] {
                if (!quantize_later[i]) {
                    // Copied now if its place is known, or by whichever thread finds it known later.
                    if (output_->size(unit.first, unit.last, std::nullopt)) copy_unit(unit);
                    else deferred.add(unit);
                } else {
                    const auto went = quantize_streamed(stage, quantizer, i, true, spill, result.findings[*slot[i]]);
                    if (went == Went::abandoned) return;
                    if (went == Went::to_spill) deferred.add(unit);
                    progress();
                }
                write_placed(deferred, false);
            });
        });
        write_placed(deferred, true);  // every tensor has its size now
        guard.finished = true;
        if (options_.sync) output_->start_writeback();
    }

    // Tensors up to this size are quantized before the others (stream()): 1 MiB holds a norm of
    // a model 128 times wider than Llama-3-8B's.
    static constexpr uint64_t kSmallTensorBytes = 1 << 20;
    // With a digest, runs are copied in pieces of this size, which the digest follows.
    static constexpr uint64_t kHashedRunPieceBytes = 256 << 20;

    enum class Went { to_output, to_spill, abandoned };

    // Quantizes tensor i for the streamed stage. Its result goes straight to the output when
    // `to_output` and its place is known; otherwise to the spill file, to be copied into place
    // once it is known (write_placed). Either way its size is recorded at once.
    Went quantize_streamed(const PlannedStage& stage, const Quantizer& quantizer, size_t i, bool to_output, SpillFile& spill,
                           std::pair<std::string, Findings>& findings) {
        TensorState& s = states_[i];
        QuantizedTensor q = quantizer.quantize(quantizer_view(stage, s));
        const TypeInfo& type = checked_result_type(s.original_view(), q);
        const StreamedOutput::FinalType final{static_cast<uint32_t>(q.type), q.bytes.size()};
        const bool now = output_->size(i, i, final) && to_output;
        std::span<const std::byte> written;
        if (now) {
            const auto to_file = output_->write(i, final.type_id, q.bytes);
            if (!to_file) return Went::abandoned;  // another tensor failed
            written = *to_file;
        } else {
            written = spill.append(q.bytes);
        }
        if (!s.in_spill && input_.mapping()) input_.mapping()->release(s.bytes);  // read once: keep RSS flat
        s.replace(q, type, written, !now);
        findings = {s.original->name, std::move(q.findings)};
        return now ? Went::to_output : Went::to_spill;
    }

    // One step of the streamed stage: a failure names the tensor and abandons the output at once
    // (the digest's thread, waiting for the failed tensor, wakes up).
    template <class Step>
    void streamed_step(const PlannedStage& stage, const TensorState& s, Step step) {
        try {
            naming_failures(stage, s, step);
        } catch (...) {
            output_->abandon();
            throw;
        }
    }

    // Units of the streamed stage whose place in the output was not known when they were ready.
    struct Deferred {
        std::mutex mutex;
        std::vector<StreamUnit> units;
        void add(StreamUnit unit) {
            std::lock_guard lock(mutex);
            units.push_back(unit);
        }
    };

    // Writes the deferred units whose place is known by now (`all`: every one, which waits for
    // none once every tensor has its size), each taken out of the list by the thread writing it.
    void write_placed(Deferred& deferred, bool all) {
        for (;;) {
            std::optional<StreamUnit> next;
            {
                std::lock_guard lock(deferred.mutex);
                const auto found = std::find_if(deferred.units.begin(), deferred.units.end(),
                                                [&](const StreamUnit& u) { return all || output_->placed(u.first); });
                if (found == deferred.units.end()) return;
                next = *found;
                deferred.units.erase(found);
            }
            copy_unit(*next);
        }
    }

    // One tensor's current bytes (the input's, or a result in the spill file), or a run of
    // tensors copied from the input, with the results of those quantized first (which kept their
    // size) written over their input bytes.
    void copy_unit(const StreamUnit& unit) {
        const TensorState &a = states_[unit.first], &b = states_[unit.last];
        if (unit.first == unit.last) {
            output_->copy(unit.first, a.type_id, file_bytes_of(a));
            return;
        }
        std::vector<StreamedOutput::Patch> patches;
        for (size_t k = unit.first; k <= unit.last; ++k)
            if (states_[k].bytes.data() != states_[k].original->data.data()) patches.push_back({k, file_bytes_of(states_[k])});
        const std::span<const std::byte> run(a.original->data.data(), b.original->data.data() + b.original->data.size());
        output_->copy_run(unit.first, unit.last, file_bytes(*input_.mapping(), run), patches);
    }

    void create_output_folder() const {
        if (plan_.output.has_parent_path()) std::filesystem::create_directories(plan_.output.parent_path());
    }

    static std::vector<NamedTensorType> types_of(const std::vector<OutputTensor>& tensors) {
        std::vector<NamedTensorType> types;
        for (const auto& t : tensors) types.push_back({t.name, t.type_id});
        return types;
    }

    std::vector<NamedTensorType> current_types() const {
        std::vector<NamedTensorType> types;
        for (const auto& s : states_) types.push_back({s.original->name, s.type_id});
        return types;
    }

    GgufLayout layout(const std::vector<NamedTensorType>& after, bool rewritten, const std::string& input_sha256) const {
        const Provenance provenance{plan_.name, plan_.recipe_text, plan_.overrides, plan_.input.filename().string(), input_sha256, metadata_};
        return output_layout(input_, after, rewritten, provenance);
    }

    // Completes the output; `complete(bytes, sha256)` (sha256 empty without options_.hash) runs
    // before the file takes its name.
    void finish_output(const std::string& input_sha256, const std::function<void(uint64_t, const std::string&)>& complete) {
        const bool rewritten = std::any_of(states_.begin(), states_.end(), [](const TensorState& s) { return s.rewritten; });
        if (output_) {
            spdlog::info("writing the header of {}", plan_.output.string());
            std::string digest;
            if (output_hash_.valid()) digest = output_hash_.get();
            else output_->set_header(layout(current_types(), rewritten, input_sha256));
            output_->commit(options_.sync, [&](uint64_t bytes) { complete(bytes, digest); });
            return;
        }
        // No stage quantizes: every tensor is the input's.
        spdlog::info("writing {}", plan_.output.string());
        WriteOptions write_options{{plan_.input}, {}, options_.hash, options_.sync, complete};
        if (options_.progress)
            write_options.progress = [this](uint64_t done, uint64_t total) { options_.progress("write", done, total); };
        write_gguf(plan_.output, layout(current_types(), rewritten, input_sha256), pass_through_all(input_), write_options);
    }

    const Plan& plan_;
    RunOptions options_;
    std::optional<OutputLock> output_lock_;
    GgufFile input_;
    FileModelInfo model_info_;
    TensorImportance importance_;  // per tensor, what its quantizers weigh by (plan_.imatrix)
    std::vector<MetadataSetting> metadata_;  // the plan's metadata keys, then the importance matrix's
    std::vector<std::optional<uint32_t>> dry_types_;  // a dry run's planned types (empty: no quantizer ran)
    bool dry_rewritten_ = false;
    std::vector<TensorState> states_;
    TensorIndex index_;
    std::vector<StageInstances> instances_;
    std::vector<std::unique_ptr<StageWeights>> stage_weights_;  // per stage: its own importance matrix, or null
    std::optional<size_t> streamed_stage_;  // the last quantizing stage, when an output is written
    std::optional<SpillFile> spill_;
    std::optional<StreamedOutput> output_;
    std::shared_future<std::string> input_hash_;
    std::future<std::string> output_hash_;  // declared after output_: joined before it goes
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
