// Model evaluators built on qframe's Llama engine: perplexity, KL divergence, generations, speed.
#include "evaluators.hpp"

namespace {

void register_stages(qframe::Registry& r) {
    qframe::model_eval::register_perplexity(r);
    qframe::model_eval::register_kl_divergence(r);
    qframe::model_eval::register_generate(r);
    qframe::model_eval::register_speed(r);
}

}  // namespace

QFRAME_PLUGIN("model_eval", "1.0.0", register_stages)
