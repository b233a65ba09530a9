// qframe_engine: greedy text of a real model, batching and KV cache consistency, the
// instruction-set kernels against each other, weight sources, and errors. The logits are
// checked against an independent NumPy forward pass by numpy_reference.sh.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <vector>

#include "ggml_rounding.hpp"
#include "int8_product.hpp"
#include "int8_weights.hpp"
#include "kernels.hpp"
#include "qframe/codec.hpp"
#include "qframe/engine/model.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/synth.hpp"
#include "temp_dir.hpp"

using namespace qframe;
using namespace qframe::engine;

namespace {

const std::filesystem::path kShared = std::filesystem::path(QFRAME_SOURCE_DIR) / ".." / "shared" / "data" / "models";

bool have_shared(const char* file) {
    if (std::filesystem::exists(kShared / file)) return true;
    WARN("SKIP: " << (kShared / file).string() << " not present");
    std::cout << "SKIP: " << (kShared / file).string() << " not present\n";
    return false;
}

// max_j |a - b| / max_j |b| over each row of n values; the worst row.
double max_rel_error(const std::vector<float>& a, const std::vector<float>& b, size_t n) {
    REQUIRE(a.size() == b.size());
    double worst = 0;
    for (size_t r = 0; r < a.size() / n; ++r) {
        double diff = 0, scale = 0;
        for (size_t j = r * n; j < (r + 1) * n; ++j) {
            diff = std::max(diff, std::abs(double(a[j]) - b[j]));
            scale = std::max(scale, std::abs(double(b[j])));
        }
        worst = std::max(worst, diff / scale);
    }
    return worst;
}

std::vector<int32_t> some_tokens(size_t n, uint32_t n_vocab) {
    std::vector<int32_t> t{1};
    for (size_t i = 1; i < n; ++i) t.push_back(static_cast<int32_t>((i * 7919 + 13) % n_vocab));
    return t;
}

// A synthesized model, written once per test run into a temporary folder.
struct Synth {
    test::TempDir dir;
    std::filesystem::path path;
    explicit Synth(const char* preset) : path(dir / (std::string(preset) + ".gguf")) {
        synthesize_model(*find_synth_preset(preset), 7, path);
    }
};

// Rewrites `file` into `out` with its metadata and tensor list edited.
void rewrite(const GgufFile& file, const std::filesystem::path& out, const std::function<void(Metadata&)>& edit_meta,
             const std::string& drop_tensor = "") {
    GgufLayout layout = layout_of(file);
    edit_meta(layout.metadata);
    std::vector<OutputTensor> tensors;
    for (const auto& t : file.tensors())
        if (t.name != drop_tensor) tensors.push_back(pass_through(file, t));
    write_gguf(out, layout, tensors);
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("stories260K: greedy decoding from BOS writes the known sentence", "[engine][avx2]") {
    if (!have_shared("stories260K.gguf")) return;
    const auto model = Model::load(kShared / "stories260K.gguf");
    const HParams& c = model.config();
    CHECK(c.n_layer == 5);
    CHECK(c.n_embd == 64);
    CHECK(c.n_head == 8);
    CHECK(c.n_head_kv == 4);
    CHECK(c.n_ff == 172);
    CHECK(c.n_vocab == 512);
    CHECK(!c.tied_output);
    REQUIRE(c.bos_token == 1);
    // "Once upon a time, there was a little girl named Lily." tokenized by llama.cpp:
    //   llama-tokenize -m stories260K.gguf -p "Once upon a time, there was a little girl named Lily." --ids
    // printed [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426]
    // (1 is BOS). llama-simple's greedy output from BOS on this model starts with this sentence.
    const std::vector<int32_t> expected{403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
    Context ctx(model, 64, 2);
    const int32_t bos = *c.bos_token;
    const auto out = generate(ctx, std::span(&bos, 1), static_cast<uint32_t>(expected.size()), c.eos_token);
    CHECK(out == expected);
    CHECK(ctx.position() == expected.size());  // BOS + all but the last generated token
}

TEST_CASE("one batch, several batches and token by token give the same logits", "[engine][avx2]") {
    // micro: the smallest llama; gemma2: NEOX rope, soft caps, and a sliding window of 48 that
    // 60 tokens pass, in every layout of batches.
    const char* preset = GENERATE("micro", "gemma2");
    INFO(preset);
    Synth synth(preset);
    const auto model = Model::load(synth.path);
    const uint32_t n_vocab = model.config().n_vocab;
    const auto tokens = some_tokens(std::string_view(preset) == "micro" ? 21 : 60, n_vocab);

    Context whole(model, 64, 2);
    const auto all = whole.eval(tokens, true);
    REQUIRE(all.size() == tokens.size() * n_vocab);
    CHECK(whole.position() == tokens.size());

    Context chunked(model, 64, 1, 4);  // batches of 4 (micro: 4+4+4+4+4+1)
    const auto by_chunks = chunked.eval(tokens, true);
    CHECK(max_rel_error(by_chunks, all, n_vocab) < 1e-6);

    Context stepwise(model, 64, 2);
    std::vector<float> steps;
    for (int32_t t : tokens) {
        const auto row = stepwise.eval(std::span(&t, 1), false);
        REQUIRE(row.size() == n_vocab);
        steps.insert(steps.end(), row.begin(), row.end());
    }
    CHECK(max_rel_error(steps, all, n_vocab) < 1e-6);

    // Only the last row when all_logits is false; reset() starts over.
    whole.reset();
    CHECK(whole.position() == 0);
    const auto last = whole.eval(tokens, false);
    const std::vector<float> last_of_all(all.end() - n_vocab, all.end());
    CHECK(max_rel_error(last, last_of_all, n_vocab) < 1e-6);
    CHECK(whole.eval({}, true).empty());
}

TEST_CASE("phi3: the short rope factors up to the original context, the long ones beyond", "[engine]") {
    Synth synth("phi3");  // original context 4096
    const auto model = Model::load(synth.path);
    const auto tokens = some_tokens(12, model.config().n_vocab);
    const auto at = [&](uint32_t n_ctx) { return Context(model, n_ctx, 2, 16).eval(tokens, true); };
    const auto short_a = at(64), short_b = at(4096), long_ctx = at(4097);
    CHECK(short_a == short_b);  // the cache's size changes nothing else
    const size_t n_vocab = model.config().n_vocab;
    // Position 0 is not rotated; every later one is, by other angles.
    CHECK(std::equal(short_a.begin(), short_a.begin() + n_vocab, long_ctx.begin()));
    CHECK(max_rel_error(std::vector<float>(short_a.begin() + n_vocab, short_a.end()),
                        std::vector<float>(long_ctx.begin() + n_vocab, long_ctx.end()), n_vocab) > 1e-3);
}

// The sweep restarts a candidate's pass at its first changed layer from the baseline's stream:
// that must be the very pass a full evaluation makes, bit for bit, for every starting layer.
TEST_CASE("a pass restarted at any layer from the recorded stream gives the full pass's logits bit for bit", "[engine]") {
    Synth synth("tinyllama");
    const auto model = Model::load(synth.path);
    const uint32_t n_vocab = model.config().n_vocab, n_embd = model.config().n_embd, n_layer = model.config().n_layer;
    const auto tokens = some_tokens(40, n_vocab);
    Context context(model, 64, 2);
    const auto full = context.eval(tokens, true);

    context.reset();
    std::vector<float> streams;
    std::vector<uint32_t> every(n_layer + 1);
    std::iota(every.begin(), every.end(), 0u);
    const auto recorded = context.eval_recording(tokens, every, streams);
    REQUIRE(streams.size() == size_t(n_layer + 1) * tokens.size() * n_embd);
    CHECK(std::memcmp(recorded.data(), full.data(), full.size() * sizeof(float)) == 0);
    {  // a subset of the layers: the same streams, packed
        context.reset();
        std::vector<float> some;
        const std::vector<uint32_t> layers = {1, n_layer};
        context.eval_recording(tokens, layers, some);
        REQUIRE(some.size() == 2 * tokens.size() * n_embd);
        const size_t n = tokens.size() * n_embd;
        CHECK(std::memcmp(some.data(), streams.data() + n, n * sizeof(float)) == 0);
        CHECK(std::memcmp(some.data() + n, streams.data() + size_t(n_layer) * n, n * sizeof(float)) == 0);
        context.reset();
        const std::vector<uint32_t> unordered = {2, 1};
        CHECK_THROWS_WITH(context.eval_recording(tokens, unordered, some), Catch::Contains("must ascend"));
    }
    for (uint32_t l = 0; l <= n_layer; ++l) {
        context.reset();
        const std::span<const float> entering(streams.data() + size_t(l) * tokens.size() * n_embd, tokens.size() * n_embd);
        const auto restarted = context.eval_from_layer(tokens, l, entering);
        REQUIRE(restarted.size() == full.size());
        CHECK(std::memcmp(restarted.data(), full.data(), full.size() * sizeof(float)) == 0);
    }
    // Only whole chunks from position 0, and a stream of the right size.
    CHECK_THROWS_WITH(context.eval_from_layer(tokens, 1, {streams.data(), tokens.size() * n_embd}), Catch::Contains("starts at position 0"));
    context.reset();
    CHECK_THROWS_WITH(context.eval_from_layer(tokens, 1, {streams.data(), 7}), Catch::Contains("has 7 values"));
    CHECK_THROWS_WITH(context.eval_from_layer(tokens, n_layer + 1, {streams.data(), tokens.size() * n_embd}), Catch::Contains("no layer"));
}

TEST_CASE("every instruction set's kernels agree with a double-precision product", "[engine]") {
    using namespace qframe::engine::kernels;
    const size_t n = 80, rows = 11, tokens = 9;  // odd counts reach every leftover tile
    std::vector<float> w(rows * n), x(tokens * n);
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * i);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * i);
    for (const char* name : {"generic", "avx2", "avx512"}) {
        const Ops* ops = ops_by_name(name);
        if (!ops) continue;
        INFO(name);
        std::vector<float> y(tokens * rows, -1.0f);
        ops->dot_block(w.data(), n, rows, x.data(), n, tokens, n, y.data(), rows);
        for (size_t t = 0; t < tokens; ++t)
            for (size_t r = 0; r < rows; ++r) {
                double ref = 0;
                for (size_t k = 0; k < n; ++k) ref += double(w[r * n + k]) * x[t * n + k];
                CHECK(std::abs(y[t * rows + r] - ref) < 1e-4);
            }
        if (ops->dot_block_f16) {  // F16 rows in place: dot_block of the widened values, bit for bit (n fits one slice of either)
            std::vector<uint16_t> w16(w.size());
            std::vector<float> widened(w.size());
            for (size_t i = 0; i < w.size(); ++i) {
                const _Float16 h = static_cast<_Float16>(w[i]);
                std::memcpy(&w16[i], &h, 2);
                widened[i] = static_cast<float>(h);
            }
            std::vector<float> a(tokens * rows), b(tokens * rows);
            ops->dot_block(widened.data(), n, rows, x.data(), n, tokens, n, a.data(), rows);
            ops->dot_block_f16(w16.data(), n, rows, x.data(), n, tokens, n, b.data(), rows);
            CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
        }
    }
    CHECK(ops_by_name("generic") != nullptr);
    CHECK(ops_by_name("no-such-isa") == nullptr);
}

// Each output is summed in one fixed order (per lane along k, slices in order, each lane sum a
// fixed tree), whichever register tile computes it: a full tile, a leftover row or token, or a
// batch of one. Long rows cross several slices of both the F32 and the F16 kernels.
TEST_CASE("a product's value does not depend on the tile or batch that computes it", "[engine]") {
    using namespace qframe::engine::kernels;
    const size_t n = 16400, rows = 11, tokens = 9;  // > 16384, F16's slice
    std::vector<float> w(rows * n), x(tokens * n);
    std::vector<uint16_t> w16(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
        const _Float16 h = static_cast<_Float16>(std::sin(0.37f * i) * (1 + i % 7));
        std::memcpy(&w16[i], &h, 2);
        w[i] = static_cast<float>(h);
    }
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * i) / (1 + i % 5);
    for (const char* name : {"generic", "avx2", "avx512"}) {
        const Ops* ops = ops_by_name(name);
        if (!ops) continue;
        INFO(name);
        std::vector<float> all(tokens * rows), one(1);
        ops->dot_block(w.data(), n, rows, x.data(), n, tokens, n, all.data(), rows);
        for (size_t t = 0; t < tokens; ++t)
            for (size_t r = 0; r < rows; ++r) {
                ops->dot_block(w.data() + r * n, n, 1, x.data() + t * n, n, 1, n, one.data(), 1);
                CHECK(std::memcmp(&one[0], &all[t * rows + r], sizeof(float)) == 0);
            }
        // Transposed weights (one row of `rows` values per k, padded to 48): every output one
        // fixed order along k (16 chains and their tree), for any tile of positions and tokens;
        // F16 the same values widened.
        const size_t ldt = 48;
        std::vector<float> wt(n * ldt, 0.0f);
        std::vector<uint16_t> wt16(n * ldt, 0);
        for (size_t r = 0; r < rows; ++r)
            for (size_t k = 0; k < n; ++k) {
                wt[k * ldt + r] = w[r * n + k];
                wt16[k * ldt + r] = w16[r * n + k];
            }
        std::vector<float> all_t(tokens * ldt), one_t(ldt);
        ops->dot_block_t(wt.data(), ldt, rows, x.data(), n, tokens, n, all_t.data(), ldt);
        for (size_t t = 0; t < tokens; ++t) {
            ops->dot_block_t(wt.data(), ldt, rows, x.data() + t * n, n, 1, n, one_t.data(), ldt);
            CHECK(std::memcmp(one_t.data(), &all_t[t * ldt], rows * sizeof(float)) == 0);
            for (size_t r = 0; r < rows; ++r) {
                double ref = 0;
                for (size_t k = 0; k < n; ++k) ref += double(w[r * n + k]) * x[t * n + k];
                CHECK(std::abs(all_t[t * ldt + r] - ref) < 1e-3);
            }
            if (!ops->dot_block_t_f16) continue;
            ops->dot_block_t_f16(wt16.data(), ldt, rows, x.data() + t * n, n, 1, n, one_t.data(), ldt);
            CHECK(std::memcmp(one_t.data(), &all_t[t * ldt], rows * sizeof(float)) == 0);
        }
        if (!ops->dot_block_f16) continue;
        ops->dot_block_f16(w16.data(), n, rows, x.data(), n, tokens, n, all.data(), rows);
        for (size_t t = 0; t < tokens; ++t)
            for (size_t r = 0; r < rows; ++r) {
                ops->dot_block_f16(w16.data() + r * n, n, 1, x.data() + t * n, n, 1, n, one.data(), 1);
                CHECK(std::memcmp(&one[0], &all[t * rows + r], sizeof(float)) == 0);
                double ref = 0;
                for (size_t k = 0; k < n; ++k) ref += double(w[r * n + k]) * x[t * n + k];
                CHECK(std::abs(one[0] - ref) < 1e-3);
            }
    }
}

