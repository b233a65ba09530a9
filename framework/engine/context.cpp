// The forward pass. Each layer runs on a whole batch of tokens at once: a weight matrix is
// decoded block of rows by block of rows (each thread its own block, into a thread-local
// buffer) and every decoded row is applied to every token of the batch before the next block.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <type_traits>

#include <sys/mman.h>

#include "arch.hpp"
#include "ggml_dot.hpp"
#include "ggml_math.hpp"
#include "ggml_rounding.hpp"
#include "int8_product.hpp"
#include "kernels.hpp"
#include "model_impl.hpp"
#include "product.hpp"
#include "qframe/error.hpp"
#include "qframe/parallel.hpp"

namespace qframe::engine {
namespace {

using kernels::padded;

// out = x / sqrt(mean(x²) + eps) · weight over n values (out may be x), like ggml_rms_norm then
// ggml_mul (which sums the squares, each rounded to float, in double).
void rms_norm_row(const float* x, size_t n, const float* weight, float eps, float* out, Numerics numerics) {
    double sum = 0;
    if (numerics == Numerics::ggml) {
        for (size_t k = 0; k < n; ++k) sum += static_cast<double>(x[k] * x[k]);
        const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
        for (size_t k = 0; k < n; ++k) out[k] = x[k] * scale * weight[k];
        return;
    }
    for (size_t k = 0; k < n; ++k) sum += double(x[k]) * x[k];
    const double scale = 1.0 / std::sqrt(sum / n + eps);  // f32: one rounding per value
    for (size_t k = 0; k < n; ++k) out[k] = static_cast<float>(x[k] * scale * weight[k]);
}

// rms_norm_row on each of the nt rows of x (row stride ld) into out.
void rms_norm(const float* x, size_t ld, size_t nt, size_t n, const std::vector<float>& weight, float eps, float* out,
              Numerics numerics, unsigned threads) {
    parallel_for(nt, threads, [&](size_t t) { rms_norm_row(x + t * ld, n, weight.data(), eps, out + t * ld, numerics); });
}

// x[t] += d[t] for the nt rows of n values (row stride ld): the residual connections.
void add_rows(float* x, const float* d, size_t ld, size_t nt, size_t n, unsigned threads) {
    parallel_for(nt, threads, [&](size_t t) {
        for (size_t k = 0; k < n; ++k) x[t * ld + k] += d[t * ld + k];
    });
}

}  // namespace

struct Context::State {
    Model model;
    const Model::Impl& m;
    const HParams& c;
    uint32_t n_ctx, n_batch;
    unsigned threads;
    Numerics numerics;
    uint32_t pos = 0;

    size_t q_dim, kv_dim, ld_embd, ld_q, ld_ff;
    // Attention as two matrix products (heads whose width is a multiple of kPad): keys and values
    // are kept transposed, [kv_dim × n_ctx_pad] per layer (the values as llama.cpp does without
    // flash attention), so that K · q runs along positions without sums across lanes.
    // With ggml numerics they hold F16 bits, as llama.cpp's cache does (the values are F16
    // already: half the memory), read by the kernels that widen F16 in registers.
    bool attention_products, f16_cache;
    size_t n_ctx_pad;
    std::vector<Buffer> k_cache, v_cache;    // per layer: [n_ctx × kv_dim] without attention_products
    std::vector<Buffer> kt_cache, vt_cache;  // per layer: [kv_dim × n_ctx_pad] with attention_products
    Buffer x, xn, q, k, v, attn, gate, up;  // [n_batch × padded width]; k, v: before the transposed caches
    ProductInput product_input;              // a product's input as ggml rounds or quantizes it
    ProductObserver* observer = nullptr;
    ProductSeconds* product_clock = nullptr;
    std::string last_observed;                // the weight whose input was reported last
    // While an expert runs: which one, and the slots (t · n_used + k) of the tokens routed to it.
    const std::vector<size_t>* expert_slots = nullptr;
    uint32_t current_expert = 0;
    // Mixture of experts: the tokens routed to one expert, gathered; that expert's output; each
    // token's n_expert_used weighted outputs, in the router's order.
    Buffer gathered, expert_out, routed_out;
    // The rope's frequency divisors for this context's length (build_rope_factors: phi3's long
    // factors beyond the original context).
    const std::vector<float>& rope_factors;
    // One rotation: its base and frequency scale, and the batch's angles.
    struct RopeTable {
        float base = 10000.0f, scale = 1.0f;
        std::vector<double> inv_freq;    // numerics: f32's per-pair frequencies, scale · base^(-2i/n_rot) / factor[i], in double
        std::vector<float> cos, sin;     // [n_batch × head_dim / 2], times the rope's attention factor
    };
    // Every layer's rotation, and the sliding-window layers' own where the architecture gives
    // them another base (gemma3).
    RopeTable rope_all, rope_window;

