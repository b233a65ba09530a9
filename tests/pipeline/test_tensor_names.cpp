// parse_tensor_name: layer, role, base and suffix of llama.cpp's tensor names.
#include <catch2/catch.hpp>

#include "qframe/stage.hpp"
#include "qframe/tensor_names.hpp"

using qframe::TensorRole;
using qframe::parse_tensor_name;

TEST_CASE("tensor names: layer, role, base and suffix", "[tensor_names]") {
    const auto n = parse_tensor_name("blk.12.ffn_down_exps.weight");
    CHECK(n.layer == 12);
    CHECK(n.role == TensorRole::ffn_down_exps);
    CHECK(n.base == "ffn_down_exps");
    CHECK(n.suffix == "weight");

    const auto bias = parse_tensor_name("blk.0.attn_q.bias");
    CHECK(bias.role == TensorRole::attn_q);
    CHECK(bias.suffix == "bias");

    // gemma2's spellings of the post norms, and the shared expert's gate
    CHECK(parse_tensor_name("blk.1.post_attention_norm.weight").role == TensorRole::attn_post_norm);
    CHECK(parse_tensor_name("blk.1.post_ffw_norm.weight").role == TensorRole::ffn_post_norm);
    CHECK(parse_tensor_name("blk.1.ffn_gate_inp_shexp.weight").role == TensorRole::ffn_gate_inp_shexp);
    CHECK(qframe::role_base_name(TensorRole::attn_post_norm) == "post_attention_norm");
    CHECK(qframe::role_base_name(TensorRole::other).empty());

    const auto out = parse_tensor_name("output.weight");
    CHECK(out.layer == -1);
    CHECK(out.role == TensorRole::output);
}

TEST_CASE("tensor names: what is not in the table, or not in its place, is other", "[tensor_names]") {
    // a block role outside the blocks, a model-wide one inside them
    CHECK(parse_tensor_name("attn_q.weight").role == TensorRole::other);
    CHECK(parse_tensor_name("blk.0.token_embd.weight").role == TensorRole::other);
    CHECK(parse_tensor_name("blk.0.attn_q_extra.weight").role == TensorRole::other);
    CHECK(parse_tensor_name("blk.0.attn_qweight").suffix.empty());
    // malformed block prefixes are no layer
    for (const char* name : {"blk.x.attn_q.weight", "blk.3", "blk..attn_q.weight", "blk.-1x.attn_q.weight"}) {
        INFO(name);
        CHECK(parse_tensor_name(name).layer == -1);
        CHECK(qframe::tensor_layer(name) == -1);
    }
    CHECK(qframe::tensor_layer("blk.7.attn_v.weight") == 7);
}
