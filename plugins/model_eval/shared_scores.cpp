#include "shared_scores.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/sha256.hpp"

namespace qframe::model_eval {
namespace {

std::string plan_key(const ScoringSettings& s, const LoadedModel& model) {
    return fmt::format("{}\n{}\n{} {}", file_identity(s.text), file_identity(model.file.display_name()), s.ctx, s.chunks);
}

// One entry each: a run evaluates one input; a later run on another input replaces it.
struct SharedState {
    std::mutex mutex;
    std::string plan_key;
    std::shared_ptr<const ChunkPlan> plan;

    std::string logits_key;  // complete logits for this key are in `logits`
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> logits{nullptr, &std::fclose};
    uint64_t chunk_floats = 0;
};

SharedState& shared_state() {
    static SharedState state;
    return state;
}

class Computed : public ScoredLogits {
public:
    Computed(const LoadedModel& m, const ChunkPlan& plan, const ScoringSettings& s)
        : plan_(plan), context_(m.model, plan.n_ctx, s.threads, 512, s.numerics) {}
    std::vector<float> chunk(uint32_t i) override { return engine::scored_logits(context_, plan_, i); }

private:
    const ChunkPlan& plan_;
    engine::Context context_;
};

// Computes the input's logits and writes each chunk to a new shared file; once every chunk was
// written, the file becomes the shared one for `key`.
class ComputedAndKept : public ScoredLogits {
public:
    ComputedAndKept(const LoadedModel& m, const ChunkPlan& plan, const ScoringSettings& s, std::string key)
        : computed_(m, plan, s), n_chunks_(plan.n_chunks), key_(std::move(key)) {
        file_.reset(std::tmpfile());  // unlinked: gone with the process
    }
    ~ComputedAndKept() override {
        if (!file_ || next_ != n_chunks_ || std::fflush(file_.get()) != 0) return;
        SharedState& state = shared_state();
        std::lock_guard lock(state.mutex);
        state.logits = std::move(file_);
        state.logits_key = key_;
        state.chunk_floats = chunk_floats_;
    }
    std::vector<float> chunk(uint32_t i) override {
        std::vector<float> logits = computed_.chunk(i);
        if (file_ && i == next_) {
            chunk_floats_ = logits.size();
            if (std::fwrite(logits.data(), sizeof(float), logits.size(), file_.get()) == logits.size()) ++next_;
            else file_.reset();  // a full disk: nothing is shared, nothing fails
        }
        return logits;
    }

private:
    Computed computed_;
    uint32_t n_chunks_;
    std::string key_;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, &std::fclose};
    uint32_t next_ = 0;
    uint64_t chunk_floats_ = 0;
};

class Kept : public ScoredLogits {
public:
    Kept(std::FILE* file, uint64_t chunk_floats) : file_(file), chunk_floats_(chunk_floats) {}
    std::vector<float> chunk(uint32_t i) override {
        std::vector<float> logits(chunk_floats_);
        const uint64_t bytes = chunk_floats_ * sizeof(float);
        const ssize_t n = ::pread(::fileno(file_), logits.data(), bytes, static_cast<off_t>(i * bytes));
        if (n != static_cast<ssize_t>(bytes))
            throw Error(fmt::format("reading the input model's kept logits failed: {}", n < 0 ? std::strerror(errno) : "the file is short"));
        return logits;
    }

private:
    std::FILE* file_;  // the shared state's; it stays while a run evaluates one input
    uint64_t chunk_floats_;
};

}  // namespace

std::shared_ptr<const ChunkPlan> shared_plan(const ScoringSettings& settings, const LoadedModel& model) {
    SharedState& state = shared_state();
    const std::string key = plan_key(settings, model);
    {
        std::lock_guard lock(state.mutex);
        if (state.plan && state.plan_key == key) return state.plan;
    }
    auto plan = std::make_shared<const ChunkPlan>(settings.plan(model));
    std::lock_guard lock(state.mutex);
    state.plan_key = key;
    state.plan = plan;
    return plan;
}

std::unique_ptr<ScoredLogits> input_logits(const LoadedModel& model, const ChunkPlan& plan, const ScoringSettings& settings, bool& shared) {
    const std::string key = fmt::format("{}\nthreads {} numerics {}", plan_key(settings, model), settings.threads, static_cast<int>(settings.numerics));
    SharedState& state = shared_state();
    std::lock_guard lock(state.mutex);
    shared = state.logits && state.logits_key == key;
    if (shared) return std::make_unique<Kept>(state.logits.get(), state.chunk_floats);
    const uint64_t bytes = plan.n_chunks * plan.scored_per_chunk() * model.model.config().n_vocab * sizeof(float);
    if (bytes > kSharedLogitsBytes) return std::make_unique<Computed>(model, plan, settings);
    return std::make_unique<ComputedAndKept>(model, plan, settings, key);
}

std::unique_ptr<ScoredLogits> computed_logits(const LoadedModel& model, const ChunkPlan& plan, const ScoringSettings& settings) {
    return std::make_unique<Computed>(model, plan, settings);
}

bool same_tensors(const ModelView& original, const ModelView& result) {
    const auto names = original.tensor_names();
    if (result.tensor_names() != names) return false;
    for (const auto& name : names) {
        const auto a = original.tensor(name), b = result.tensor(name);
        if (!a || !b || a->type_id != b->type_id || a->bytes.size() != b->bytes.size()) return false;
        if (a->bytes.data() != b->bytes.data() && std::memcmp(a->bytes.data(), b->bytes.data(), a->bytes.size()) != 0) return false;
    }
    return true;
}

}  // namespace qframe::model_eval
