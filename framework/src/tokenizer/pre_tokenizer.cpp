#include "tokenizer/pre_tokenizer.hpp"

#include <fmt/format.h>

#include "qframe/error.hpp"
#include "tokenizer/unicode.hpp"

namespace qframe::tok {
namespace {

// Lengths in code points of consecutive pieces of the text; each rule refines them.
using Pieces = std::vector<size_t>;

constexpr uint32_t kNone = 0xFFFFFFFF;  // "past the piece" for look-ahead

// Read access to one piece of the code points, answering kNone / no category outside it.
class PieceView {
public:
    PieceView(const std::vector<uint32_t>& cpts, size_t begin, size_t end) : cpts_(cpts), begin_(begin), end_(end) {}
    size_t begin() const { return begin_; }
    size_t end() const { return end_; }
    uint32_t cpt(size_t pos) const { return inside(pos) ? cpts_[pos] : kNone; }
    CodepointInfo info(size_t pos) const { return inside(pos) ? codepoint_info(cpts_[pos]) : CodepointInfo{}; }

private:
    bool inside(size_t pos) const { return pos >= begin_ && pos < end_; }
    const std::vector<uint32_t>& cpts_;
    size_t begin_, end_;
};

// Collects word lengths as a matcher advances through a piece.
class WordSink {
public:
    WordSink(Pieces& out, size_t start) : out_(out), last_end_(start) {}
    // Ends a word at `end`; returns its length (nothing is recorded for an empty one).
    size_t cut(size_t end) {
        const size_t length = end - last_end_;
        if (length > 0) out_.push_back(length);
        last_end_ = end;
        return length;
    }

private:
    Pieces& out_;
    size_t last_end_;
};

bool is_cr_or_lf(uint32_t c) { return c == '\r' || c == '\n'; }
uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Contractions 's 't 'm 'd 're 've 'll at `pos`: their length, or 0.
size_t contraction_length(const PieceView& v, size_t pos, bool any_case) {
    if (v.cpt(pos) != '\'' || pos + 1 >= v.end()) return 0;
    const auto lower = [&](size_t p) { return any_case ? ascii_lower(v.cpt(p)) : v.cpt(p); };
    const uint32_t c1 = lower(pos + 1);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
    if (pos + 2 >= v.end()) return 0;
    const uint32_t c2 = lower(pos + 2);
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
    return 0;
}

bool is_other(const CodepointInfo& i) { return !(i.whitespace || i.is_letter() || i.is_number()) && i.exists(); }

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const PieceView& v, Pieces& out) {
    WordSink sink(out, v.begin());
    for (size_t pos = v.begin(); pos < v.end();) {
        const uint32_t c = v.cpt(pos);
        if (const size_t n = contraction_length(v, pos, false)) {
            pos += sink.cut(pos + n);
            continue;
        }
        // An optional leading space joins the run that follows it.
        const CodepointInfo head = c == ' ' ? v.info(pos + 1) : v.info(pos);
        if (head.is_letter() || head.is_number() || is_other(head)) {
            const auto same_class = [&](const CodepointInfo& i) {
                return head.is_letter() ? i.is_letter() : head.is_number() ? i.is_number() : is_other(i);
            };
            pos += c == ' ';
            while (same_class(v.info(pos))) ++pos;
            sink.cut(pos);
            continue;
        }
        size_t spaces = 0;
        while (v.info(pos + spaces).whitespace) ++spaces;
        if (spaces > 1 && v.cpt(pos + spaces) != kNone) {
            pos += spaces - 1;  // \s+(?!\S): the last space goes with the next word
        } else if (spaces > 0) {
            pos += spaces;
        } else {
            ++pos;
        }
        sink.cut(pos);
    }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
void split_llama3(const PieceView& v, Pieces& out) {
    WordSink sink(out, v.begin());
    for (size_t pos = v.begin(); pos < v.end();) {
        const uint32_t c = v.cpt(pos);
        const CodepointInfo info = v.info(pos);
        if (const size_t n = contraction_length(v, pos, true)) {
            pos += sink.cut(pos + n);
            continue;
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (!(is_cr_or_lf(c) || info.is_number()) && (info.is_letter() || v.info(pos + 1).is_letter())) {
            ++pos;
            while (v.info(pos).is_letter()) ++pos;
            sink.cut(pos);
            continue;
        }
        // \p{N}{1,3}
        if (info.is_number()) {
            size_t start = pos;
            while (v.info(pos).is_number()) {
                if (++pos - start >= 3) {
                    sink.cut(pos);
                    start = pos;
                }
            }
            sink.cut(pos);
            continue;
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'. Like llama.cpp, the "is a code point" test looks at `c`
        // itself, so a lone space at the end of a piece is taken here.
        CodepointInfo next = c == ' ' ? v.info(pos + 1) : info;
        if (!(next.whitespace || next.is_letter() || next.is_number()) && info.exists()) {
            pos += c == ' ';
            while (is_other(next)) next = v.info(++pos);
            while (is_cr_or_lf(v.cpt(pos))) ++pos;
            sink.cut(pos);
            continue;
        }
        size_t spaces = 0;
        size_t end_of_last_newline = 0;
        while (v.info(pos + spaces).whitespace) {
            if (is_cr_or_lf(v.cpt(pos + spaces))) end_of_last_newline = pos + spaces + 1;
            ++spaces;
        }
        if (end_of_last_newline > 0) {
            pos = end_of_last_newline;  // \s*[\r\n]+
        } else if (spaces > 1 && v.cpt(pos + spaces) != kNone) {
            pos += spaces - 1;          // \s+(?!\S)
        } else if (spaces > 0) {
            pos += spaces;              // \s+
        } else {
            ++pos;
        }
        sink.cut(pos);
    }
}

// ---- general expressions ----
//
// As in llama.cpp (whose std::regex knows no Unicode categories), every code point above ASCII
// is replaced by one stand-in naming its category, and each \p{X} by a class of that stand-in
// plus the ASCII members of X. ASCII code points stay themselves; non-ASCII white space becomes
// \v, since `\s` means ASCII white space here as there.

constexpr uint32_t kOtherStandIn = 0xD0;

struct CategoryClass {
    std::string_view name;   // "\p{N}"
    uint8_t flag;
    char stand_in;           // what a non-ASCII member becomes
    std::string_view ascii;  // its ASCII members, as a bracket-expression body
};

// The ASCII members are llama.cpp's: notably '~' (Sm) is left out of \p{S}, so it is here too.
constexpr CategoryClass kCategoryClasses[] = {
    {"\\p{N}", kNumber, static_cast<char>(0xD1), "0-9"},
    {"\\p{L}", kLetter, static_cast<char>(0xD2), "A-Za-z"},
    {"\\p{P}", kPunctuation, static_cast<char>(0xD3), "!-#%-*,-/:;?@\\[-\\]_\\{\\}"},
    {"\\p{M}", kMark, static_cast<char>(0xD4), ""},
    {"\\p{S}", kSymbol, static_cast<char>(0xD5), "\\$\\+<->\\^`\\|"},
};

bool uses_categories(std::string_view pattern) {
    for (const auto& c : kCategoryClasses)
        if (pattern.find(c.name) != std::string_view::npos) return true;
    return false;
}

std::vector<uint32_t> category_stand_ins(const std::vector<uint32_t>& cpts) {
    std::vector<uint32_t> out(cpts.size());
    for (size_t i = 0; i < cpts.size(); ++i) {
        if (cpts[i] < 128) {
            out[i] = cpts[i];
            continue;
        }
        const CodepointInfo info = codepoint_info(cpts[i]);
        out[i] = kOtherStandIn;
        if (info.whitespace) {
            out[i] = '\v';
        } else {
            for (const auto& c : kCategoryClasses)
                if (info.category == c.flag) out[i] = static_cast<uint8_t>(c.stand_in);
        }
    }
    return out;
}

// The expression with each \p{X} as a class of stand-ins, one code unit per byte.
std::vector<uint32_t> rewrite_categories(const std::string& pattern) {
    for (unsigned char ch : pattern)
        if (ch >= 128) throw Error(fmt::format("pre-tokenizer expression mixes \\p{{..}} with non-ASCII text: {}", pattern));
    std::string out;
    bool in_brackets = false;  // expressions here never nest brackets
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char ch = pattern[i];
        const bool escaped = i > 0 && pattern[i - 1] == '\\';
        if (ch == '[' && !escaped) in_brackets = true;
        if (ch == ']' && in_brackets && !escaped) in_brackets = false;
        const CategoryClass* cls = nullptr;
        for (const auto& c : kCategoryClasses)
            if (pattern.compare(i, c.name.size(), c.name) == 0) cls = &c;
        if (!cls) {
            out += ch;
            continue;
        }
        if (!in_brackets) out += '[';
        out += cls->stand_in;
        out += cls->ascii;
        if (!in_brackets) out += ']';
        i += cls->name.size() - 1;
    }
    return std::vector<uint32_t>(reinterpret_cast<const unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(out.data()) + out.size());
}

// Cuts each piece at the matches of `expression` (each piece matched on its own, as llama.cpp
// does); the text between matches stays a piece of its own.
Pieces cut_at_matches(const std::vector<uint32_t>& text, const CodepointRegex& expression, const Pieces& pieces) {
    Pieces out;
    out.reserve(pieces.size());
    size_t start = 0;
    for (size_t length : pieces) {
        size_t consumed = 0;
        for (const auto& [position, matched] : expression.matches(std::span(text).subspan(start, length))) {
            if (position > consumed) out.push_back(position - consumed);
            out.push_back(matched);
            consumed = position + matched;
        }
        if (consumed < length) out.push_back(length - consumed);
        start += length;
    }
    return out;
}

}  // namespace

PreTokenizer::PreTokenizer(const std::vector<SplitRule>& rules) {
    for (const auto& rule : rules) {
        CompiledRule compiled;
        compiled.kind = rule.kind;
        if (rule.kind == SplitRule::Kind::Regex) {
            compiled.on_categories = uses_categories(rule.pattern);
            compiled.expression.emplace(compiled.on_categories ? rewrite_categories(rule.pattern) : decode_utf8(rule.pattern),
                                        rule.pattern);
        }
        rules_.push_back(std::move(compiled));
    }
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
    const std::vector<uint32_t> cpts = decode_utf8(text);
    std::vector<uint32_t> as_categories, as_code_points;  // built on first use

    Pieces pieces{cpts.size()};
    for (const auto& rule : rules_) {
        if (rule.kind == SplitRule::Kind::Regex) {
            std::vector<uint32_t>& text = rule.on_categories ? as_categories : as_code_points;
            if (text.empty() && rule.on_categories) text = category_stand_ins(cpts);
            if (text.empty() && !rule.on_categories) {
                text = cpts;
                for (auto& c : text)
                    if (c > 0x7F && codepoint_info(c).whitespace) c = '\v';
            }
            pieces = cut_at_matches(text, *rule.expression, pieces);
            continue;
        }
        Pieces refined;
        refined.reserve(pieces.size());
        size_t start = 0;
        for (size_t length : pieces) {
            const PieceView view(cpts, start, start + length);
            if (rule.kind == SplitRule::Kind::Gpt2) split_gpt2(view, refined);
            else split_llama3(view, refined);
            start += length;
        }
        pieces = std::move(refined);
    }

    // Each word: its code points as UTF-8, then every byte in the byte-level alphabet.
    std::vector<std::string> words;
    words.reserve(pieces.size());
    size_t start = 0;
    for (size_t length : pieces) {
        std::string utf8;
        for (size_t i = start; i < start + length; ++i) append_utf8(utf8, cpts[i]);
        std::string word;
        word.reserve(utf8.size() * 2);
        for (char byte : utf8) word += byte_to_unicode(static_cast<uint8_t>(byte));
        words.push_back(std::move(word));
        start += length;
    }
    return words;
}

}  // namespace qframe::tok