    State(const Model& model_, uint32_t n_ctx_, unsigned threads_, uint32_t n_batch_, Numerics numerics_)
        : model(model_), m(*model.impl()), c(m.config), n_ctx(n_ctx_), n_batch(std::min(n_batch_, n_ctx_)),
          threads(threads_ ? threads_ : default_thread_count()), numerics(numerics_),
          rope_factors(!m.rope_factors_long.empty() && n_ctx > c.n_ctx_orig ? m.rope_factors_long : m.rope_factors) {
        if (n_ctx == 0) throw Error(fmt::format("{}: a context needs at least one position", m.name));
        if (n_batch == 0) throw Error(fmt::format("{}: the batch size must be at least 1", m.name));
        q_dim = size_t(c.n_head) * c.head_dim;
        kv_dim = size_t(c.n_head_kv) * c.head_dim;
        ld_embd = padded(c.n_embd);
        ld_q = padded(q_dim);
        ld_ff = padded(std::max({c.n_ff, c.n_ff_exp, c.n_ff_shexp}));
        attention_products = c.head_dim % kernels::kPad == 0;
        f16_cache = attention_products && numerics == Numerics::ggml && kernels::ops().dot_block_t_f16;
        n_ctx_pad = padded(n_ctx);
        const size_t cache_floats = f16_cache ? kv_dim * n_ctx_pad / 2 : kv_dim * n_ctx_pad;  // n_ctx_pad is even
        for (uint32_t l = 0; l < c.n_layer; ++l) {
            if (attention_products) {
                kt_cache.emplace_back(cache_floats);
                vt_cache.emplace_back(cache_floats);
            } else {
                k_cache.emplace_back(size_t(n_ctx) * kv_dim);
                v_cache.emplace_back(size_t(n_ctx) * kv_dim);
            }
        }
        x = Buffer(n_batch * ld_embd);
        xn = Buffer(n_batch * ld_embd);
        q = Buffer(n_batch * ld_q);
        k = Buffer(n_batch * kv_dim);
        v = Buffer(n_batch * kv_dim);
        attn = Buffer(n_batch * ld_q);
        gate = Buffer(n_batch * std::max(ld_ff, ld_embd));  // also the FFN's output
        up = Buffer(n_batch * ld_ff);
        if (numerics == Numerics::ggml) product_input.rounded = Buffer(n_batch * std::max({ld_embd, ld_q, ld_ff}));
        if (c.n_expert > 0) {
            gathered = Buffer(n_batch * ld_embd);
            expert_out = Buffer(n_batch * ld_embd);
            routed_out = Buffer(size_t(n_batch) * c.n_expert_used * ld_embd);
        }
        init_rope(rope_all, c.rope_freq_base, c.rope_freq_scale);
        if (m.arch->window_rope_base > 0) init_rope(rope_window, m.arch->window_rope_base, 1.0f);
    }

    void init_rope(RopeTable& r, float base, float scale) const {
        r.base = base;
        r.scale = scale;
        for (uint32_t i = 0; i < c.head_dim / 2; ++i) {
            const double freq = std::pow(double(base), -2.0 * double(i) / c.head_dim);
            r.inv_freq.push_back(scale * freq / (rope_factors.empty() ? 1.0 : rope_factors[i]));
        }
        r.cos.resize(size_t(n_batch) * c.head_dim / 2);
        r.sin.resize(size_t(n_batch) * c.head_dim / 2);
    }

    // The rotation of layer L.
    const RopeTable& rope_of(const Layer& L) const { return L.window && !rope_window.cos.empty() ? rope_window : rope_all; }

    void check_tokens(std::span<const int32_t> tokens) const {
        for (size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] < 0 || uint32_t(tokens[i]) >= c.n_vocab)
                throw Error(fmt::format("{}: token {} (at {}) is outside the vocabulary of {}", m.name, tokens[i], i, c.n_vocab));
    }

    // The rotary angles' cosines and sines for positions pos … pos + nt - 1, times the rope's
    // attention factor. ggml computes them in float, each pair's angle from the previous one's
    // (ggml_rope_cache_init, rope_yarn without extrapolation); the f32 numerics compute each
    // angle in double.
    void rope_angles(RopeTable& r, size_t nt) {
        if (r.cos.empty()) return;
        const size_t half = c.head_dim / 2;
        const float theta_scale = std::pow(r.base, -2.0f / float(c.head_dim));
        const float mscale = c.rope_attn_factor;
        for (size_t t = 0; t < nt; ++t) {
            float theta = static_cast<float>(pos + t);
            for (size_t i = 0; i < half; ++i) {
                if (numerics == Numerics::ggml) {
                    const float ff = rope_factors.empty() ? 1.0f : rope_factors[i];
                    const float angle = r.scale * (theta / ff);
                    r.cos[t * half + i] = std::cos(angle) * mscale;
                    r.sin[t * half + i] = std::sin(angle) * mscale;
                    theta *= theta_scale;
                } else {
                    const double angle = double(pos + t) * r.inv_freq[i];
                    r.cos[t * half + i] = static_cast<float>(std::cos(angle) * mscale);
                    r.sin[t * half + i] = static_cast<float>(std::sin(angle) * mscale);
                }
            }
        }
    }

