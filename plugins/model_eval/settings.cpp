#include "evaluators.hpp"
#include "loaded_model.hpp"
#include "qframe/recipe.hpp"

namespace qframe::model_eval {

// By default a text the repository ships, so that recipes run without downloads; point `text`
// at ../shared/data/text/wikitext-2-raw-test.txt for the study's numbers.
OptionSchema scoring_options() {
    return {OptionSpec::file("text", "UTF-8 text file to score", default_text().string()),
            OptionSpec::integer("ctx", "tokens per chunk (the second half of each is scored)", 512, 8, 1 << 16),
            OptionSpec::integer("chunks", "chunks to score (0: every whole chunk of the text)", 0, 0, 1 << 20),
            OptionSpec::integer("threads", "threads (0: all cores)", 0, 0, 1024),
            numerics_option()};
}

OptionSpec numerics_option() {
    return OptionSpec::choice("numerics",
                              "ggml: round activations and the KV cache as llama.cpp's CPU backend does (its PPL/KLD figures); "
                              "f32: exact F32 activations (the reference)",
                              {"ggml", "f32"}, std::string("ggml"));
}

engine::Numerics numerics_setting(const Options& o) { return *engine::numerics_from_name(o.get_string("numerics")); }

ScoringSettings::ScoringSettings(const Options& o)
    : text(o.get_string("text")),
      ctx(static_cast<uint32_t>(o.get_int("ctx"))),
      chunks(static_cast<uint32_t>(o.get_int("chunks"))),
      threads(static_cast<unsigned>(o.get_int("threads"))),
      numerics(numerics_setting(o)) {}

ChunkPlan ScoringSettings::plan(const LoadedModel& m) const {
    // As llama.cpp's perplexity: special tokens added as the vocabulary says (BOS first).
    const auto tokens = m.tokenizer.tokenize(read_text(text), /*add_special=*/true);
    return plan_chunks(text, tokens, ctx, chunks, m.tokenizer.adds_bos() ? m.tokenizer.bos() : -1);
}

}  // namespace qframe::model_eval
