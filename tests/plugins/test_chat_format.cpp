// eval.generate's chat formats (plugins/model_eval/chat_format.cpp): the format llama.cpp c392e50's
// llm_chat_detect_template picks for each family's template, and one user turn as its
// llm_chat_apply_template writes it (add_ass = true). The template excerpts are the markers
// these models' tokenizer.chat_template carries.
#include <catch2/catch.hpp>

#include "model_eval/chat_format.hpp"

using qframe::model_eval::apply_chat_format;
using qframe::model_eval::detect_chat_format;

namespace {

std::string detected(std::string_view tmpl) {
    const auto f = detect_chat_format(tmpl);
    return f ? std::string(f->name) : std::string("none");
}

// Excerpts of the families' templates.
constexpr std::string_view kQwen2 =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
constexpr std::string_view kPhi3 =
    "{% for message in messages %}{% if message['role'] == 'user' %}{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + "
    "'<|assistant|>' + '\\n'}}{% endif %}{% endfor %}";
constexpr std::string_view kGemma =
    "{% for message in messages %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}";
constexpr std::string_view kTinyLlamaChat =
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token }}{% elif "
    "message['role'] == 'assistant' %}{{ '<|assistant|>\\n'  + message['content'] + eos_token }}{% endif %}{% endfor %}";
constexpr std::string_view kLlama3 =
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}";
constexpr std::string_view kMistral = "{{ bos_token }}{% for message in messages %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}";

}  // namespace

TEST_CASE("chat formats: each family's template, as llama.cpp detects it", "[model_eval]") {
    CHECK(detected(kQwen2) == "chatml");
    CHECK(detected(kPhi3) == "phi3");  // <|user|> and <|assistant|>, but <|end|> first: not Zephyr's
    CHECK(detected(kGemma) == "gemma");
    CHECK(detected(kLlama3) == "llama3");
    CHECK(detected(kMistral) == "llama2");
    // TinyLlama-Chat's Zephyr-like template writes eos_token, not "</s>": llama.cpp takes it for GLM-Edge's.
    CHECK(detected(kTinyLlamaChat) == "glmedge");
    CHECK(detected("{{ '<|user|>\\n' + content + '<|endoftext|>' }}") == "zephyr");
    CHECK(detected("chatml") == "chatml");  // a template that is a format's name
    CHECK(detected("{{ 'USER: ' + content + ' ASSISTANT: ' }}") == "none");  // vicuna: llama.cpp's, not qframe's
    CHECK(detected("{{ messages }}") == "none");
}

TEST_CASE("chat formats: one user turn and the assistant's opening", "[model_eval]") {
    CHECK(apply_chat_format(kQwen2, "Hi") == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    CHECK(apply_chat_format(kPhi3, "Hi") == "<|user|>\nHi<|end|>\n<|assistant|>\n");
    CHECK(apply_chat_format(kGemma, " Hi ") == "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
    CHECK(apply_chat_format(kLlama3, "Hi") == "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    CHECK(apply_chat_format(kMistral, "Hi") == "[INST] Hi [/INST]");
    CHECK(apply_chat_format(kTinyLlamaChat, "Hi") == "<|user|>\nHi<|assistant|>");
    CHECK_THROWS_WITH(apply_chat_format("", "Hi"), Catch::Contains("has no tokenizer.chat_template"));
    CHECK_THROWS_WITH(apply_chat_format("{{ messages }}", "Hi"), Catch::Contains("not one qframe knows (chatml, phi4"));
}