TEST_CASE("the kernels' fast decoders give qframe::decode's values bit for bit", "[engine]") {
    using namespace qframe::engine::kernels;
    // Random bytes: every F16 / BF16 pattern class appears (subnormals, infinities, NaNs).
    uint64_t state = 0x9e3779b97f4a7c15ull;
    std::vector<std::byte> bytes(34 * 4096);
    for (auto& b : bytes) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        b = std::byte(state >> 56);
    }
    for (TensorType type : {TensorType::F16, TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_K}) {
        const TypeInfo& info = type_info(type);
        for (size_t n_blocks : {size_t(1), size_t(15), size_t(17), size_t(333)}) {
            const size_t n = n_blocks * info.block_size;
            const auto src = std::span(bytes).first(*byte_size(info, n));
            std::vector<float> want(n);
            qframe::decode(type, src, want);
            for (const char* name : {"generic", "avx2", "avx512"}) {
                const Ops* ops = ops_by_name(name);
                if (!ops) continue;
                std::vector<float> got(n, 12345.0f);
                if (!ops->decode(type, src.data(), got.data(), n_blocks)) continue;  // falls back to qframe::decode
                INFO(name << " " << info.name << " " << n_blocks << " blocks");
                size_t differ = 0;
                for (size_t i = 0; i < n; ++i)
                    if (std::memcmp(&got[i], &want[i], 4) != 0) ++differ;
                CHECK(differ == 0);
            }
        }
    }
}