    // Rotates the pairs of every head of the nt rows of `data` (row stride ld): (2i, 2i+1) or
    // (i, i + head_dim/2), as the architecture's rope kind says.
    void rope(const RopeTable& r, float* data, size_t ld, size_t nt, uint32_t n_heads) const {
        const size_t half = c.head_dim / 2;
        const bool ggml = numerics == Numerics::ggml;
        const bool halves = m.arch->rope == RopePairs::halves;
        const size_t step = halves ? 1 : 2, partner = halves ? half : 1;  // pair i: v[step·i], v[step·i + partner]
        parallel_for(nt, threads, [&](size_t t) {
            const float* cs = r.cos.data() + t * half;
            const float* sn = r.sin.data() + t * half;
            for (uint32_t h = 0; h < n_heads; ++h) {
                float* v = data + t * ld + size_t(h) * c.head_dim;
                for (size_t i = 0; i < half; ++i) {
                    float& a = v[step * i];
                    float& b = v[step * i + partner];
                    const float x0 = a, x1 = b;
                    if (ggml) {  // GCC fuses ggml's first product of each line (ggml-cpu.c, rope_f32)
                        a = std::fma(x0, cs[i], -(x1 * sn[i]));
                        b = std::fma(x0, sn[i], x1 * cs[i]);
                    } else {
                        a = x0 * cs[i] - x1 * sn[i];
                        b = x0 * sn[i] + x1 * cs[i];
                    }
                }
            }
        });
    }

    // Each head of the nt rows of `data` (row stride ld) RMS-normed with `weight` (head_dim
    // values), in place: qwen3's and gemma3's query and key norms.
    void head_norm(float* data, size_t ld, size_t nt, uint32_t n_heads, const std::vector<float>& weight) const {
        parallel_for(nt, threads, [&](size_t t) {
            for (uint32_t h = 0; h < n_heads; ++h) {
                float* v = data + t * ld + size_t(h) * c.head_dim;
                rms_norm_row(v, c.head_dim, weight.data(), c.rms_eps, v, numerics);
            }
        });
    }

    // The softmax's scale of the scores: 1 where the queries were scaled already.
    float score_scale() const { return m.arch->query_prescale ? 1.0f : c.query_scale; }

    // v = cap · tanh(v / cap) over n values, as ggml_scale, ggml_tanh (libm's tanhf), ggml_scale.
    void soft_cap(float* v, size_t n, float cap) const {
        if (numerics == Numerics::ggml) {
            const float inv = 1.0f / cap;
            for (size_t j = 0; j < n; ++j) v[j] = std::tanh(v[j] * inv) * cap;
        } else {
            for (size_t j = 0; j < n; ++j) v[j] = static_cast<float>(std::tanh(double(v[j]) / cap) * cap);
        }
    }

    // The first position a token at `position` attends to in layer l.
    size_t first_visible(const Layer& layer, size_t position) const {
        return layer.window && position >= layer.window ? position - layer.window + 1 : 0;
    }

