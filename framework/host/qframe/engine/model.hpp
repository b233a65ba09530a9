// CPU inference for dense decoder-only GGUF models of the architectures llama (TinyLlama,
// Llama-2/3.x, Mistral, and Mixtral-style mixtures of experts), qwen2 (Qwen2, Qwen2.5), qwen2moe,
// gemma, gemma2 and phi3, computed the way llama.cpp's graphs
// compute them: token embedding, per layer RMSNorm → grouped-query attention with rotary
// embeddings and a causal mask → residual → RMSNorm → gated feed-forward → residual; final
// RMSNorm and the output matrix (token_embd when output.weight is absent). What differs per
// architecture (rope pairs, biases, activation, scales) is one row of a table (arch.hpp).
//
// Weights are used where they lie (the file's mapping, or bytes a WeightSource hands over) in
// any type qframe::decode() knows: a product decodes a block of rows into a thread-local
// buffer and applies it to every token of the batch, so no F32 copy of the model is ever made.
// Activations and the KV cache are F32; with Numerics::ggml they hold the values llama.cpp's CPU
// backend rounds them to.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qframe/gguf.hpp"
#include "qframe/types.hpp"

namespace qframe::engine {

// One tensor's encoded bytes, supplied by a caller instead of the file.
struct TensorData {
    TensorType type = TensorType::F32;
    std::vector<uint64_t> dims;         // ne0 (the contiguous row) first, as in GGUF
    std::span<const std::byte> bytes;   // exactly byte_size(type, product of dims) bytes
    // Optional: kept alive as long as the model, for bytes the model should own a share of.
    // Without it, `bytes` must outlive every Model and Context built from them.
    std::shared_ptr<const void> owner;
};

// Looks a tensor up by its GGUF name; nullopt means "take it from the file".
using WeightSource = std::function<std::optional<TensorData>(std::string_view name)>;

// The hyperparameters, as llama.cpp reads them from the `{arch}.*` keys.
struct HParams {
    std::string arch;            // general.architecture
    uint32_t n_vocab = 0;        // rows of token_embd.weight
    uint32_t n_embd = 0;         // {arch}.embedding_length
    uint32_t n_layer = 0;        // {arch}.block_count
    uint32_t n_head = 0;         // {arch}.attention.head_count
    uint32_t n_head_kv = 0;      // {arch}.attention.head_count_kv (default n_head)
    uint32_t head_dim = 0;       // n_embd / n_head ({arch}.attention.key_length if present)
    uint32_t n_ff = 0;           // {arch}.feed_forward_length (of one expert in a mixture of experts)
    uint32_t n_expert = 0;       // {arch}.expert_count (0: a dense model)
    uint32_t n_expert_used = 0;  // {arch}.expert_used_count: experts each token is routed to
    uint32_t n_ff_exp = 0;       // an expert's width: {arch}.expert_feed_forward_length (qwen2moe), else n_ff
    uint32_t n_ff_shexp = 0;     // the shared expert's: {arch}.expert_shared_feed_forward_length (default n_ff); 0: none
    uint32_t n_ctx_train = 0;    // {arch}.context_length
    float rms_eps = 1e-5f;       // {arch}.attention.layer_norm_rms_epsilon
    float rope_freq_base = 10000.0f;  // {arch}.rope.freq_base
    float rope_freq_scale = 1.0f;     // 1 / {arch}.rope.scaling.factor (linear scaling)
    bool has_rope_freqs = false;      // rope_freqs.weight (Llama 3.x) or rope_factors_* (phi3) divide the frequencies
    float rope_attn_factor = 1.0f;    // {arch}.rope.scaling.attn_factor: scales the rotations' cos and sin
    uint32_t n_ctx_orig = 0;          // {arch}.rope.scaling.original_context_length (default n_ctx_train)
    float query_scale = 1.0f;         // 1/sqrt(head_dim), as llama.cpp scales the scores or queries
    float attn_softcap = 0.0f;        // scores capped as cap · tanh(s / cap); 0: not capped
    float final_softcap = 0.0f;       // the same for the logits
    uint32_t n_swa = 0;               // sliding window of the layers that have one (0: none)
    bool tied_output = false;         // no output.weight: token_embd.weight is the output
    std::optional<int32_t> bos_token, eos_token;  // tokenizer.ggml.{bos,eos}_token_id
};

// A validated model: hyperparameters and views of every weight. Cheap to copy (shared state);
// keeps the file's mapping (and the sources' owners) alive, so the GgufFile may go away.
class Model {
public:
    // Throws qframe::Error naming the file and the problem: an architecture the engine does not
    // run (the message lists those it does), a missing or malformed key, a missing tensor, a type qframe cannot decode, a wrong shape.
    static Model load(const GgufFile& file, WeightSource source = {});
    static Model load(const std::filesystem::path& path);