TEST_CASE("ggml numerics: activations take the values of ggml's quantized copies", "[engine]") {
    CHECK(activation_type(TensorType::Q4_K) == ActivationType::Q8_K);
    CHECK(activation_type(TensorType::Q6_K) == ActivationType::Q8_K);
    CHECK(activation_type(TensorType::Q4_0) == ActivationType::Q8_0);
    CHECK(activation_type(TensorType::Q8_0) == ActivationType::Q8_0);
    CHECK(activation_type(TensorType::Q5_1) == ActivationType::Q8_1);
    CHECK(activation_type(TensorType::F16) == ActivationType::F16);
    CHECK(activation_type(TensorType::BF16) == ActivationType::BF16);
    CHECK(activation_type(TensorType::F32) == ActivationType::F32);

    std::vector<float> x(1024);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.7f * i) * (1.0f + 0.01f * i);

    // Q8_0: ggml's x86 quantizer scales by 127/amax where the reference (qframe's Q8_0 encoder,
    // bit-exact to ggml's quantize_row_q8_0_ref) multiplies by 1/d: the same codes but for ties.
    std::vector<float> q8_0 = x;
    round_activations(ActivationType::Q8_0, q8_0.data(), q8_0.size());
    std::vector<std::byte> bytes(x.size() / 32 * 34);
    encode(TensorType::Q8_0, x, bytes);
    std::vector<float> reference(x.size());
    decode(TensorType::Q8_0, bytes, reference);
    size_t same = 0;
    for (size_t i = 0; i < x.size(); ++i) same += q8_0[i] == reference[i];
    CHECK(same >= x.size() - 2);

    // Q8_K: 256-blocks, 255 levels, the largest magnitude kept (up to the float 1/iscale).
    std::vector<float> q8_k = x;
    q8_k[300] = -40.0f;  // the second block's extreme is negative
    const std::vector<float> before = q8_k;
    std::fill(q8_k.begin() + 512, q8_k.begin() + 768, 0.0f);  // an all-zero block stays zero
    round_activations(ActivationType::Q8_K, q8_k.data(), q8_k.size());
    CHECK(std::abs(q8_k[300] + 40.0f) < 1e-5f);
    for (size_t b = 0; b < 4; ++b) {
        float amax = 0;
        for (size_t i = b * 256; i < (b + 1) * 256; ++i) amax = std::max(amax, std::abs(b == 2 ? 0.0f : before[i]));
        const float step = amax / 127;
        for (size_t i = b * 256; i < (b + 1) * 256; ++i) {
            if (b == 2) { CHECK(q8_k[i] == 0.0f); continue; }
            CHECK(std::abs(q8_k[i] - before[i]) <= step * 0.5001f);
            const float level = q8_k[i] / step;
            CHECK(std::abs(level - std::round(level)) < 1e-3f);
        }
    }

    // F16 and BF16: round to nearest even; the integer F16 rounding is the compiler's conversion
    // for normal, subnormal, overflowing and tie values.
    std::vector<float> probes{0.0f, -0.0f, 1e-8f, 2.98e-8f, 0x1p-25f, 0x1.8p-24f, 0x1p-14f, 0x1.ffcp-15f, 65504.0f, 65519.99f,
                              65520.0f, -70000.0f, 3.14159f, -2.71828e-3f};
    for (int i = 0; i < 200000; ++i) probes.push_back(std::ldexp(std::sin(0.731f * i), (i % 60) - 30));
    for (float v : probes) {
        INFO(v);
        const float want = static_cast<float>(static_cast<_Float16>(v));
        const float got = round_to_f16(v);
        CHECK(std::memcmp(&want, &got, 4) == 0);
    }
    CHECK(std::isinf(round_to_f16(std::numeric_limits<float>::infinity())));
    CHECK(std::isnan(round_to_f16(std::numeric_limits<float>::quiet_NaN())));
    CHECK(round_to_f16(1.0f + 0x1p-11f) == 1.0f);
    CHECK(round_to_f16(1.0f + 0x1.8p-11f) == 1.0f + 0x1p-10f);
    CHECK(round_to_f16(65519.0f) == 65504.0f);
    // Every F16 value's bits back from its float (NaNs: a quiet NaN of the same sign).
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const auto bits = static_cast<uint16_t>(h);
        const float f = static_cast<float>(std::bit_cast<_Float16>(bits));
        INFO(h);
        if (std::isnan(f)) CHECK((f16_bits_of_exact(f) & 0xfe00u) == (bits & 0x8000u) + 0x7e00u);
        else CHECK(f16_bits_of_exact(f) == bits);
    }
    std::vector<float> bf{1.0f + 0x1p-8f, 1.0f + 0x1.8p-8f, -3.0f};
    round_activations(ActivationType::BF16, bf.data(), bf.size());
    CHECK(bf == std::vector<float>{1.0f, 1.0f + 0x1p-7f, -3.0f});
}