    // Scores q·k of one token over its n positions → softmax(scale · scores) in place, as ggml's
    // soft_max (its exponentials and sums with ggml numerics, libm's and a double sum with f32);
    // ggml then multiplies an F16 copy of these weights with the values. The scores are capped
    // first where the architecture caps them; positions before `first` (outside a sliding window)
    // are masked, as ggml adds -inf to them.
    void attention_weights(float* row, size_t n, size_t first, float scale) const {
        if (c.attn_softcap > 0) soft_cap(row, n, c.attn_softcap);
        float max = -std::numeric_limits<float>::infinity();
        for (size_t j = 0; j < n; ++j) {
            row[j] = j < first ? -std::numeric_limits<float>::infinity() : row[j] * scale;
            max = std::max(max, row[j]);
        }
        const bool ggml = numerics == Numerics::ggml;
        double sum = 0;
        if (ggml) {
            sum = ggml_softmax_exp(row, n, max);
        } else {
            for (size_t j = 0; j < n; ++j) {
                row[j] = std::exp(row[j] - max);
                sum += row[j];
            }
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (size_t j = 0; j < n; ++j) row[j] *= inv;
        if (ggml) round_row_to_f16(row, n);
    }

    // f(kt, vt) with layer l's transposed caches as what they hold: F16 bits or floats.
    template <class F>
    void with_transposed_caches(uint32_t l, F&& f) {
        const auto halves = [](Buffer& b) { return reinterpret_cast<uint16_t*>(b.data()); };
        if (f16_cache) f(halves(kt_cache[l]), halves(vt_cache[l]));
        else f(kt_cache[l].data(), vt_cache[l].data());
    }

    // The products for the caches' element type: float, or F16 bits.
    static void scores(const kernels::Ops& ops, const float* kt, auto... args) { ops.dot_block_t(kt, args...); }
    static void scores(const kernels::Ops& ops, const uint16_t* kt, auto... args) { ops.dot_block_t_f16(kt, args...); }
    static void values(const kernels::Ops& ops, const float* vt, auto... args) { ops.dot_block(vt, args...); }
    static void values(const kernels::Ops& ops, const uint16_t* vt, auto... args) { ops.dot_block_f16(vt, args...); }

    // attention() with two products per head: scores = K · q for every cached position up to the
    // batch's last (dot_block_t: one chain along the head's width per score; its padding lanes
    // are overwritten), softmax per token with its own causal limit (later positions weigh 0),
    // attn = Vᵀ · weights. A token's sums run over the same values whatever its batch (zero
    // weights add nothing), so results do not depend on the batch.
    template <class E>
    void attention_by_products(const Layer& layer, const E* kt, const E* vt, size_t nt) {
        const kernels::Ops& ops = kernels::ops();
        const size_t hd = c.head_dim, group = c.n_head / c.n_head_kv, n_kv = pos + nt, ld_s = padded(n_kv);
        const float scale = score_scale();
        const bool ggml = numerics == Numerics::ggml;
        if (ggml)  // ggml multiplies an F16 copy of the queries with the F16 keys
            parallel_for(nt, threads, [&](size_t t) { round_row_to_f16(q.data() + t * ld_q, q_dim); });
        parallel_for(c.n_head, threads, [&](size_t h) {
            const size_t kv_off = (h / group) * hd;
            thread_local std::vector<float> s;
            if (s.size() < nt * ld_s) s.resize(nt * ld_s);
            scores(ops, kt + kv_off * n_ctx_pad, n_ctx_pad, n_kv, q.data() + h * hd, ld_q, nt, hd, s.data(), ld_s);
            for (size_t t = 0; t < nt; ++t) {
                float* row = s.data() + t * ld_s;
                const size_t own = pos + t + 1;
                attention_weights(row, own, first_visible(layer, pos + t), scale);
                std::fill(row + own, row + ld_s, 0.0f);
            }
            values(ops, vt + kv_off * n_ctx_pad, n_ctx_pad, hd, s.data(), ld_s, nt, ld_s, attn.data() + h * hd, ld_q);
        });
    }

    // Positions pos … pos+nt-1 of K and V (kc, vc: [nt × kv_dim]) into the transposed caches, and
    // zeros up to the padded end (older chunks' values may lie there; their weights are 0, and
    // 0 · finite = 0).
    template <class E>
    void store_transposed(E* kt, E* vt, const float* kc, const float* vc, size_t nt) {
        const auto element = [](float v) {
            if constexpr (std::is_same_v<E, float>) return v;
            else return f16_bits_of_exact(v);  // v is an F16 value already
        };
        const size_t end = padded(pos + nt);
        // kPad cache rows at a time: each token's kPad values are read at once (kv_dim is a
        // multiple of kPad here), written along kPad rows.
        parallel_for(kv_dim / kernels::kPad, nt >= 16 ? threads : 1, [&](size_t block) {
            const size_t d0 = block * kernels::kPad;
            for (size_t t = 0; t < nt; ++t)
                for (size_t d = d0; d < d0 + kernels::kPad; ++d) {
                    kt[d * n_ctx_pad + pos + t] = element(kc[t * kv_dim + d]);
                    vt[d * n_ctx_pad + pos + t] = element(vc[t * kv_dim + d]);
                }
            for (size_t d = d0; d < d0 + kernels::kPad; ++d) {
                std::fill(kt + d * n_ctx_pad + pos + nt, kt + d * n_ctx_pad + end, E{});
                std::fill(vt + d * n_ctx_pad + pos + nt, vt + d * n_ctx_pad + end, E{});
            }
        });
    }

    // Causal attention of nt new tokens (at positions pos..pos+nt-1, already in the cache) over
    // every cached position up to their own: q → attn. (Heads of other widths.)
    void attention(uint32_t layer, size_t nt) {
        const float* kc = k_cache[layer].data();
        const float* vc = v_cache[layer].data();
        const Layer& L = m.layers[layer];
        const size_t hd = c.head_dim, group = c.n_head / c.n_head_kv;
        const float scale = score_scale();
        constexpr size_t chunk = 8;
        const size_t chunks = (nt + chunk - 1) / chunk;
        parallel_for(size_t(c.n_head) * chunks, threads, [&](size_t item) {
            const size_t h = item / chunks, t0 = (item % chunks) * chunk, t1 = std::min(nt, t0 + chunk);
            const size_t kv_off = (h / group) * hd;
            thread_local std::vector<float> scores, q_f16;
            if (scores.size() < n_ctx) scores.resize(n_ctx);
            const bool ggml = numerics == Numerics::ggml;
            for (size_t t = t0; t < t1; ++t) {
                const float* qt = q.data() + t * ld_q + h * hd;
                if (ggml) {  // ggml multiplies an F16 copy of the queries with the F16 keys
                    q_f16.resize(hd);
                    for (size_t i = 0; i < hd; ++i) q_f16[i] = round_to_f16(qt[i]);
                    qt = q_f16.data();
                }
                const size_t n_kv = pos + t + 1;
                float* out = attn.data() + t * ld_q + h * hd;
                if (ggml) {  // ggml's own fallbacks for narrow heads (ggml_dot.hpp)
                    for (size_t j = 0; j < n_kv; ++j) scores[j] = ggml_dot_f16(kc + j * kv_dim + kv_off, qt, hd);
                    attention_weights(scores.data(), n_kv, first_visible(L, pos + t), scale);
                    for (size_t d = 0; d < hd; ++d) out[d] = tinyblas_dot(scores.data(), 1, vc + kv_off + d, kv_dim, n_kv);
                    continue;
                }
                // f32: each score and output one sum in double, like the norms' and softmax's.
                for (size_t j = 0; j < n_kv; ++j) {
                    const float* kj = kc + j * kv_dim + kv_off;
                    double sum = 0;
                    for (size_t i = 0; i < hd; ++i) sum += double(qt[i]) * kj[i];
                    scores[j] = static_cast<float>(sum);
                }
                attention_weights(scores.data(), n_kv, first_visible(L, pos + t), scale);
                for (size_t d = 0; d < hd; ++d) {
                    double sum = 0;
                    for (size_t j = 0; j < n_kv; ++j) sum += double(scores[j]) * vc[j * kv_dim + kv_off + d];
                    out[d] = static_cast<float>(sum);
                }
            }
        });
    }

    // x[t][k] *= factor for the nt rows of n values (row stride ld), as ggml_scale.
    void scale_rows(float* x, size_t ld, size_t nt, size_t n, float factor) const {
        parallel_for(nt, threads, [&](size_t t) {
            for (size_t k = 0; k < n; ++k) x[t * ld + k] *= factor;
        });
    }

    // Y = X · Wᵀ for the nt rows of X (matmul), its input reported to the observer first.
    void product(const Matrix& w, const float* x, size_t ldx, size_t nt, float* y, size_t ldy, Input input = Input::fresh) {
        if (observer) report_input(w, x, ldx, nt, input);
        if (!product_clock) return matmul(w, x, ldx, nt, y, ldy, threads, numerics, product_input, input);
        const auto start = std::chrono::steady_clock::now();
        matmul(w, x, ldx, nt, y, ldy, threads, numerics, product_input, input);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (const auto it = product_clock->find(w.name); it != product_clock->end()) it->second += seconds;
        else product_clock->emplace(w.name, seconds);
    }

    void report_input(const Matrix& w, const float* x, size_t ldx, size_t nt, Input input) {
        // The parts of a fused tensor read one input: one product of one tensor for ggml.
        if (input == Input::as_before && w.name == last_observed) return;
        last_observed = w.name;
        if (expert_slots)
            observer->expert_input(w.name, current_expert, c.n_expert, c.n_expert_used, x, ldx, *expert_slots, w.cols);
        else
            observer->input(w.name, x, ldx, nt, w.cols);
    }

    // x[t] += bias for the nt rows (row stride ld), as ggml_add.
    void add_bias(float* x, size_t ld, size_t nt, const std::vector<float>& bias) const {
        parallel_for(nt, threads, [&](size_t t) {
            for (size_t k = 0; k < bias.size(); ++k) x[t * ld + k] += bias[k];
        });
    }

    // Which experts each of the nt tokens goes to, and with what weight (llm_build_moe_ffn with
    // softmax gating): the router's logits → softmax → the n_expert_used most probable
    // (ggml_top_k: ggml's bubble sort, descending) → their probabilities, divided by their sum
    // where the architecture normalises them (a double sum rounded to float, as ggml_sum_rows).
    void route(const Layer& L, size_t nt, std::vector<int32_t>& selected, std::vector<float>& weights) {
        const size_t n_expert = c.n_expert, k_used = c.n_expert_used;
        std::vector<float> probs(nt * n_expert);
        product(L.router, xn.data(), ld_embd, nt, probs.data(), n_expert);
        selected.assign(nt * k_used, 0);
        weights.assign(nt * k_used, 0.0f);
        for (size_t t = 0; t < nt; ++t) {
            float* p = probs.data() + t * n_expert;
            if (numerics == Numerics::ggml) {
                ggml_soft_max_row(p, n_expert);
            } else {
                const float max = *std::max_element(p, p + n_expert);
                double sum = 0;
                for (size_t e = 0; e < n_expert; ++e) sum += std::exp(double(p[e]) - max);
                for (size_t e = 0; e < n_expert; ++e) p[e] = static_cast<float>(std::exp(double(p[e]) - max) / sum);
            }
            std::vector<int32_t> order(n_expert);
            for (size_t e = 0; e < n_expert; ++e) order[e] = static_cast<int32_t>(e);
            for (size_t j = 0; j < n_expert; ++j)
                for (size_t k = j + 1; k < n_expert; ++k)
                    if (p[order[j]] < p[order[k]]) std::swap(order[j], order[k]);
            double sum = 0;
            for (size_t k = 0; k < k_used; ++k) sum += p[order[k]];
            for (size_t k = 0; k < k_used; ++k) {
                selected[t * k_used + k] = order[k];
                weights[t * k_used + k] = m.arch->normalized_expert_weights ? p[order[k]] / static_cast<float>(sum) : p[order[k]];
            }
        }
    }

    // The mixture of experts on xn (the normed stream) → xn. Each expert runs on the tokens routed
    // to it only, gathered in token order (ggml_mul_mat_id computes the same products row by
    // row); each token's outputs, times their weights, are added in the router's order.
    void moe_ffn(const Layer& L, size_t nt) {
        const size_t k_used = c.n_expert_used;
        std::vector<int32_t> selected;
        std::vector<float> weights;
        route(L, nt, selected, weights);
        std::vector<size_t> slots;  // t · k_used + k of the tokens routed to this expert
        for (uint32_t e = 0; e < c.n_expert; ++e) {
            slots.clear();
            for (size_t i = 0; i < nt * k_used; ++i)
                if (selected[i] == int32_t(e)) slots.push_back(i);
            if (slots.empty()) continue;
            const size_t m = slots.size();
            for (size_t i = 0; i < m; ++i) std::copy_n(xn.data() + (slots[i] / k_used) * ld_embd, ld_embd, gathered.data() + i * ld_embd);
            expert_slots = &slots;
            current_expert = e;
            gated_ffn(L.gate_exps.expert(e), L.up_exps.expert(e), L.down_exps.expert(e), gathered.data(), m, expert_out.data());
            expert_slots = nullptr;
            parallel_for(m, threads, [&](size_t i) {
                const float w = weights[slots[i]];
                float* out = routed_out.data() + slots[i] * ld_embd;
                for (size_t d = 0; d < c.n_embd; ++d) out[d] = expert_out.data()[i * ld_embd + d] * w;
            });
        }
        if (!L.gate_shexp.data) {
            parallel_for(nt, threads, [&](size_t t) { sum_routed(t, xn.data() + t * ld_embd); });
            return;
        }
        // The shared expert: a SwiGLU on every token, times sigmoid(its gate), computed as ggml's
        // silu(g) / g; added after the routed experts' sum.
        std::vector<float> shared_gate(nt);
        product(L.shexp_gate, xn.data(), ld_embd, nt, shared_gate.data(), 1);
        gated_ffn(L.gate_shexp, L.up_shexp, L.down_shexp, xn.data(), nt, expert_out.data());
        parallel_for(nt, threads, [&](size_t t) {
            const float g = shared_gate[t];
            const float sigmoid = numerics == Numerics::ggml ? g / (1.0f + std::exp(-g)) / g : static_cast<float>(1.0 / (1.0 + std::exp(-double(g))));
            float* shared = expert_out.data() + t * ld_embd;
            for (size_t d = 0; d < c.n_embd; ++d) shared[d] *= sigmoid;  // rounded before the sum (ggml_mul, then ggml_add)
            float* out = xn.data() + t * ld_embd;
            sum_routed(t, out);
            add_rounded(out, shared, c.n_embd);
        });
    }

    // out[d] += v[d], kept apart from the products that made v (no fused multiply-add).
    [[gnu::noinline]] static void add_rounded(float* out, const float* v, size_t n) {
        for (size_t d = 0; d < n; ++d) out[d] += v[d];
    }

    // The routed experts' weighted outputs of token t, added in the router's order.
    void sum_routed(size_t t, float* out) const {
        const size_t k_used = c.n_expert_used;
        const float* routed = routed_out.data();
        std::copy_n(routed + t * k_used * ld_embd, c.n_embd, out);
        for (size_t k = 1; k < k_used; ++k)
            for (size_t d = 0; d < c.n_embd; ++d) out[d] += routed[(t * k_used + k) * ld_embd + d];
    }

    // out = down · (act(gate · x) ⊙ up · x) for the nt rows of x (stride ld_embd; out may be x):
    // the dense FFN, each expert and the shared expert. The width is the gate's rows.
    void gated_ffn(const Matrix& w_gate, const Matrix& w_up, const Matrix& w_down, const float* x, size_t nt, float* out) {
        product(w_gate, x, ld_embd, nt, gate.data(), ld_ff);
        product(w_up, x, ld_embd, nt, up.data(), ld_ff, Input::as_before);
        gated_activation(nt, w_gate.rows);
        product(w_down, gate.data(), ld_ff, nt, out, ld_embd);
    }

    // gate = act(gate) ⊙ up over rows of n_ff, the gated feed-forward network's middle.
    void gated_activation(size_t nt, size_t n_ff) {
        const bool ggml = numerics == Numerics::ggml;
        const FfnActivation act = m.arch->activation;
        parallel_for(nt, threads, [&](size_t t) {
            float* g = gate.data() + t * ld_ff;
            const float* u = up.data() + t * ld_ff;
            if (act == FfnActivation::silu) {
                if (ggml) return ggml_silu_mul(g, u, n_ff);
                for (size_t k = 0; k < n_ff; ++k) g[k] = g[k] / (1.0f + std::exp(-g[k])) * u[k];
            } else {
                if (ggml) return ggml_gelu_mul(g, u, n_ff);
                for (size_t k = 0; k < n_ff; ++k) g[k] = gelu_exact(g[k]) * u[k];
            }
        });
    }

    // Runs nt tokens through the model; writes logits for rows [first_out, nt) to `logits`.
    // With `entering`, the pass starts at layer `first_layer` from that residual stream
    // ([nt × n_embd], what `record` saw there) instead of the embeddings; `record`, when set,
    // gets the stream entering each layer l = first_layer … n_layer (n_layer: the final one).
    void forward(std::span<const int32_t> tokens, size_t first_out, float* logits, uint32_t first_layer = 0,
                 const float* entering = nullptr, const std::function<void(uint32_t, const float*, size_t)>& record = {}) {
        const size_t nt = tokens.size();
        if (entering) {
            for (size_t t = 0; t < nt; ++t) std::copy_n(entering + t * c.n_embd, c.n_embd, x.data() + t * ld_embd);
        } else {
            for (size_t t = 0; t < nt; ++t) m.token_embd.decode_rows(size_t(tokens[t]), 1, x.data() + t * ld_embd, ld_embd);
            if (m.arch->embedding_scale) scale_rows(x.data(), ld_embd, nt, c.n_embd, std::sqrt(static_cast<float>(c.n_embd)));
        }
        rope_angles(rope_all, nt);
        rope_angles(rope_window, nt);
        if (observer) {
            observer->batch(nt);
            last_observed.clear();
        }

        for (uint32_t l = first_layer; l < c.n_layer; ++l) {
            if (record) record(l, x.data(), ld_embd);
            const Layer& L = m.layers[l];
            rms_norm(x.data(), ld_embd, nt, c.n_embd, L.attn_norm, c.rms_eps, xn.data(), numerics, threads);
            product(L.wq, xn.data(), ld_embd, nt, q.data(), ld_q);
            // K and V go straight into the caches, or are transposed into them below.
            float* kc = attention_products ? k.data() : k_cache[l].data() + size_t(pos) * kv_dim;
            float* vc = attention_products ? v.data() : v_cache[l].data() + size_t(pos) * kv_dim;
            product(L.wk, xn.data(), ld_embd, nt, kc, kv_dim, Input::as_before);
            product(L.wv, xn.data(), ld_embd, nt, vc, kv_dim, Input::as_before);
            if (!L.bq.empty()) {
                add_bias(q.data(), ld_q, nt, L.bq);
                add_bias(kc, kv_dim, nt, L.bk);
                add_bias(vc, kv_dim, nt, L.bv);
            }
            if (!L.q_norm.empty()) {
                head_norm(q.data(), ld_q, nt, c.n_head, L.q_norm);
                head_norm(kc, kv_dim, nt, c.n_head_kv, L.k_norm);
            }
            rope(rope_of(L), q.data(), ld_q, nt, c.n_head);
            rope(rope_of(L), kc, kv_dim, nt, c.n_head_kv);
            if (m.arch->query_prescale) scale_rows(q.data(), ld_q, nt, q_dim, c.query_scale);
            if (numerics == Numerics::ggml)  // llama.cpp's cache holds F16
                parallel_for(nt, threads, [&](size_t t) {
                    round_row_to_f16(kc + t * kv_dim, kv_dim);
                    round_row_to_f16(vc + t * kv_dim, kv_dim);
                });
            if (attention_products) {
                with_transposed_caches(l, [&](auto* kt, auto* vt) {
                    store_transposed(kt, vt, kc, vc, nt);
                    attention_by_products(L, kt, vt, nt);
                });
            } else {
                attention(l, nt);
            }
            product(L.wo, attn.data(), ld_q, nt, xn.data(), ld_embd);
            if (!L.attn_post_norm.empty())
                rms_norm(xn.data(), ld_embd, nt, c.n_embd, L.attn_post_norm, c.rms_eps, xn.data(), numerics, threads);
            add_rows(x.data(), xn.data(), ld_embd, nt, c.n_embd, threads);

            rms_norm(x.data(), ld_embd, nt, c.n_embd, L.ffn_norm, c.rms_eps, xn.data(), numerics, threads);
            if (L.has_experts()) {
                moe_ffn(L, nt);
            } else {
                gated_ffn(L.gate, L.up, L.down, xn.data(), nt, xn.data());
            }
            if (!L.ffn_post_norm.empty())
                rms_norm(xn.data(), ld_embd, nt, c.n_embd, L.ffn_post_norm, c.rms_eps, xn.data(), numerics, threads);
            add_rows(x.data(), xn.data(), ld_embd, nt, c.n_embd, threads);
        }

        if (record) record(c.n_layer, x.data(), ld_embd);
        if (first_out < nt) {
            const size_t n_out = nt - first_out;
            rms_norm(x.data() + first_out * ld_embd, ld_embd, n_out, c.n_embd, m.output_norm, c.rms_eps, xn.data(), numerics, threads);
            product(m.output, xn.data(), ld_embd, n_out, logits, c.n_vocab);
            if (c.final_softcap > 0)
                parallel_for(n_out, threads, [&](size_t t) { soft_cap(logits + t * c.n_vocab, c.n_vocab, c.final_softcap); });
        }
        pos += static_cast<uint32_t>(nt);
    }
};

Context::Context(const Model& model, uint32_t n_ctx, unsigned threads, uint32_t n_batch, Numerics numerics)
    : state_(std::make_unique<State>(model, n_ctx, threads, n_batch, numerics)) {}
Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

void Context::reset() { state_->pos = 0; }

void Context::observe(ProductObserver* observer) { state_->observer = observer; }
void Context::time_products(ProductSeconds* clock) { state_->product_clock = clock; }
uint32_t Context::position() const { return state_->pos; }
uint32_t Context::n_ctx() const { return state_->n_ctx; }
const Model& Context::model() const { return state_->model; }

std::vector<float> Context::eval(std::span<const int32_t> tokens, bool all_logits) {
    State& s = *state_;
    if (tokens.empty()) return {};
    s.check_tokens(tokens);
    if (tokens.size() > s.n_ctx - s.pos)
        throw Error(fmt::format("{}: {} tokens do not fit in the context ({} of {} positions used)", s.m.name,
                                tokens.size(), s.pos, s.n_ctx));
    const size_t n_vocab = s.c.n_vocab;
    std::vector<float> logits((all_logits ? tokens.size() : 1) * n_vocab);
    for (size_t b = 0; b < tokens.size(); b += s.n_batch) {
        const auto batch = tokens.subspan(b, std::min<size_t>(s.n_batch, tokens.size() - b));
        const bool last = b + batch.size() == tokens.size();
        if (all_logits) s.forward(batch, 0, logits.data() + b * n_vocab);
        else s.forward(batch, last ? batch.size() - 1 : batch.size(), logits.data());
    }
    return logits;
}

namespace {

// A pass that restarts midway must be one batch from position 0: the layers' caches hold only
// this chunk, and the recorded streams cover all of it.
void check_whole_chunk(const Context& context, size_t n_tokens, uint32_t n_batch, const std::string& name) {
    if (context.position() != 0) throw Error(fmt::format("{}: a layer-recording pass starts at position 0 (reset the context)", name));
    if (n_tokens == 0 || n_tokens > n_batch || n_tokens > context.n_ctx())
        throw Error(fmt::format("{}: a layer-recording pass takes 1 to {} tokens in one batch, not {}", name, std::min(n_batch, context.n_ctx()), n_tokens));
}

}  // namespace

std::vector<float> Context::eval_recording(std::span<const int32_t> tokens, std::span<const uint32_t> layers, std::vector<float>& layer_inputs) {
    State& s = *state_;
    check_whole_chunk(*this, tokens.size(), s.n_batch, s.m.name);
    if (!std::is_sorted(layers.begin(), layers.end()) || std::adjacent_find(layers.begin(), layers.end()) != layers.end() ||
        (!layers.empty() && layers.back() > s.c.n_layer))
        throw Error(fmt::format("{}: the layers to record must ascend, each at most {}", s.m.name, s.c.n_layer));
    const size_t nt = tokens.size(), n_embd = s.c.n_embd;
    layer_inputs.assign(layers.size() * nt * n_embd, 0.0f);
    const auto record = [&](uint32_t l, const float* x, size_t ld) {
        const auto at = std::lower_bound(layers.begin(), layers.end(), l);
        if (at == layers.end() || *at != l) return;
        const size_t slot = static_cast<size_t>(at - layers.begin());
        for (size_t t = 0; t < nt; ++t) std::copy_n(x + t * ld, n_embd, layer_inputs.data() + (slot * nt + t) * n_embd);
    };
    s.check_tokens(tokens);
    std::vector<float> logits(nt * s.c.n_vocab);
    s.forward(tokens, 0, logits.data(), 0, nullptr, record);
    return logits;
}

std::vector<float> Context::eval_from_layer(std::span<const int32_t> tokens, uint32_t first_layer, std::span<const float> entering) {
    State& s = *state_;
    check_whole_chunk(*this, tokens.size(), s.n_batch, s.m.name);
    if (first_layer > s.c.n_layer) throw Error(fmt::format("{}: there is no layer {} to start at", s.m.name, first_layer));
    if (entering.size() != tokens.size() * s.c.n_embd)
        throw Error(fmt::format("{}: the stream entering layer {} has {} values, {} expected", s.m.name, first_layer, entering.size(),
                                tokens.size() * s.c.n_embd));
    s.check_tokens(tokens);
    std::vector<float> logits(tokens.size() * s.c.n_vocab);
    s.forward(tokens, 0, logits.data(), first_layer, entering.data());
    return logits;
}

std::string_view numerics_name(Numerics numerics) { return numerics == Numerics::ggml ? "ggml" : "f32"; }

std::optional<Numerics> numerics_from_name(std::string_view name) {
    if (name == "ggml") return Numerics::ggml;
    if (name == "f32") return Numerics::f32;
    return std::nullopt;
}

std::vector<int32_t> generate(Context& context, std::span<const int32_t> prompt, uint32_t max_new,
                              std::optional<int32_t> eos) {
    std::vector<int32_t> out;
    if (max_new == 0) return out;
    std::vector<float> logits = context.eval(prompt, false);
    if (logits.empty()) throw Error(fmt::format("{}: generation needs a prompt of at least one token", context.model().display_name()));
    for (;;) {
        const auto best = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
        if (eos && best == *eos) break;
        out.push_back(best);
        if (out.size() == max_new || context.position() == context.n_ctx()) break;
        logits = context.eval(std::span(&out.back(), 1), false);
    }
    return out;
}

}  // namespace qframe::engine
