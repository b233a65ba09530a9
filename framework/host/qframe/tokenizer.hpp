// Tokenizers built from a GGUF file's `tokenizer.ggml.*` metadata, cutting text into the same
// token ids as llama.cpp: SentencePiece-style BPE over scores (`tokenizer.ggml.model = llama`)
// and byte-level BPE over merge ranks (`gpt2`, with the pre-tokenizer `tokenizer.ggml.pre`
// names). See docs/tokenizers.md for what is exact and what is approximate.
#pragma once

#include "qframe/export.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qframe {

class GgufFile;
class Metadata;

// How a token is treated (llama.cpp's token attributes, from tokenizer.ggml.token_type).
enum TokenAttr : uint32_t {
    kTokenUndefined = 0,
    kTokenUnknown = 1u << 0,
    kTokenUnused = 1u << 1,
    kTokenNormal = 1u << 2,
    kTokenControl = 1u << 3,
    kTokenUserDefined = 1u << 4,
    kTokenByte = 1u << 5,
    kTokenLstrip = 1u << 7,  // a special token that swallows the white space before it
    kTokenRstrip = 1u << 8,  // … after it
};

class QFRAME_API Tokenizer {
public:
    enum class Kind { Spm, Bpe };

    // Throws qframe::Error when the tokenizer keys are missing or malformed, or name a model
    // (`tokenizer.ggml.model`) or pre-tokenizer (`tokenizer.ggml.pre`) this build does not know.
    static Tokenizer from_gguf(const GgufFile& file);
    static Tokenizer from_metadata(const Metadata& metadata);

    // Text → token ids. `add_special` adds BOS (and EOS) where the vocabulary asks for them
    // (tokenizer.ggml.add_bos_token / add_eos_token, else the model's default), like
    // llama.cpp's add_special. `parse_special` turns the text of control tokens ("<s>",
    // "<|endoftext|>") into those tokens; user-defined tokens are always matched whole.
    std::vector<int32_t> tokenize(std::string_view text, bool add_special, bool parse_special = false) const;

    // Token ids → text: byte tokens become their bytes, "▁" a space, byte-level BPE pieces their
    // bytes; like llama.cpp's detokenize the first piece loses one leading space where the
    // vocabulary adds one (SentencePiece), and BPE vocabularies that ask for it drop the spaces
    // before . , ! ? and some contractions. Control tokens are rendered only with `render_special`.
    std::string decode(std::span<const int32_t> ids, bool render_special = false) const;
    // One token's text as decode renders it (without the leading-space or clean-up rules).
    std::string token_to_piece(int32_t id, bool render_special = false) const;

    Kind kind() const;
    const std::string& model() const;          // "llama" or "gpt2"
    const std::string& pre_tokenizer() const;  // BPE: the pre-tokenizer's name; SPM: ""
    size_t size() const;                       // number of tokens
    int32_t bos() const;                       // -1 when the vocabulary has none
    int32_t eos() const;
    int32_t unknown() const;                   // -1 when none
    bool adds_bos() const;                     // whether add_special puts BOS first
    bool adds_eos() const;
    // Throw qframe::Error for an id outside the vocabulary.
    const std::string& token_text(int32_t id) const;  // as stored ("▁Hello", "Ġworld", "<0x0A>")
    uint32_t token_attr(int32_t id) const;             // TokenAttr bits
    // The id of a token by its stored text, or -1.
    int32_t find_token(std::string_view text) const;

    struct Impl;

private:
    explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;  // immutable, so copies share it and threads may too
};

}  // namespace qframe
