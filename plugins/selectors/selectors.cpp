// The built-in selectors. In a recipe, `select: { KEY: VALUE }` uses select.KEY:
//   name: "blk.*.ffn_norm.weight" | "re:^blk\.(\d+)\.attn_.*" | [list of either]
//   layers: "0-5,10" | more_bits | "0,more_bits"
//   type: F32 | [F16, BF16]          precision: { bf16_exact: false }
// `more_bits` is llama.cpp's use_more_bits layer set (the layers its Q4_K_M/Q5_K_M give more bits)
// for the depth of the model being run, so one recipe fits models of any number of layers.
#include <fnmatch.h>

#include <fmt/format.h>

#include <charconv>

#include "qframe/error.hpp"
#include "qframe/float_bits.hpp"
#include "qframe/llama_rules.hpp"
#include "qframe/plugin.hpp"
#include "qframe/regex.hpp"

namespace {

using qframe::Error;
using qframe::Metadata;
using qframe::OptionSpec;
using qframe::Options;
using qframe::TensorData;

// A glob (fnmatch) or, with the "re:" prefix, a regex (qframe::Regex) that must match the whole name.
class NameSelector : public qframe::Selector {
public:
    explicit NameSelector(const Options& o) {
        for (const auto& p : o.get_strings("pattern")) {
            if (p.rfind("re:", 0) == 0) {
                try {
                    regexes_.emplace_back(p.substr(3));
                } catch (const Error& e) {
                    throw Error(fmt::format("bad regex: {}", e.what()));
                }
            } else {
                globs_.push_back(p);
            }
        }
    }
    bool selects(const TensorData& t, const Metadata&) const override {
        const std::string name(t.name);  // fnmatch wants a terminated string
        for (const auto& g : globs_)
            if (::fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
        for (const auto& r : regexes_)
            if (r.matches_whole(name)) return true;
        return false;
    }

private:
    std::vector<std::string> globs_;
    std::vector<qframe::Regex> regexes_;
};

// The tensors NameSelector would not select: `exclude:` takes some tensors out of a selection
// (a plan keeps its tensors out of the baseline stages this way).
class ExcludeSelector : public qframe::Selector {
public:
    explicit ExcludeSelector(const Options& o) : names_(o) {}
    bool selects(const TensorData& t, const Metadata& model) const override { return !names_.selects(t, model); }

private:
    NameSelector names_;
};

// Layer ranges "0-5,10" and/or `more_bits` against the N of "blk.N.…"; tensors outside blocks
// never match.
class LayerSelector : public qframe::Selector {
public:
    explicit LayerSelector(const Options& o) {
        const std::string spec = o.get_string("range");
        size_t start = 0;
        while (start <= spec.size()) {
            const size_t end = std::min(spec.find(',', start), spec.size());
            const std::string part = spec.substr(start, end - start);
            start = end + 1;
            if (part == kMoreBits) {
                more_bits_ = true;
                continue;
            }
            const size_t dash = part.find('-');
            const int lo = number(part.substr(0, dash), spec);
            const int hi = dash == std::string::npos ? lo : number(part.substr(dash + 1), spec);
            if (hi < lo) throw Error(fmt::format("layer range '{}': {} is empty", spec, part));
            ranges_.emplace_back(lo, hi);
        }
    }
    bool selects(const TensorData& t, const Metadata& model) const override {
        const int layer = t.layer();
        if (layer < 0) return false;
        for (const auto& [lo, hi] : ranges_)
            if (layer >= lo && layer <= hi) return true;
        return more_bits_ && qframe::use_more_bits(layer, static_cast<int>(qframe::block_count(model)));
    }

private:
    static constexpr std::string_view kMoreBits = "more_bits";

    static int number(const std::string& s, const std::string& spec) {
        int v = -1;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size() || v < 0)
            throw Error(fmt::format("layer range '{}': '{}' is neither a layer number nor more_bits (write e.g. 0-5,10 or more_bits)", spec, s));
        return v;
    }
    std::vector<std::pair<int, int>> ranges_;
    bool more_bits_ = false;  // also llama.cpp's use_more_bits layers of the model being run
};

class TypeSelector : public qframe::Selector {
public:
    explicit TypeSelector(const Options& o) {
        for (const auto& name : o.get_strings("types")) {
            const qframe::TypeInfo* t = qframe::find_type(name);
            if (!t) throw Error(fmt::format("unknown tensor type '{}'", name));
            ids_.push_back(static_cast<uint32_t>(t->type));
        }
    }
    bool selects(const TensorData& t, const Metadata&) const override {
        return std::find(ids_.begin(), ids_.end(), t.type_id) != ids_.end();
    }

private:
    std::vector<uint32_t> ids_;
};

// Tensors whose values all are (bf16_exact: true) or are not all (false) BF16-exact.
class PrecisionSelector : public qframe::Selector {
public:
    explicit PrecisionSelector(const Options& o) : want_exact_(o.get_bool("bf16_exact")) {}
    bool selects(const TensorData& t, const Metadata&) const override {
        if (!t.decodable()) return false;
        const auto values = t.decode();
        const bool exact = std::all_of(values.begin(), values.end(), qframe::is_bf16_exact);
        return exact == want_exact_;
    }

private:
    bool want_exact_;
};

template <class T>
auto factory() {
    return [](const Options& o) { return std::make_unique<T>(o); };
}

void register_stages(qframe::Registry& r) {
    r.add("select.name", "tensor names matching globs, or regexes written re:…",
          {OptionSpec::string_list("pattern", "glob(s) or re:regex(es); any may match", std::nullopt)}, factory<NameSelector>());
    r.add("select.exclude", "tensor names matching none of the globs or re:regexes (to take tensors out of a selection)",
          {OptionSpec::string_list("pattern", "glob(s) or re:regex(es); a tensor matching any is left out", std::nullopt)},
          factory<ExcludeSelector>());
    r.add("select.layers", "tensors of blocks blk.N whose N is in the ranges (or, for more_bits, in llama.cpp's use_more_bits set)",
          {OptionSpec::string("range", "comma-separated layers and ranges, e.g. 0-5,10; more_bits: llama.cpp's use_more_bits layers of the model",
                              std::nullopt)},
          factory<LayerSelector>());
    r.add("select.type", "tensors of the given ggml type(s)",
          {OptionSpec::string_list("types", "type name(s), e.g. F32 or [F16, BF16]", std::nullopt)}, factory<TypeSelector>());
    r.add("select.precision", "tensors whose values are (or are not) all BF16-exact",
          {OptionSpec::boolean("bf16_exact", "true: already BF16-exact; false: would change under BF16", false)},
          factory<PrecisionSelector>());
}

}  // namespace

QFRAME_PLUGIN("selectors", "1.0.0", register_stages)
