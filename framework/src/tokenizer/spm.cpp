// SentencePiece-style BPE (llama.cpp's llm_tokenizer_spm): start from single UTF-8 characters,
// repeatedly merge the adjacent pair whose concatenation is the highest-scoring token, and
// spell whatever is left unknown as byte tokens <0xXX>.
#include <fmt/format.h>

#include <functional>

#include "qframe/error.hpp"
#include "tokenizer/merge_symbols.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe::tok {
namespace {

int32_t byte_token(const Tokenizer::Impl& vocab, uint8_t byte) {
    if (const int32_t id = vocab.find(fmt::format("<0x{:02X}>", byte)); id >= 0) return id;
    if (const int32_t id = vocab.find(std::string(1, static_cast<char>(byte))); id >= 0) return id;
    throw Error(fmt::format("tokenizer: byte 0x{:02X} has no token (no <0x{:02X}> in the vocabulary)", byte, byte));
}

// Every merged piece is a token by construction; only single characters can be unknown.
void emit(const Tokenizer::Impl& vocab, std::string_view piece, std::vector<int32_t>& out) {
    if (const int32_t id = vocab.find(piece); id >= 0) {
        out.push_back(id);
        return;
    }
    for (char byte : piece) out.push_back(byte_token(vocab, static_cast<uint8_t>(byte)));
}

}  // namespace

void tokenize_spm(const Tokenizer::Impl& vocab, std::string_view text, std::vector<int32_t>& out) {
    // A pair merges when its concatenation is a token; the highest score first.
    const auto score = [&vocab](std::string_view left, std::string_view right) -> std::optional<float> {
        const int32_t id = vocab.find(joined(left, right));
        if (id < 0) return std::nullopt;
        return vocab.scores[id];
    };
    for (std::string_view piece : merge_symbols(text, score, std::greater<float>())) emit(vocab, piece, out);
}

}  // namespace qframe::tok
