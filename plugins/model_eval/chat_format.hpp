// eval.generate's chat formats: which one a model's tokenizer.chat_template means, decided as
// llama.cpp c392e50 decides it (llm_chat_detect_template in src/llama-chat.cpp: a template that
// is a format's name, else markers tested in its order, so that Phi-3's `<|user|>` is not taken
// for Zephyr's), and a single user turn written in it (llm_chat_apply_template with add_ass).
// qframe does not execute the Jinja template itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qframe::model_eval {

struct ChatFormat {
    std::string_view name;  // llama.cpp's name for it (LLM_CHAT_TEMPLATES)
    std::string (*user_turn)(std::string_view prompt);
};

// nullopt for a template llama.cpp does not recognise either (or one qframe has no row for).
std::optional<ChatFormat> detect_chat_format(std::string_view chat_template);

// The prompt as the model's chat format writes one user turn and the assistant's opening;
// throws qframe::Error when the template is empty or not recognised.
std::string apply_chat_format(std::string_view chat_template, std::string_view prompt);

}  // namespace qframe::model_eval
