#include "chat_format.hpp"

#include <fmt/format.h>

#include <array>

#include "qframe/error.hpp"

namespace qframe::model_eval {
namespace {

std::string_view trim(std::string_view s) {  // llama-chat.cpp's trim: ASCII white space
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::string chatml(std::string_view p) { return fmt::format("<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n", p); }
std::string phi4(std::string_view p) { return fmt::format("<|im_start|>user<|im_sep|>{}<|im_end|><|im_start|>assistant<|im_sep|>", p); }
std::string mistral_v1(std::string_view p) { return fmt::format(" [INST] {} [/INST]", p); }
std::string mistral_v3(std::string_view p) { return fmt::format("[INST] {}[/INST]", p); }  // and v7's single turn
std::string mistral_v3_tekken(std::string_view p) { return fmt::format("[INST]{}[/INST]", p); }
std::string llama2(std::string_view p) { return fmt::format("[INST] {} [/INST]", p); }
std::string llama2_strip(std::string_view p) { return fmt::format("[INST] {} [/INST]", trim(p)); }
std::string phi3(std::string_view p) { return fmt::format("<|user|>\n{}<|end|>\n<|assistant|>\n", p); }
std::string falcon3(std::string_view p) { return fmt::format("<|user|>\n{}\n<|assistant|>\n", p); }
std::string glmedge(std::string_view p) { return fmt::format("<|user|>\n{}<|assistant|>", p); }
std::string zephyr(std::string_view p) { return fmt::format("<|user|>\n{}<|endoftext|>\n<|assistant|>\n", p); }
std::string gemma(std::string_view p) { return fmt::format("<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n", trim(p)); }
std::string llama3(std::string_view p) {
    return fmt::format("<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", trim(p));
}

// One row per format qframe writes, under llama.cpp's name.
constexpr std::array kFormats{
    ChatFormat{"chatml", chatml},
    ChatFormat{"phi4", phi4},
    ChatFormat{"mistral-v7", mistral_v3},
    ChatFormat{"mistral-v1", mistral_v1},
    ChatFormat{"mistral-v3", mistral_v3},
    ChatFormat{"mistral-v3-tekken", mistral_v3_tekken},
    ChatFormat{"llama2", llama2},
    ChatFormat{"llama2-sys", llama2},
    ChatFormat{"llama2-sys-bos", llama2},
    ChatFormat{"llama2-sys-strip", llama2_strip},
    ChatFormat{"phi3", phi3},
    ChatFormat{"falcon3", falcon3},
    ChatFormat{"glmedge", glmedge},
    ChatFormat{"zephyr", zephyr},
    ChatFormat{"gemma", gemma},
    ChatFormat{"llama3", llama3},
};

std::optional<ChatFormat> named(std::string_view name) {
    for (const ChatFormat& f : kFormats)
        if (f.name == name) return f;
    return std::nullopt;
}

// llm_chat_detect_template's tests, in its order, down to the formats qframe writes (the name
// of the format it returns; "" for one qframe has no row for).
std::string_view detect_name(std::string_view t) {
    const auto has = [t](std::string_view s) { return t.find(s) != std::string_view::npos; };
    if (has("<|im_start|>")) return has("<|im_sep|>") ? "phi4" : "chatml";
    if (t.starts_with("mistral") || has("[INST]")) {
        if (has("[SYSTEM_PROMPT]")) return "mistral-v7";
        if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
            if (has(" [INST]")) return "mistral-v1";
            if (has("\"[INST]\"")) return "mistral-v3-tekken";
            return "mistral-v3";
        }
        if (has("content.strip()")) return "llama2-sys-strip";
        if (has("bos_token + '[INST]")) return "llama2-sys-bos";
        return has("<<SYS>>") ? "llama2-sys" : "llama2";
    }
    if (has("<|assistant|>") && has("<|end|>")) return "phi3";
    if (has("<|assistant|>") && has("<|user|>")) return has("</s>") ? "falcon3" : "glmedge";
    if (has("<|user|>") && has("<|endoftext|>")) return "zephyr";
    if (has("bos_token + message['role']")) return "";  // monarch
    if (has("<start_of_turn>")) return "gemma";
    if (has("'\\n\\nAssistant: ' + eos_token") || has("GPT4 Correct ") || (has("USER: ") && has("ASSISTANT: ")) ||
        (has("### Instruction:") && has("<|EOT|>")) || (has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>")))
        return "";  // orion, openchat, vicuna, deepseek, command-r
    if (has("<|start_header_id|>") && has("<|end_header_id|>")) return "llama3";
    return "";
}

}  // namespace

std::optional<ChatFormat> detect_chat_format(std::string_view chat_template) {
    if (auto f = named(chat_template)) return f;
    return named(detect_name(chat_template));
}

std::string apply_chat_format(std::string_view chat_template, std::string_view prompt) {
    if (chat_template.empty()) throw Error("chat: true, but the model has no tokenizer.chat_template");
    const auto format = detect_chat_format(chat_template);
    if (!format) {
        std::string names;
        for (const ChatFormat& f : kFormats) names += (names.empty() ? "" : ", ") + std::string(f.name);
        throw Error(fmt::format("chat: true, but the model's chat template is not one qframe knows ({})", names));
    }
    return format->user_turn(prompt);
}

}  // namespace qframe::model_eval
