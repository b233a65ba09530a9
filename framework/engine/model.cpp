// Loading a model: the architecture's row (arch.hpp), hyperparameters from its `{arch}.*` keys,
// every weight checked for presence, type and shape (as llama.cpp's create_tensor does), nothing
// decoded but the small vectors (norms, biases, rope factors).
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "kernels.hpp"
#include "model_impl.hpp"
#include "qframe/codec.hpp"
#include "qframe/error.hpp"

namespace qframe::engine {

void Matrix::decode_rows(size_t r0, size_t n, float* out, size_t ld) const {
    const std::byte* src = data + r0 * row_bytes;
    const kernels::Ops& ops = kernels::ops();
    const size_t blocks = cols / type_info(type).block_size;  // per row
    if (ld == cols) {  // the rows are contiguous: one call
        if (!ops.decode(type, src, out, n * blocks)) qframe::decode(type, {src, n * row_bytes}, {out, n * cols});
        return;
    }
    for (size_t r = 0; r < n; ++r) {
        float* row = out + r * ld;
        if (!ops.decode(type, src + r * row_bytes, row, blocks)) qframe::decode(type, {src + r * row_bytes, row_bytes}, {row, cols});
        std::memset(row + cols, 0, (ld - cols) * sizeof(float));
    }
}

Matrix Matrix::row_range(size_t r0, size_t n) const {
    Matrix m = *this;
    m.rows = n;
    m.data = data + r0 * row_bytes;
    return m;
}

const float* Matrix::direct() const {
    if (type != TensorType::F32 || cols % kernels::kPad != 0) return nullptr;
    if (reinterpret_cast<uintptr_t>(data) % alignof(float) != 0) return nullptr;
    return reinterpret_cast<const float*>(data);
}

namespace {

std::string dims_text(const std::vector<uint64_t>& dims) {
    return dims.empty() ? std::string("a scalar") : fmt::format("{}", fmt::join(dims, " x "));
}

class Loader {
public:
    Loader(const GgufFile& file, WeightSource source, Model::Impl& impl)
        : file_(file), source_(std::move(source)), impl_(impl) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(fmt::format("{}: {}", file_.display_name(), what));
    }

    // ---- metadata ----
    const Value* key(const std::string& name) const { return file_.metadata().find(name); }