TEST_CASE("quantized-domain products equal the rounded activations times the decoded weights", "[engine][avx2]") {
    const size_t n = 512, rows = 21, tokens = 9;  // 16 + 5 rows, 6 + 3 tokens: every leftover
    std::vector<float> w(rows * n), x(tokens * n);
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * i) * (1 + (i % 97) * 0.01f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * i) * (1 + (i % 13) * 0.1f);
    for (TensorType type : {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q5_0, TensorType::Q4_1, TensorType::Q5_1, TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                            TensorType::Q6_K, TensorType::IQ4_NL, TensorType::IQ4_XS, TensorType::IQ2_S, TensorType::IQ3_XXS, TensorType::IQ3_S,
                            TensorType::IQ1_M, TensorType::TQ1_0, TensorType::TQ2_0}) {
        INFO(type_name(type));
        const auto encoded = test::encode_for_int8(type, w, n);
        if (!encoded) continue;
        const auto& [bytes, row_bytes] = *encoded;
        std::vector<float> decoded(w.size());
        decode(type, bytes, decoded);
        const ActivationType act = activation_type(type);
        std::vector<float> rounded = x;
        round_activations(act, rounded.data(), rounded.size());

        int8::Activations quantized;
        int8::quantize(act, x.data(), n, tokens, n, 2, quantized);
        std::vector<float> y(tokens * rows, -1.0f);
        int8::Panel panel;
        for (size_t r0 = 0; r0 < rows; r0 += int8::kRows) {
            const size_t nr = std::min(int8::kRows, rows - r0);
            int8::unpack(type, bytes.data() + r0 * row_bytes, row_bytes, nr, n, panel);
            int8::product(panel, quantized, nr, y.data() + r0, rows);
        }
        double worst = 0;
        for (size_t t = 0; t < tokens; ++t)
            for (size_t r = 0; r < rows; ++r) {
                double ref = 0, scale = 0;
                for (size_t k = 0; k < n; ++k) {
                    ref += double(decoded[r * n + k]) * rounded[t * n + k];
                    scale += std::abs(double(decoded[r * n + k]) * rounded[t * n + k]);
                }
                if (act == ActivationType::Q8_1)  // a block's min m (after d) multiplies ggml's F16 block sum s
                    for (size_t b = 0; b < n / 32; ++b) {
                        _Float16 m;
                        std::memcpy(&m, bytes.data() + r * row_bytes + b * (row_bytes / (n / 32)) + 2, 2);
                        double sum = 0;
                        for (size_t k = 32 * b; k < 32 * b + 32; ++k) sum += rounded[t * n + k];
                        ref += double(m) * (quantized.s[t * (n / 32) + b] - sum);
                    }
                worst = std::max(worst, std::abs(y[t * rows + r] - ref) / scale);
            }
        CHECK(worst < 1e-6);

        // The AVX2 kernel (CPUs without VNNI) gives the same floats as the one chosen here.
#if defined(__x86_64__)
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            std::vector<float> y2(tokens * rows, -2.0f);
            for (size_t r0 = 0; r0 < rows; r0 += int8::kRows) {
                const size_t nr = std::min(int8::kRows, rows - r0);
                int8::unpack(type, bytes.data() + r0 * row_bytes, row_bytes, nr, n, panel);
                int8::product_avx2(int8::view(panel), int8::view(quantized), nr, y2.data() + r0, rows);
            }
            CHECK(std::memcmp(y.data(), y2.data(), y.size() * sizeof(float)) == 0);
        }
