#include "qframe/tokenizer.hpp"

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "tokenizer/vocab.hpp"

namespace qframe {

Tokenizer Tokenizer::from_gguf(const GgufFile& file) {
    try {
        return from_metadata(file.metadata());
    } catch (const Error& e) {
        throw Error(fmt::format("{}: {}", file.display_name(), e.what()));
    }
}

Tokenizer Tokenizer::from_metadata(const Metadata& metadata) { return Tokenizer(tok::load_vocabulary(metadata)); }

std::vector<int32_t> Tokenizer::tokenize(std::string_view text, bool add_special, bool parse_special) const {
    const Impl& v = *impl_;
    std::vector<int32_t> out;
    if (add_special && v.add_bos) out.push_back(v.bos);

    bool after_special = true;  // SPM: the text start counts as "after a special token"
    for (const tok::Fragment& f : tok::split_special_tokens(v, text, parse_special)) {
        if (f.token >= 0) {
            out.push_back(f.token);
            after_special = true;
            continue;
        }
        const std::string_view piece = text.substr(f.offset, f.length);
        if (v.kind == Kind::Bpe) {
            tok::tokenize_bpe(v, piece, out);
            continue;
        }
        // SentencePiece sees spaces as "▁", with one more in front of each text run that
        // starts the input or follows a special token.
        std::string escaped = v.add_space_prefix && after_special ? "\xE2\x96\x81" : "";
        for (char c : piece) escaped += c == ' ' ? std::string_view("\xE2\x96\x81") : std::string_view(&c, 1);
        tok::tokenize_spm(v, escaped, out);
        after_special = false;
    }

    if (add_special && v.add_eos) out.push_back(v.eos);
    return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
    return tok::detokenize(*impl_, ids, render_special);
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
    return tok::token_piece(*impl_, id, render_special);
}

Tokenizer::Kind Tokenizer::kind() const { return impl_->kind; }
const std::string& Tokenizer::model() const { return impl_->model; }
const std::string& Tokenizer::pre_tokenizer() const { return impl_->pre; }
size_t Tokenizer::size() const { return impl_->texts.size(); }
int32_t Tokenizer::bos() const { return impl_->bos; }
int32_t Tokenizer::eos() const { return impl_->eos; }
int32_t Tokenizer::unknown() const { return impl_->unk; }
bool Tokenizer::adds_bos() const { return impl_->add_bos; }
bool Tokenizer::adds_eos() const { return impl_->add_eos; }

namespace {
void check_id(const Tokenizer::Impl& v, int32_t id) {
    if (id < 0 || id >= v.size()) throw Error(fmt::format("tokenizer: token id {} is outside the vocabulary (0..{})", id, v.size() - 1));
}
}  // namespace

const std::string& Tokenizer::token_text(int32_t id) const {
    check_id(*impl_, id);
    return impl_->texts[id];
}
uint32_t Tokenizer::token_attr(int32_t id) const {
    check_id(*impl_, id);
    return impl_->attrs[id];
}
int32_t Tokenizer::find_token(std::string_view text) const { return impl_->find(text); }

}  // namespace qframe