    std::optional<uint64_t> get_uint(const std::string& name) const {
        const Value* v = key(name);
        if (!v) return std::nullopt;
        if (v->is_array()) fail(fmt::format("metadata '{}' is an array (per-layer values are not supported)", name));
        try {
            return v->as_u64();
        } catch (const std::exception& e) {
            fail(fmt::format("metadata '{}': {}", name, e.what()));
        }
    }
    uint32_t require_uint(const std::string& name) const {
        const auto v = get_uint(name);
        if (!v) fail(fmt::format("metadata '{}' is missing", name));
        if (*v == 0 || *v > (1u << 30)) fail(fmt::format("metadata '{}' is {}, out of range", name, *v));
        return static_cast<uint32_t>(*v);
    }
    std::optional<double> get_float(const std::string& name) const {
        const Value* v = key(name);
        if (!v) return std::nullopt;
        try {
            return v->as_double();
        } catch (const std::exception& e) {
            fail(fmt::format("metadata '{}': {}", name, e.what()));
        }
    }
    std::optional<int32_t> get_token(const std::string& name) const {
        const Value* v = key(name);
        if (!v) return std::nullopt;
        try {
            const int64_t id = v->as_i64();
            if (id < 0 || id > INT32_MAX) return std::nullopt;
            return static_cast<int32_t>(id);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }

    // ---- tensors ----
    struct View {
        TensorType type;
        std::vector<uint64_t> dims;
        std::span<const std::byte> bytes;
    };

    std::optional<View> find(const std::string& name) {
        if (source_) {
            if (auto data = source_(name)) {
                const std::string where = fmt::format("tensor '{}' (from the weight source)", name);
                const TypeInfo* info = find_type(static_cast<uint32_t>(data->type));
                if (!info) fail(fmt::format("{} has an unknown type id {}", where, static_cast<uint32_t>(data->type)));
                check_decodable(where, data->type, info->name);
                uint64_t n = 1;
                for (uint64_t d : data->dims) n *= d;
                const auto size = byte_size(*info, n);
                if (data->dims.empty() || !size || *size != data->bytes.size())
                    fail(fmt::format("{}: {} bytes for {} {} values", where, data->bytes.size(), dims_text(data->dims), info->name));
                if (data->owner) impl_.owners.push_back(data->owner);
                impl_.weight_bytes += data->bytes.size();
                return View{data->type, std::move(data->dims), data->bytes};
            }
        }
        const TensorInfo* t = file_.find_tensor(name);
        if (!t) return std::nullopt;
        const std::string where = fmt::format("tensor '{}'", name);
        if (!t->known_type()) fail(fmt::format("{} has {}, which qframe cannot decode", where, t->type_name()));
        check_decodable(where, t->type->type, t->type->name);
        impl_.weight_bytes += t->n_bytes;
        return View{t->type->type, t->dims, t->data};
    }

    void check_decodable(const std::string& where, TensorType type, std::string_view type_name) const {
        if (!can_decode(type)) fail(fmt::format("{} has type {}, which qframe cannot decode", where, type_name));
    }

    View require(const std::string& name, const std::vector<uint64_t>& dims) {
        auto v = find(name);
        if (!v) fail(fmt::format("tensor '{}' is missing", name));
        check_shape(name, *v, dims);
        return std::move(*v);
    }

    void check_shape(const std::string& name, const View& v, const std::vector<uint64_t>& dims) const {
        // Trailing dimensions of 1 do not change a tensor (ggml's ne[2], ne[3] are 1).
        std::vector<uint64_t> got = v.dims;
        while (got.size() > dims.size() && got.back() == 1) got.pop_back();
        if (got != dims)
            fail(fmt::format("tensor '{}' has shape {}, expected {}", name, dims_text(v.dims), dims_text(dims)));
    }

    Matrix matrix(const std::string& name, uint64_t cols, uint64_t rows) {
        return to_matrix(name, require(name, {cols, rows}));
    }

    Matrix to_matrix(const std::string& name, const View& v) const {
        Matrix m;
        m.name = name;
        m.type = v.type;
        m.cols = v.dims[0];
        m.rows = v.dims[1];
        m.ggml_rows = m.rows;
        const auto row_bytes = byte_size(type_info(v.type), m.cols);
        if (!row_bytes) fail(fmt::format("tensor '{}': rows of {} values are not whole {} blocks", name, m.cols, type_name(v.type)));
        m.row_bytes = *row_bytes;
        m.data = v.bytes.data();
        return m;
    }

    std::vector<float> vector(const std::string& name, uint64_t n) {
        const View v = require(name, {n});
        std::vector<float> out(n);
        try {
            qframe::decode(v.type, v.bytes, out);
        } catch (const std::invalid_argument& e) {
            fail(fmt::format("tensor '{}': {}", name, e.what()));
        }
        for (float x : out)
            if (!std::isfinite(x)) fail(fmt::format("tensor '{}' holds a non-finite value", name));
        return out;
    }

    // A rope frequency divisor per rotary pair.
    std::vector<float> rope_factors(const std::string& name) {
        std::vector<float> factors = vector(name, impl_.config.head_dim / 2);
        for (float f : factors)
            if (!(f > 0)) fail(fmt::format("tensor '{}' holds a factor that is not positive", name));
        return factors;
    }

    // A float key that must be positive and finite when present.
    float positive_float(const std::string& name, float fallback) const {
        const double v = get_float(name).value_or(fallback);
        if (!(v > 0) || !std::isfinite(v) || v > 1e30) fail(fmt::format("metadata '{}' is {}, out of range", name, v));
        return static_cast<float>(v);
    }

    // {arch}.expert_count and expert_used_count, where the architecture has experts.
    void read_experts() {
        HParams& c = impl_.config;
        const std::string count = arch_key("expert_count"), used = arch_key("expert_used_count");
        const uint64_t n_expert = get_uint(count).value_or(0);
        if (n_expert == 0 && impl_.arch->experts_required) fail(fmt::format("metadata '{}' is 0 or missing: a {} model has experts", count, c.arch));
        if (n_expert == 0) {
            if (get_uint(used).value_or(0) > 0) fail(fmt::format("metadata '{}' is set, but '{}' is 0 or missing", used, count));
            return;
        }
        if (!impl_.arch->experts) fail(fmt::format("mixture-of-experts {} models are not supported by the engine", c.arch));
        if (n_expert > 4096) fail(fmt::format("metadata '{}' is {}, out of range", count, n_expert));
        const uint64_t n_used = get_uint(used).value_or(0);
        if (n_used == 0 || n_used > n_expert)
            fail(fmt::format("metadata '{}' is {}: a token is routed to 1 to {} ('{}') experts", used, n_used, n_expert, count));
        c.n_expert = static_cast<uint32_t>(n_expert);
        c.n_expert_used = static_cast<uint32_t>(n_used);
        // llama.cpp's defaults (qwen2moe): the dense width shared among the used experts, and all of it.
        const std::string ff_exp = arch_key("expert_feed_forward_length"), ff_shexp = arch_key("expert_shared_feed_forward_length");
        c.n_ff_exp = key(ff_exp) ? require_uint(ff_exp) : c.n_ff / c.n_expert_used;
        if (impl_.arch->name == "llama") c.n_ff_exp = c.n_ff;  // Mixtral's experts are n_ff wide
        if (c.n_ff_exp == 0) fail(fmt::format("an expert of {} / {} values is empty", c.n_ff, c.n_expert_used));
        if (impl_.arch->shared_expert) c.n_ff_shexp = key(ff_shexp) ? require_uint(ff_shexp) : c.n_ff;
    }

    // A [cols × rows × n_expert] tensor: every expert's matrix, one after the other.
    Matrix experts(const std::string& name, uint64_t cols, uint64_t rows) {
        Matrix m = to_matrix(name, require(name, {cols, rows, impl_.config.n_expert}));
        m.rows = rows;  // of one expert; expert(e) views the others
        m.ggml_rows = 0;
        return m;
    }

    // "{arch}.suffix": every hyperparameter key is under the architecture's name.
    std::string arch_key(std::string_view suffix) const { return fmt::format("{}.{}", impl_.arch->name, suffix); }

    void read_hparams() {
        HParams& c = impl_.config;
        c.arch = impl_.arch->name;
        c.n_embd = require_uint(arch_key("embedding_length"));
        c.n_layer = require_uint(arch_key("block_count"));
        c.n_ff = require_uint(arch_key("feed_forward_length"));
        c.n_head = require_uint(arch_key("attention.head_count"));
        c.n_head_kv = get_uint(arch_key("attention.head_count_kv")) ? require_uint(arch_key("attention.head_count_kv")) : c.n_head;
        c.n_ctx_train = get_uint(arch_key("context_length")).value_or(0);
        read_experts();
        if (c.n_head % c.n_head_kv != 0) fail(fmt::format("{} attention heads cannot share {} KV heads", c.n_head, c.n_head_kv));
        const std::string key_length = arch_key("attention.key_length");
        if (c.n_embd % c.n_head != 0 && !key(key_length))
            fail(fmt::format("embedding length {} is not a multiple of {} heads", c.n_embd, c.n_head));
        c.head_dim = key(key_length) ? require_uint(key_length) : c.n_embd / c.n_head;
        const std::string value_length = arch_key("attention.value_length"), rope_dims = arch_key("rope.dimension_count");
        const uint32_t value_dim = key(value_length) ? require_uint(value_length) : c.head_dim;
        const uint32_t n_rot = key(rope_dims) ? require_uint(rope_dims) : c.head_dim;
        // llama.cpp's graphs assert both (build_llama, build_qwen2).
        if (value_dim != c.head_dim) fail(fmt::format("value length {} differs from key length {}", value_dim, c.head_dim));
        if (n_rot != c.head_dim) fail(fmt::format("invalid rope dimension count {}, expected {}", n_rot, c.head_dim));
        if (c.head_dim % 2 != 0) fail(fmt::format("head dimension {} is odd", c.head_dim));

        const std::string eps_key = arch_key("attention.layer_norm_rms_epsilon");
        const double eps = get_float(eps_key).value_or(-1);
        if (!(eps > 0 && eps < 1)) fail(fmt::format("metadata '{}' is missing or out of range", eps_key));
        c.rms_eps = static_cast<float>(eps);
        c.rope_freq_base = static_cast<float>(get_float(arch_key("rope.freq_base")).value_or(10000.0));
        if (!(c.rope_freq_base > 0) || !std::isfinite(c.rope_freq_base)) fail(fmt::format("metadata '{}' is out of range", arch_key("rope.freq_base")));
        const std::string scaling = file_.metadata().get_string(arch_key("rope.scaling.type")).value_or("linear");
        if (scaling != "linear" && scaling != "none")
            fail(fmt::format("rope scaling '{}' is not supported by the engine (only linear and none)", scaling));
        double factor = get_float(arch_key("rope.scaling.factor")).value_or(0);
        if (factor == 0) factor = get_float(arch_key("rope.scale_linear")).value_or(0);
        if (factor < 0 || !std::isfinite(factor)) fail(fmt::format("metadata '{}' is out of range", arch_key("rope.scaling.factor")));
        c.rope_freq_scale = (factor == 0 || scaling == "none") ? 1.0f : static_cast<float>(1.0 / factor);
        c.query_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
        const ArchSpec& spec = *impl_.arch;
        if (spec.width_query_scale_layers && c.n_layer == spec.width_query_scale_layers)
            c.query_scale = 1.0f / std::sqrt(static_cast<float>(c.n_embd / c.n_head));
        if (spec.softcaps) {
            c.attn_softcap = positive_float(arch_key("attn_logit_softcapping"), 50.0f);
            c.final_softcap = positive_float(arch_key("final_logit_softcapping"), 30.0f);
        }
        if (spec.sliding_window != SlidingWindow::none) {
            const std::string window = arch_key("attention.sliding_window");
            if (!spec.default_window && !key(window))  // as llama.cpp's phi3 and gemma3 loaders
                fail(fmt::format("metadata '{}' is missing", window));
            c.n_swa = key(window) ? require_uint(window) : spec.default_window;
        }
        c.rope_attn_factor = positive_float(arch_key("rope.scaling.attn_factor"), 1.0f);
        c.n_ctx_orig = get_uint(arch_key("rope.scaling.original_context_length")).value_or(c.n_ctx_train);
        c.bos_token = get_token("tokenizer.ggml.bos_token_id");
        c.eos_token = get_token("tokenizer.ggml.eos_token_id");
    }

    void load() {
        std::optional<std::string> arch;
        try {
            arch = file_.metadata().get_string("general.architecture");
        } catch (const Error& e) {
            fail(e.what());
        }
        if (!arch) fail("metadata 'general.architecture' is missing");
        impl_.arch = find_arch(*arch);
        if (!impl_.arch)
            fail(fmt::format("architecture '{}' is not supported by the engine (it runs {})", *arch, supported_arch_names()));
        const ArchSpec& spec = *impl_.arch;
        read_hparams();
        HParams& c = impl_.config;

        // token_embd fixes the vocabulary size.
        const std::string embd_name = "token_embd.weight";
        auto embd = find(embd_name);
        if (!embd) fail(fmt::format("tensor '{}' is missing", embd_name));
        if (embd->dims.size() < 2) fail(fmt::format("tensor '{}' has shape {}, expected {} x n_vocab", embd_name, dims_text(embd->dims), c.n_embd));
        if (embd->dims[1] == 0 || embd->dims[1] > INT32_MAX) fail(fmt::format("tensor '{}' has {} rows", embd_name, embd->dims[1]));
        c.n_vocab = static_cast<uint32_t>(embd->dims[1]);
        check_shape(embd_name, *embd, {c.n_embd, c.n_vocab});
        impl_.token_embd = to_matrix(embd_name, *embd);

        impl_.output_norm = vector("output_norm.weight", c.n_embd);
        std::optional<View> out;
        if (spec.output_always_tied) {  // llama.cpp would refuse the file's extra tensor
            if (find_present("output.weight")) fail(fmt::format("tensor 'output.weight': a {} model's output is token_embd.weight", c.arch));
        } else {
            out = find("output.weight");
            if (!out && spec.output_required) fail("tensor 'output.weight' is missing");
        }
        if (out) {
            check_shape("output.weight", *out, {c.n_embd, c.n_vocab});
            impl_.output = to_matrix("output.weight", *out);
        } else {
            c.tied_output = true;
            impl_.output = impl_.token_embd;
        }

        if (find_present("rope_freqs.weight")) {
            if (!spec.rope_freqs) fail(fmt::format("tensor 'rope_freqs.weight' is not read by a {} model", c.arch));
            impl_.rope_factors = rope_factors("rope_freqs.weight");
        }
        if (spec.rope_factor_pair) {
            if (find_present("rope_factors_short.weight")) impl_.rope_factors = rope_factors("rope_factors_short.weight");
            if (find_present("rope_factors_long.weight")) impl_.rope_factors_long = rope_factors("rope_factors_long.weight");
        }
        c.has_rope_freqs = !impl_.rope_factors.empty() || !impl_.rope_factors_long.empty();

        const uint64_t q_dim = uint64_t(c.n_head) * c.head_dim, kv_dim = uint64_t(c.n_head_kv) * c.head_dim;
        for (uint32_t l = 0; l < c.n_layer; ++l) {
            const auto blk = [l](const char* what) { return fmt::format("blk.{}.{}", l, what); };
            for (const char* bias : {"attn_output.bias", "ffn_gate.bias", "ffn_up.bias", "ffn_down.bias"})
                if (find_present(blk(bias))) fail(fmt::format("tensor '{}': biases are not supported by the engine", blk(bias)));
            Layer layer;
            layer.attn_norm = vector(blk("attn_norm.weight"), c.n_embd);
            if (spec.fused_qkv) {
                const Matrix qkv = matrix(blk("attn_qkv.weight"), c.n_embd, q_dim + 2 * kv_dim);
                layer.wq = qkv.row_range(0, q_dim);
                layer.wk = qkv.row_range(q_dim, kv_dim);
                layer.wv = qkv.row_range(q_dim + kv_dim, kv_dim);
            } else {
                layer.wq = matrix(blk("attn_q.weight"), c.n_embd, q_dim);
                layer.wk = matrix(blk("attn_k.weight"), c.n_embd, kv_dim);
                layer.wv = matrix(blk("attn_v.weight"), c.n_embd, kv_dim);
            }
            if (spec.qkv_bias) {
                layer.bq = vector(blk("attn_q.bias"), q_dim);
                layer.bk = vector(blk("attn_k.bias"), kv_dim);
                layer.bv = vector(blk("attn_v.bias"), kv_dim);
            } else {
                for (const char* bias : {"attn_q.bias", "attn_k.bias", "attn_v.bias"})
                    if (find_present(blk(bias))) fail(fmt::format("tensor '{}': a {} model has no attention biases", blk(bias), c.arch));
            }
            if (spec.qk_norm) {
                layer.q_norm = vector(blk("attn_q_norm.weight"), c.head_dim);
                layer.k_norm = vector(blk("attn_k_norm.weight"), c.head_dim);
            }
            layer.wo = matrix(blk("attn_output.weight"), q_dim, c.n_embd);
            layer.ffn_norm = vector(blk("ffn_norm.weight"), c.n_embd);
            if (spec.post_norms) {
                layer.attn_post_norm = vector(blk("post_attention_norm.weight"), c.n_embd);
                layer.ffn_post_norm = vector(blk("post_ffw_norm.weight"), c.n_embd);
            }
            if ((spec.sliding_window == SlidingWindow::even_layers && l % 2 == 0) ||
                (spec.sliding_window == SlidingWindow::five_in_six && l % 6 < 5) || spec.sliding_window == SlidingWindow::all_layers)
                layer.window = c.n_swa;
            if (c.n_expert > 0) {
                layer.router = matrix(blk("ffn_gate_inp.weight"), c.n_embd, c.n_expert);
                layer.gate_exps = experts(blk("ffn_gate_exps.weight"), c.n_embd, c.n_ff_exp);
                layer.up_exps = experts(blk("ffn_up_exps.weight"), c.n_embd, c.n_ff_exp);
                layer.down_exps = experts(blk("ffn_down_exps.weight"), c.n_ff_exp, c.n_embd);
                if (spec.shared_expert) {
                    const std::string gate_inp = blk("ffn_gate_inp_shexp.weight");
                    View row = require(gate_inp, {c.n_embd});  // one row: [n_embd] as [n_embd × 1]
                    row.dims = {c.n_embd, 1};
                    layer.shexp_gate = to_matrix(gate_inp, row);
                    layer.gate_shexp = matrix(blk("ffn_gate_shexp.weight"), c.n_embd, c.n_ff_shexp);
                    layer.up_shexp = matrix(blk("ffn_up_shexp.weight"), c.n_embd, c.n_ff_shexp);
                    layer.down_shexp = matrix(blk("ffn_down_shexp.weight"), c.n_ff_shexp, c.n_embd);
                }
            } else if (spec.fused_gate_up) {
                const Matrix gate_up = matrix(blk("ffn_up.weight"), c.n_embd, 2 * uint64_t(c.n_ff));
                layer.gate = gate_up.row_range(0, c.n_ff);
                layer.up = gate_up.row_range(c.n_ff, c.n_ff);
            } else {
                layer.gate = matrix(blk("ffn_gate.weight"), c.n_embd, c.n_ff);
                layer.up = matrix(blk("ffn_up.weight"), c.n_embd, c.n_ff);
            }
            if (c.n_expert == 0) layer.down = matrix(blk("ffn_down.weight"), c.n_ff, c.n_embd);
            impl_.layers.push_back(std::move(layer));
        }
    }

    // Whether a tensor exists (in the source or the file), without counting its bytes.
    bool find_present(const std::string& name) const {
        if (source_ && source_(name)) return true;
        return file_.find_tensor(name) != nullptr;
    }

private:
    const GgufFile& file_;
    WeightSource source_;
    Model::Impl& impl_;
};

}  // namespace

Model Model::load(const GgufFile& file, WeightSource source) {
    auto impl = std::make_shared<Impl>();
    impl->name = file.display_name();
    impl->mapping = file.mapping();
    Loader(file, std::move(source), *impl).load();
    return Model(std::move(impl));
}

Model Model::load(const std::filesystem::path& path) {
    return load(GgufFile::open(path));
}

const HParams& Model::config() const { return impl_->config; }
const std::string& Model::display_name() const { return impl_->name; }
uint64_t Model::weight_bytes() const { return impl_->weight_bytes; }

}  // namespace qframe::engine