    const HParams& config() const;
    const std::string& display_name() const;  // the file's name, used in errors
    // Bytes of all weights the model reads (file or source).
    uint64_t weight_bytes() const;

    struct Impl;
    const std::shared_ptr<const Impl>& impl() const { return impl_; }

private:
    explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// What the arithmetic rounds.
enum class Numerics {
    // As llama.cpp's CPU backend computes: activations converted to the weight type's
    // "vec_dot_type" before each product (Q8_K for the K-quants, Q8_0 or Q8_1 for the 32-blocks,
    // F16 for F16, BF16 for BF16), a KV cache in F16, queries and attention weights rounded to
    // F16 before their products with it. Perplexities match llama-perplexity's (docs/engine.md).
    ggml,
    // Activations and the cache in F32: the model's exact function up to F32 arithmetic (the
    // reference the NumPy cross-check holds to 1e-6).
    f32,
};
std::string_view numerics_name(Numerics numerics);
// "ggml" or "f32"; nullopt for anything else.
std::optional<Numerics> numerics_from_name(std::string_view name);

// What each product multiplies the weights with: the F32 activations before ggml rounds or
// quantizes them (llama-imatrix's src1), for collectors such as qframe imatrix.
class ProductObserver {
public:
    virtual ~ProductObserver() = default;
    // A batch of nt tokens enters the layers.
    virtual void batch(size_t nt) { (void)nt; }
    // The product of the weight `name` (its GGUF name) with nt rows of `cols` inputs, row stride
    // ld. A fused tensor's parts (phi3's attn_qkv, its gate+up ffn_up) are one product, reported once.
    virtual void input(std::string_view name, const float* x, size_t ld, size_t nt, size_t cols) = 0;
    // Expert `expert` of the [cols × rows × n_expert] weight `name`, on the rows routed to it:
    // row i (stride ld) is the input of token slots[i] / n_used, its (slots[i] % n_used)-th choice.
    virtual void expert_input(std::string_view name, uint32_t expert, uint32_t n_expert, uint32_t n_used, const float* x,
                              size_t ld, std::span<const size_t> slots, size_t cols) = 0;
};

// Seconds spent in each weight's products (by GGUF name), wall time, added up over evals: where
// a pass's time goes (qframe bench-types separates the products from the rest of a pass).
using ProductSeconds = std::map<std::string, double, std::less<>>;

// One sequence being evaluated: a KV cache of n_ctx positions plus scratch buffers.
class Context {
public:
    // threads = 0: every hardware thread. n_batch: the most tokens pushed through the layers
    // at once (longer inputs are split); it bounds the scratch memory.
    Context(const Model& model, uint32_t n_ctx, unsigned threads = 0, uint32_t n_batch = 512,
                 Numerics numerics = Numerics::ggml);
    ~Context();
    Context(Context&&) noexcept;
    Context& operator=(Context&&) noexcept;

    // Forgets every position (the cache is reused).
    void reset();
    // Reports every product's input to `observer` from the next eval on (nullptr: to none). The
    // observer must outlive its use; products still compute the same logits.
    void observe(ProductObserver* observer);
    // Adds each product's wall time to `*clock` from the next eval on (nullptr: stops). The
    // products compute the same logits; timing one costs two clock reads.
    void time_products(ProductSeconds* clock);
    // Positions already evaluated.
    uint32_t position() const;
    uint32_t n_ctx() const;
    const Model& model() const;

    // Appends `tokens` at the current position and returns logits: [tokens.size() × n_vocab]
    // (row i = the distribution after tokens[i]) when all_logits, else only the last row.
    // Throws qframe::Error for a token id out of range or a context overflow (the position is
    // unchanged then). An empty span returns an empty vector.
    std::vector<float> eval(std::span<const int32_t> tokens, bool all_logits = false);

    // For passes that restart midway (qframe sweep's layer-prefix reuse). Both evaluate `tokens`
    // from position 0 (reset first) as one batch (at most the batch size) and return all logits.
    // eval_recording also gives the residual stream entering each of `layers` (ascending, at most
    // n_layer: the final one): [layers.size()][tokens × n_embd].
    std::vector<float> eval_recording(std::span<const int32_t> tokens, std::span<const uint32_t> layers, std::vector<float>& layer_inputs);
    // Starts at `first_layer` from the stream entering it (as eval_recording gave it for a model
    // whose earlier layers are the same), running only that layer and the ones after: the logits
    // are bit-identical to eval(tokens, true) of this model.
    std::vector<float> eval_from_layer(std::span<const int32_t> tokens, uint32_t first_layer, std::span<const float> entering);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Greedy decoding: evaluates `prompt` (appended at the context's position), then picks the
// most likely token (the lowest id among ties) up to max_new times, stopping before `eos`.
// Returns the new tokens (without eos).
std::vector<int32_t> generate(Context& context, std::span<const int32_t> prompt, uint32_t max_new,
                              std::optional<int32_t> eos = std::nullopt);

}  // namespace qframe::engine
