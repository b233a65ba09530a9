// Reads the vocabulary from `tokenizer.ggml.*` and sets the flags and special tokens the way
// llama.cpp's llama_vocab::load does, so that both tokenizers see the same vocabulary.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

#include "qframe/error.hpp"
#include "qframe/metadata.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

const Value& require_key(const Metadata& m, std::string_view key) {
    const Value* v = m.find(key);
    if (!v) throw Error(fmt::format("tokenizer: metadata key {} is missing", key));
    return *v;
}

// Reads a key with the accessor `get`, naming the key when the value has the wrong type.
template <class Get>
auto read_key(const Metadata& m, std::string_view key, Get get) -> std::optional<decltype(get(std::declval<const Value&>()))> {
    const Value* v = m.find(key);
    if (!v) return std::nullopt;
    try {
        return get(*v);
    } catch (const Error& e) {
        throw Error(fmt::format("tokenizer: metadata key {}: {}", key, e.what()));
    }
}

std::optional<bool> read_bool(const Metadata& m, std::string_view key) {
    return read_key(m, key, [](const Value& v) { return v.as_bool(); });
}
std::optional<uint64_t> read_u64(const Metadata& m, std::string_view key) {
    return read_key(m, key, [](const Value& v) { return v.as_u64(); });
}

// A numeric array of `count` elements of `type`, checked, as raw bytes.
const std::vector<uint8_t>* read_array(const Metadata& m, std::string_view key, ValueType type, size_t count) {
    const Value* v = m.find(key);
    if (!v) return nullptr;
    if (!v->is_array() || v->element_type() != type || v->size() != count)
        throw Error(fmt::format("tokenizer: metadata key {} must be an array of {} {} values", key, count, value_type_name(type)));
    return &v->raw_array();
}

uint32_t attr_from_token_type(int32_t type) {
    switch (type) {  // tokenizer.ggml.token_type values (llama_token_type)
        case 1: return kTokenNormal;
        case 2: return kTokenUnknown;
        case 3: return kTokenControl;
        case 4: return kTokenUserDefined;
        case 5: return kTokenUnused;
        case 6: return kTokenByte;
        default: return kTokenUndefined;
    }
}

void read_tokens(const Metadata& m, Tokenizer::Impl& v) {
    const Value& tokens = require_key(m, "tokenizer.ggml.tokens");
    if (!tokens.is_array() || tokens.element_type() != ValueType::STRING)
        throw Error("tokenizer: metadata key tokenizer.ggml.tokens must be an array of strings");
    const size_t n = tokens.strings().size();
    if (n == 0 || n > static_cast<size_t>(INT32_MAX)) throw Error(fmt::format("tokenizer: {} tokens is not a usable vocabulary", n));
    const auto* scores = read_array(m, "tokenizer.ggml.scores", ValueType::FLOAT32, n);
    const auto* types = read_array(m, "tokenizer.ggml.token_type", ValueType::INT32, n);

    v.texts.resize(n);
    v.scores.assign(n, 0.0f);
    v.attrs.assign(n, kTokenNormal);
    v.ids.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        std::string text = tokens.strings()[i];
        if (text.empty()) text = fmt::format("[EMPTY_{}]", i);  // llama.cpp's stand-in
        v.ids[text] = static_cast<int32_t>(i);
        v.texts[i] = std::move(text);
        if (scores) std::memcpy(&v.scores[i], scores->data() + 4 * i, 4);
        if (types) {
            int32_t type;
            std::memcpy(&type, types->data() + 4 * i, 4);
            v.attrs[i] = attr_from_token_type(type);
        }
    }
}

void read_merges(const Metadata& m, Tokenizer::Impl& v) {
    const Value& merges = require_key(m, "tokenizer.ggml.merges");
    if (!merges.is_array() || merges.element_type() != ValueType::STRING)
        throw Error("tokenizer: metadata key tokenizer.ggml.merges must be an array of strings");
    v.merge_ranks.reserve(merges.strings().size());
    int32_t rank = 0;
    for (const std::string& merge : merges.strings()) {
        // "left right"; the search starts at 1 because the left part may itself be a space.
        const size_t space = merge.find(' ', 1);
        std::string key = space == std::string::npos ? merge_key("", "")
                                                     : merge_key(std::string_view(merge).substr(0, space),
                                                                 std::string_view(merge).substr(space + 1));
        v.merge_ranks.emplace(std::move(key), rank++);  // the first (best) rank of a pair wins
    }
}

void set_token_id(const Metadata& m, std::string_view key, const Tokenizer::Impl& v, int32_t& id) {
    const auto value = read_u64(m, key);
    if (value && *value < v.texts.size()) id = static_cast<int32_t>(*value);  // else keep the default, as llama.cpp does
}