#endif

        // Small batches go row by row without a panel (AVX-512 VNNI): the same floats, bit for bit.
        const size_t few = std::min(tokens, int8::small_batch(type));
        if (few == 0) continue;  // AVX2, or no row kernel for the type: every batch builds panels
        int8::Activations some;
        int8::quantize(act, x.data(), n, few, n, 1, some);
        std::vector<float> by_panel(few * rows), by_rows(few * rows);
        for (size_t r0 = 0; r0 < rows; r0 += int8::kRows) {
            const size_t nr = std::min(int8::kRows, rows - r0);
            int8::unpack(type, bytes.data() + r0 * row_bytes, row_bytes, nr, n, panel);
            int8::product(panel, some, nr, by_panel.data() + r0, rows);
        }
        int8::product_rows(type, bytes.data(), row_bytes, rows, some, by_rows.data(), rows);
        CHECK(std::memcmp(by_panel.data(), by_rows.data(), by_rows.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("ggml and f32 numerics: close, not equal, f32 is the reference arithmetic", "[engine]") {
    Synth synth("micro");  // Q8_0 matrices
    const auto model = Model::load(synth.path);
    const uint32_t n_vocab = model.config().n_vocab;
    const auto tokens = some_tokens(12, n_vocab);
    const auto ggml = Context(model, 16, 2, 16, Numerics::ggml).eval(tokens, true);
    const auto f32 = Context(model, 16, 2, 16, Numerics::f32).eval(tokens, true);
    const double differ = max_rel_error(ggml, f32, n_vocab);
    CHECK(differ > 1e-6);
    CHECK(differ < 5e-2);
    CHECK(numerics_from_name("ggml") == Numerics::ggml);
    CHECK(numerics_from_name("f32") == Numerics::f32);
    CHECK(!numerics_from_name("f16"));
    CHECK(numerics_name(Numerics::f32) == "f32");
}

TEST_CASE("a weight source replaces tensors of the file", "[engine]") {
    Synth synth("micro");
    const auto file = GgufFile::open(synth.path);
    const auto tokens = some_tokens(6, 300);
    // F32 numerics: with ggml's, an F32 matrix's activations are not rounded as a Q8_0 one's.
    const auto reference = Context(Model::load(file), 8, 1, 8, Numerics::f32).eval(tokens, true);

    // The same values as F32 from the source: same logits.
    const TensorInfo& q = *file.find_tensor("blk.0.attn_q.weight");
    auto values = std::make_shared<std::vector<float>>(file.decode(q));
    int calls = 0;
    WeightSource as_f32 = [&](std::string_view name) -> std::optional<TensorData> {
        if (name != "blk.0.attn_q.weight") return std::nullopt;
        ++calls;
        return TensorData{TensorType::F32, q.dims, std::as_bytes(std::span(*values)), values};
    };
    Model model = Model::load(file, as_f32);
    CHECK(calls >= 1);
    values.reset();  // the model keeps the owner alive
    const auto same = Context(model, 8, 2, 8, Numerics::f32).eval(tokens, true);
    CHECK(max_rel_error(same, reference, 300) < 1e-5);

    // Other values: other logits.
    auto zeros = std::make_shared<std::vector<float>>(q.n_values, 0.0f);
    WeightSource zero_q = [&](std::string_view name) -> std::optional<TensorData> {
        if (name != "blk.0.attn_q.weight") return std::nullopt;
        return TensorData{TensorType::F32, q.dims, std::as_bytes(std::span(*zeros)), zeros};
    };
    const auto changed = Context(Model::load(file, zero_q), 8, 2, 8, Numerics::f32).eval(tokens, true);
    CHECK(max_rel_error(changed, reference, 300) > 1e-3);
}

TEST_CASE("without output.weight the token embedding is the output matrix", "[engine]") {
    Synth synth("micro");
    const auto file = GgufFile::open(synth.path);
    test::TempDir dir;
    rewrite(file, dir / "tied.gguf", [](Metadata&) {}, "output.weight");
    const auto tied = Model::load(dir / "tied.gguf");
    CHECK(tied.config().tied_output);
    // The same as the full file whose output.weight is replaced by token_embd's bytes.
    const TensorInfo& embd = *file.find_tensor("token_embd.weight");
    WeightSource source = [&](std::string_view n) -> std::optional<TensorData> {
        if (n != "output.weight") return std::nullopt;
        return TensorData{embd.type->type, embd.dims, embd.data, nullptr};
    };
    const auto tokens = some_tokens(5, 300);
    const auto a = Context(tied, 8, 1).eval(tokens, true);
    const auto b = Context(Model::load(file, source), 8, 1).eval(tokens, true);
    CHECK(max_rel_error(a, b, 300) < 1e-6);
}

TEST_CASE("bad models and bad calls are one qframe::Error naming the file", "[engine]") {
    Synth synth("micro");
    const auto file = GgufFile::open(synth.path);
    const std::string name = file.display_name();
    test::TempDir dir;

    SECTION("another architecture") {
        rewrite(file, dir / "gpt2.gguf", [](Metadata& m) { m.set("general.architecture", Value::string("gpt2")); });
        const auto msg = error_of([&] { Model::load(dir / "gpt2.gguf"); });
        CHECK_THAT(msg, Catch::Contains("gpt2.gguf") && Catch::Contains("architecture 'gpt2' is not supported") &&
                            Catch::Contains("it runs llama, qwen2, qwen2moe, qwen3, qwen3moe, gemma, gemma2, gemma3, phi3"));
    }
    SECTION("a qwen2 model without its attention biases") {
        Synth qwen("qwen2");
        const auto q = GgufFile::open(qwen.path);
        rewrite(q, dir / "nobias.gguf", [](Metadata&) {}, "blk.1.attn_k.bias");
        CHECK_THAT(error_of([&] { Model::load(dir / "nobias.gguf"); }),
                   Catch::Contains("nobias.gguf") && Catch::Contains("tensor 'blk.1.attn_k.bias' is missing"));
    }
    SECTION("a mixture of experts with impossible counts") {
        Synth moe("mixtral");
        const auto f = GgufFile::open(moe.path);
        rewrite(f, dir / "used.gguf", [](Metadata& m) { m.set("llama.expert_used_count", Value::u32(5)); });
        CHECK_THAT(error_of([&] { Model::load(dir / "used.gguf"); }),
                   Catch::Contains("'llama.expert_used_count' is 5: a token is routed to 1 to 4 ('llama.expert_count') experts"));
        rewrite(f, dir / "none.gguf", [](Metadata& m) { m.set("llama.expert_count", Value::u32(0)); });
        CHECK_THAT(error_of([&] { Model::load(dir / "none.gguf"); }),
                   Catch::Contains("'llama.expert_used_count' is set, but 'llama.expert_count' is 0 or missing"));
        rewrite(f, dir / "more.gguf", [](Metadata& m) { m.set("llama.expert_count", Value::u32(8)); });
        CHECK_THAT(error_of([&] { Model::load(dir / "more.gguf"); }),
                   Catch::Contains("tensor 'blk.0.ffn_gate_inp.weight' has shape 256 x 4, expected 256 x 8"));
        rewrite(f, dir / "norouter.gguf", [](Metadata&) {}, "blk.2.ffn_gate_inp.weight");
        CHECK_THAT(error_of([&] { Model::load(dir / "norouter.gguf"); }),
                   Catch::Contains("tensor 'blk.2.ffn_gate_inp.weight' is missing"));
        Synth qwen("qwen2");
        rewrite(GgufFile::open(qwen.path), dir / "qmoe.gguf", [](Metadata& m) { m.set("qwen2.expert_count", Value::u32(4)); });
        CHECK_THAT(error_of([&] { Model::load(dir / "qmoe.gguf"); }), Catch::Contains("mixture-of-experts qwen2 models are not supported"));
    }
    SECTION("keys under the architecture's own prefix") {
        Synth gemma("gemma2");
        const auto g = GgufFile::open(gemma.path);
        rewrite(g, dir / "nokv.gguf", [](Metadata& m) { m.erase("gemma2.attention.layer_norm_rms_epsilon"); });
        CHECK_THAT(error_of([&] { Model::load(dir / "nokv.gguf"); }),
                   Catch::Contains("'gemma2.attention.layer_norm_rms_epsilon' is missing"));
        rewrite(g, dir / "cap.gguf", [](Metadata& m) { m.set("gemma2.attn_logit_softcapping", Value::f32(-1.0f)); });
        CHECK_THAT(error_of([&] { Model::load(dir / "cap.gguf"); }),
                   Catch::Contains("'gemma2.attn_logit_softcapping' is -1, out of range"));
        rewrite(g, dir / "nopost.gguf", [](Metadata&) {}, "blk.3.post_ffw_norm.weight");
        CHECK_THAT(error_of([&] { Model::load(dir / "nopost.gguf"); }),
                   Catch::Contains("tensor 'blk.3.post_ffw_norm.weight' is missing"));
    }
    SECTION("a missing key") {
        rewrite(file, dir / "nokey.gguf", [](Metadata& m) { m.erase("llama.block_count"); });
        CHECK_THAT(error_of([&] { Model::load(dir / "nokey.gguf"); }),
                   Catch::Contains("nokey.gguf") && Catch::Contains("'llama.block_count' is missing"));
    }
    SECTION("a missing tensor") {
        rewrite(file, dir / "missing.gguf", [](Metadata&) {}, "blk.0.ffn_up.weight");
        CHECK_THAT(error_of([&] { Model::load(dir / "missing.gguf"); }),
                   Catch::Contains("missing.gguf") && Catch::Contains("tensor 'blk.0.ffn_up.weight' is missing"));
    }
    SECTION("a type that cannot be decoded") {
        const TensorInfo& t = *file.find_tensor("blk.0.attn_k.weight");
        std::vector<std::byte> bytes(*byte_size(type_info(TensorType::Q8_K), t.n_values));
        WeightSource source = [&](std::string_view n) -> std::optional<TensorData> {
            if (n != t.name) return std::nullopt;
            return TensorData{TensorType::Q8_K, t.dims, bytes, nullptr};
        };
        CHECK_THAT(error_of([&] { Model::load(file, source); }),
                   Catch::Contains(name) && Catch::Contains("type Q8_K, which qframe cannot decode"));
    }
    SECTION("a wrong shape") {
        const TensorInfo& t = *file.find_tensor("blk.0.attn_k.weight");
        std::vector<float> values(t.n_values);
        WeightSource source = [&](std::string_view n) -> std::optional<TensorData> {
            if (n != t.name) return std::nullopt;
            return TensorData{TensorType::F32, {t.dims[1], t.dims[0]}, std::as_bytes(std::span(values)), nullptr};
        };
        CHECK_THAT(error_of([&] { Model::load(file, source); }),
                   Catch::Contains(name) && Catch::Contains("has shape 16 x 32, expected 32 x 16"));
    }
    SECTION("bytes that do not match the shape") {
        const TensorInfo& t = *file.find_tensor("blk.0.attn_k.weight");
        std::vector<float> values(t.n_values - 1);
        WeightSource source = [&](std::string_view n) -> std::optional<TensorData> {
            if (n != t.name) return std::nullopt;
            return TensorData{TensorType::F32, t.dims, std::as_bytes(std::span(values)), nullptr};
        };
        CHECK_THAT(error_of([&] { Model::load(file, source); }), Catch::Contains("bytes for 32 x 16 F32 values"));
    }
    SECTION("tokens out of range and context overflow leave the context usable") {
        Context ctx(Model::load(file), 4, 1);
        const std::vector<int32_t> bad{1, 300};
        CHECK_THAT(error_of([&] { ctx.eval(bad); }), Catch::Contains(name) && Catch::Contains("token 300"));
        const std::vector<int32_t> five{1, 2, 3, 4, 5};
        CHECK_THAT(error_of([&] { ctx.eval(five); }), Catch::Contains("do not fit in the context"));
        CHECK(ctx.position() == 0);
        CHECK(ctx.eval(std::span(five).first(4)).size() == 300);
        CHECK_THAT(error_of([&] { ctx.eval(std::span(five).first(1)); }), Catch::Contains("4 of 4 positions used"));
    }
}
