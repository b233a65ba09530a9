// The pre-tokenizers llama.cpp knows by `tokenizer.ggml.pre` (its 2025 list), with the same
// expressions and flags. The expressions come from each model's tokenizer.json.
#include "tokenizer/pre_tokenizer.hpp"

#include <algorithm>
#include <vector>

namespace qframe::tok {
namespace {

using Kind = SplitRule::Kind;

SplitRule regex(std::string pattern) { return {Kind::Regex, std::move(pattern)}; }
const SplitRule kGpt2Words{Kind::Gpt2, {}};
const SplitRule kLlama3Words{Kind::Llama3, {}};

// Qwen2's expression: Llama-3's with single digits.
const char* const kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kBloom = " ?[^(\\s|.,!?…。，、।۔،)]+";

struct Entry {
    std::vector<std::string_view> names;
    PreTokenizerSpec spec;
};

std::vector<Entry> make_table() {
    // Flags: {clean_spaces, ignore_merges, add_bos, no_bos}.
    const auto spec = [](std::vector<SplitRule> rules, bool clean = true, bool ignore_merges = false,
                         bool add_bos = false, bool no_bos = false) {
        return PreTokenizerSpec{{}, std::move(rules), clean, ignore_merges, add_bos, no_bos};
    };
    std::vector<Entry> t;
    t.push_back({{"default"}, spec({regex("[\\p{P}\\$\\+<=>\\^~\\|]+"), kGpt2Words, regex("\\p{N}+"), regex("[0-9][0-9][0-9]")})});
    t.push_back({{"llama3", "llama-v3", "llama-bpe", "falcon3"}, spec({kLlama3Words}, true, true, true)});
    t.push_back({{"dbrx", "smaug-bpe"}, spec({kLlama3Words})});
    t.push_back({{"deepseek-llm"}, spec({regex("[\r\n]"),
                                         regex("\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+"),
                                         regex("\\s?[!-/:-~！-／：-～‘-‟　-。]+"),
                                         regex("\\s+$"),
                                         regex("[一-龥ࠀ-一가-퟿]+"),
                                         regex("\\p{N}+")}, false)});
    t.push_back({{"deepseek-v3"}, spec({regex("\\p{N}{1,3}"),
                                        regex("[一-龥぀-ゟ゠-ヿ]+"),
                                        regex("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+")}, false)});
    t.push_back({{"deepseek-coder"}, spec({regex("[\r\n]"), regex("\\s?\\p{L}+"), regex("\\s?\\p{P}+"),
                                           regex("[一-龥ࠀ-一가-퟿]+"), regex("\\p{N}")}, false)});
    t.push_back({{"falcon"}, spec({regex("[\\p{P}\\$\\+<=>\\^~\\|`]+"), kGpt2Words, regex("[0-9][0-9][0-9]")})});
    t.push_back({{"starcoder", "refact", "codeshell", "exaone", "minerva-7b"}, spec({regex("\\p{N}"), kGpt2Words})});
    t.push_back({{"command-r", "smollm"}, spec({regex("\\p{N}"), kGpt2Words}, false)});
    t.push_back({{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                  "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais"},
                 spec({kGpt2Words})});
    t.push_back({{"qwen2", "deepseek-r1-qwen"}, spec({regex(kQwen2)}, false)});
    t.push_back({{"stablelm2", "megrez"}, spec({regex(kQwen2)})});
    t.push_back({{"poro-chat"}, spec({regex(kBloom)}, false)});
    t.push_back({{"bloom", "gpt3-finnish"}, spec({regex(kBloom)})});
    t.push_back({{"viking"}, spec({regex(kBloom), regex("\\p{N}")}, false)});
    t.push_back({{"chatglm-bpe"}, spec({kLlama3Words}, true, false, false, true)});
    t.push_back({{"tekken"}, spec({regex(
        "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+"
        "((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")}, false, true, true)});
    t.push_back({{"chameleon"}, spec({regex("<sentinel:[0-9]+>"), regex("(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z"),
                                      regex("([\\t\\n]|    |  )"), regex("\\p{N}"), regex("[\\p{P}!-/:-@\\[-`{-~]"),
                                      kGpt2Words}, false, false, true)});
    for (auto& entry : t) entry.spec.name = *entry.names.begin();
    return t;
}

const std::vector<Entry>& table() {
    static const std::vector<Entry> t = make_table();
    return t;
}

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(std::string_view name) {
    for (const auto& entry : table())
        if (std::find(entry.names.begin(), entry.names.end(), name) != entry.names.end()) return &entry.spec;
    return nullptr;
}

std::vector<std::string_view> pre_tokenizer_names() {
    std::vector<std::string_view> names;
    for (const auto& entry : table()) names.insert(names.end(), entry.names.begin(), entry.names.end());
    return names;
}

}  // namespace qframe::tok
