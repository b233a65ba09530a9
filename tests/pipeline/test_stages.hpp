// Stages defined inside the test program and registered as a static plugin, so the pipeline's
// tests need no plugin library: the built-in selectors are compiled in the same way.
#pragma once

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "qframe/catalog.hpp"
#include "qframe/synth.hpp"

QFRAME_DECLARE_STATIC_PLUGIN(selectors);

namespace qframe::test {

// Negates F32 values: every change is visible in the bytes.
class Negate : public Quantizer {
public:
    QuantizedTensor quantize(const TensorData& t) const override {
        std::vector<float> v = t.decode();
        for (float& x : v) x = -x;
        QuantizedTensor out{TensorType::F32, std::vector<std::byte>(v.size() * sizeof(float)), Findings::object()};
        std::memcpy(out.bytes.data(), v.data(), out.bytes.size());
        out.findings["values"] = v.size();
        return out;
    }
};

class Throws : public Quantizer {
public:
    QuantizedTensor quantize(const TensorData&) const override { throw std::runtime_error("deliberate failure"); }
};

// Options of every kind, to check validation and defaults.
class Configured : public Analyzer {
public:
    explicit Configured(const Options& o) : bits_(o.get_int("bits")), mode_(o.get_string("mode")) {}
    Findings analyze(const TensorData&) const override { return {{"bits", bits_}, {"mode", mode_}}; }

private:
    int64_t bits_;
    std::string mode_;
};

// Is the tensor still byte-identical to the input's?
class SameBytes : public Evaluator {
public:
    Findings evaluate(const TensorData& before, const TensorData& after) const override {
        const bool same = before.bytes.size() == after.bytes.size() &&
                          std::memcmp(before.bytes.data(), after.bytes.data(), before.bytes.size()) == 0;
        return {{"same", same}};
    }
};

// Counts the tensors whose bytes differ between the original model and the result.
class CountChanged : public ModelEvaluator {
public:
    Findings evaluate(const ModelView& original, const ModelView& result, const ProgressFn&) const override {
        int changed = 0;
        for (const auto& name : original.tensor_names()) {
            const auto a = original.tensor(name), b = result.tensor(name);
            if (a->bytes.size() != b->bytes.size() || std::memcmp(a->bytes.data(), b->bytes.data(), a->bytes.size()) != 0) ++changed;
        }
        return {{"changed", changed}, {"tensors", original.tensor_names().size()}};
    }
};

inline void register_test_stages(Registry& r) {
    r.add("quant.test_negate", "negate F32 values", {}, [](const Options&) { return std::make_unique<Negate>(); });
    r.add("quant.test_throws", "always throws", {}, [](const Options&) { return std::make_unique<Throws>(); });
    r.add("analyze.test_configured", "echoes its options",
          {OptionSpec::integer("bits", "a width", 4, 2, 8), OptionSpec::choice("mode", "a choice", {"a", "b"}, std::nullopt)},
          [](const Options& o) { return std::make_unique<Configured>(o); });
    r.add("analyze.test_reads_file", "names the file it would read", {OptionSpec::file("file", "a file", std::nullopt)},
          [](const Options& o) { return std::make_unique<Configured>(Options({{"bits", int64_t{0}}, {"mode", o.get_string("file")}})); });
    r.add("eval.test_same_bytes", "tensor bytes unchanged?", {}, [](const Options&) { return std::make_unique<SameBytes>(); });
    r.add("eval.test_count_changed", "tensors changed", {}, [](const Options&) { return std::make_unique<CountChanged>(); });
}

inline const PluginInfo kTestPlugin{QFRAME_PLUGIN_ABI_VERSION, "pipeline_tests", "0.1", register_test_stages};

// The catalog every in-process test uses: the test stages and the built-in selectors.
inline void load_test_catalog(StageCatalog& catalog) {
    catalog.add_static_plugin(kTestPlugin, "(test stages)");
    catalog.add_static_plugin(*QFRAME_STATIC_PLUGIN_FUNCTION(selectors)(), "(static selectors)");
}

// The smallest synthesized llama: 1 layer, F32 norms, Q8_0 matrices.
inline void write_micro_model(const std::filesystem::path& path) { synthesize_model(*find_synth_preset("micro"), 1, path); }

}  // namespace qframe::test
