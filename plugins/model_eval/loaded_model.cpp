#include "loaded_model.hpp"

namespace qframe::model_eval {

LoadedModel load(const ModelView& view) {
    GgufFile file = GgufFile::open(view.source());
    // The view's tensors stay valid for the whole evaluate() call, which outlives the model.
    engine::WeightSource source = [&view](std::string_view name) -> std::optional<engine::TensorData> {
        const auto t = view.tensor(name);
        if (!t || !t->type) return std::nullopt;
        return engine::TensorData{t->type->type, {t->dims.begin(), t->dims.end()}, t->bytes, nullptr};
    };
    auto model = engine::Model::load(file, source);
    auto tokenizer = Tokenizer::from_gguf(file);
    return {std::move(file), std::move(model), std::move(tokenizer)};
}

}  // namespace qframe::model_eval