// llama.cpp recognises end-of-generation and fill-in-the-middle tokens by their text and makes
// them control tokens even where the file says otherwise; that changes how they are matched.
void mark_control_tokens_by_text(const Metadata& m, Tokenizer::Impl& v) {
    const auto make_control = [&](int32_t id) {
        if (id >= 0) v.attrs[id] = kTokenControl;
    };
    for (const char* text : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>"})
        make_control(v.find(text));
    // In each group llama.cpp takes one token (the first its hash map yields; here the lowest id)
    // unless the metadata names one.
    struct Group {
        const char* key;
        std::initializer_list<const char*> texts;
    };
    const Group groups[] = {
        {"tokenizer.ggml.eot_token_id", {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<｜end▁of▁sentence｜>"}},
        {"tokenizer.ggml.fim_pre_token_id", {"<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>"}},
        {"tokenizer.ggml.fim_suf_token_id", {"<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>"}},
        {"tokenizer.ggml.fim_mid_token_id", {"<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>"}},
        {"tokenizer.ggml.fim_pad_token_id", {"<|fim_pad|>", "<fim-pad>", "<PAD>"}},
        {"tokenizer.ggml.fim_rep_token_id", {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"}},
        {"tokenizer.ggml.fim_sep_token_id", {"<|file_sep|>"}},
    };
    for (const auto& group : groups) {
        int32_t named = -1;
        set_token_id(m, group.key, v, named);
        if (named >= 0) continue;
        int32_t lowest = -1;
        for (const char* text : group.texts) {
            const int32_t id = v.find(text);
            if (id >= 0 && (lowest < 0 || id < lowest)) lowest = id;
        }
        make_control(lowest);
    }
}

// Per-model strip flags llama.cpp hard-codes (the GGUF has no field for them).
void set_strip_flags(const Metadata& m, Tokenizer::Impl& v) {
    const Value* general_name = m.find("general.name");
    std::string name = general_name && general_name->type() == ValueType::STRING ? general_name->as_string() : "";
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto set = [&](int32_t id, uint32_t flag, bool on) {
        if (id >= 0) v.attrs[id] = on ? (v.attrs[id] | flag) : (v.attrs[id] & ~flag);
    };
    if (v.pre == "jina-v2-de" || v.pre == "jina-v2-es" || v.pre == "jina-v2-code") {
        set(v.find("<mask>"), kTokenLstrip, true);
    } else if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
        for (int32_t id : v.special_tokens) set(id, kTokenRstrip, true);
        set(v.find("</s>"), kTokenRstrip, true);
        for (const char* text : {"<unk>", "<s>", "<|endoftext|>"}) set(v.find(text), kTokenRstrip, false);
    }
}

}  // namespace

std::string merge_key(std::string_view left, std::string_view right) {
    std::string key = fmt::format("{}:", left.size());
    key += left;
    key += right;
    return key;
}

std::shared_ptr<const Tokenizer::Impl> load_vocabulary(const Metadata& m) {
    auto v = std::make_shared<Tokenizer::Impl>();
    const Value& model = require_key(m, "tokenizer.ggml.model");
    if (model.type() != ValueType::STRING) throw Error("tokenizer: metadata key tokenizer.ggml.model must be a string");
    v->model = model.as_string();
    read_tokens(m, *v);

    if (v->model == "llama") {
        v->kind = Tokenizer::Kind::Spm;
        v->bos = 1, v->eos = 2, v->unk = 0;  // llama.cpp's defaults for SentencePiece vocabularies
        v->add_space_prefix = true;
        v->add_bos = true;
    } else if (v->model == "gpt2") {
        v->kind = Tokenizer::Kind::Bpe;
        read_merges(m, *v);
        v->bos = 11, v->eos = 11;  // llama.cpp's defaults for BPE vocabularies
        const auto pre = read_key(m, "tokenizer.ggml.pre", [](const Value& x) { return x.as_string(); });
        v->pre = pre ? *pre : "default";  // llama.cpp warns and falls back to "default"
        const PreTokenizerSpec* spec = find_pre_tokenizer(v->pre);
        if (!spec) throw Error(fmt::format("tokenizer: unknown pre-tokenizer tokenizer.ggml.pre = '{}'", v->pre));
        v->clean_spaces = spec->clean_spaces;
        v->ignore_merges = spec->ignore_merges;
        v->add_bos = spec->add_bos;
        if (spec->no_bos) v->bos = -1;
        v->pre_tokenizer = std::make_unique<PreTokenizer>(spec->rules);
    } else {
        throw Error(fmt::format("tokenizer: unknown tokenizer model tokenizer.ggml.model = '{}' (known: llama, gpt2)", v->model));
    }
    if (auto prefix = read_bool(m, "tokenizer.ggml.add_space_prefix")) v->add_space_prefix = *prefix;

    set_token_id(m, "tokenizer.ggml.bos_token_id", *v, v->bos);
    set_token_id(m, "tokenizer.ggml.eos_token_id", *v, v->eos);
    set_token_id(m, "tokenizer.ggml.unknown_token_id", *v, v->unk);
    if (auto add = read_bool(m, "tokenizer.ggml.add_bos_token")) v->add_bos = *add;
    if (auto add = read_bool(m, "tokenizer.ggml.add_eos_token")) v->add_eos = *add;
    if (v->add_bos && v->bos < 0) throw Error("tokenizer: the vocabulary asks for a BOS token but has none");
    if (v->add_eos && v->eos < 0) throw Error("tokenizer: the vocabulary asks for an EOS token but has none");

    mark_control_tokens_by_text(m, *v);
    for (int32_t id = 0; id < v->size(); ++id)
        if (v->attrs[id] & (kTokenControl | kTokenUserDefined | kTokenUnknown)) v->special_tokens.push_back(id);
    // Longest first, so that a token is never cut out of a longer one that contains it.
    std::stable_sort(v->special_tokens.begin(), v->special_tokens.end(),
                     [&](int32_t a, int32_t b) { return v->texts[a].size() > v->texts[b].size(); });
    set_strip_flags(m, *v);
    return v;
}

}  // namespace qframe::tok
