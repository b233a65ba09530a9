// Tokenizes every test input of llama.cpp's vocabulary files and compares with the ids
// llama.cpp's own test expects (add_special = false, parse_special = false, as its test runs),
// then decodes the ids back.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "qframe/gguf.hpp"
#include "qframe/metadata.hpp"
#include "qframe/tokenizer.hpp"
#include "vocab_cases.hpp"

namespace {

using qframe::test::read_vocab_cases;
using qframe::test::vocab_dir;

std::string replace_all(const std::string& s, std::string_view from, std::string_view to) {
    std::string out;
    size_t pos = 0;
    for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
        out.append(s, pos, hit - pos);
        out += to;
    }
    out.append(s, pos);
    return out;
}

struct Outcome {
    size_t total = 0, passed = 0, round_trips = 0, decode_mismatches = 0;
    std::string failures;
};

// What llama.cpp's detokenize gives back for these inputs: the input itself, except that
// vocabularies with clean_up_tokenization_spaces (gpt-2, falcon, starcoder) drop the space of
// " ?" (checked with llama_detokenize on every input; the other clean-up rules never fire here).
std::string expected_decode(const std::string& input, bool cleans_spaces) {
    return cleans_spaces ? replace_all(input, " ?", "?") : input;
}

Outcome run_vocab(const std::string& name, bool cleans_spaces) {
    Outcome o;
    const auto path = vocab_dir() / fmt::format("ggml-vocab-{}.gguf", name);
    const auto cases = read_vocab_cases(path);
    REQUIRE(!cases.empty());
    const auto tokenizer = qframe::Tokenizer::from_gguf(qframe::GgufFile::open(path));
    for (const auto& [input, expected] : cases) {
        const auto got = tokenizer.tokenize(input, false, false);
        ++o.total;
        if (got == expected) ++o.passed;
        else o.failures += fmt::format("tokenize('{}')\n  expected [{}]\n  got      [{}]\n", input, fmt::join(expected, " "), fmt::join(got, " "));

        const std::string back = tokenizer.decode(got);
        if (back == input) ++o.round_trips;
        if (back != expected_decode(input, cleans_spaces)) {
            ++o.decode_mismatches;
            o.failures += fmt::format("decode(tokenize('{}')) = '{}'\n", input, back);
        }
    }
    WARN(fmt::format("vocab {}: {}/{} inputs tokenize to llama.cpp's ids; {}/{} decode back to the input "
                     "(the others differ exactly as in llama.cpp)", name, o.passed, o.total, o.round_trips, o.total));
    return o;
}

void check_vocab(const std::string& name, bool cleans_spaces) {
    const auto path = vocab_dir() / fmt::format("ggml-vocab-{}.gguf", name);
    if (!std::filesystem::exists(path)) {
        WARN("SKIPPED: " << path.string() << " is absent");
        return;
    }
    const Outcome o = run_vocab(name, cleans_spaces);
    INFO(o.failures);
    CHECK(o.passed == o.total);
    CHECK(o.decode_mismatches == 0);
}

}  // namespace

// Required: SentencePiece (llama-spm, phi-3) and GPT-2's byte-level BPE.
TEST_CASE("llama-spm vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") { check_vocab("llama-spm", false); }
TEST_CASE("phi-3 vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") { check_vocab("phi-3", false); }
TEST_CASE("gpt-2 vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") { check_vocab("gpt-2", true); }
// Pre-tokenizers through general expressions: on category stand-ins (falcon, starcoder, deepseek-llm's \p{N})
// and on code points (deepseek-llm's explicit character ranges).
TEST_CASE("falcon vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") { check_vocab("falcon", true); }
TEST_CASE("starcoder vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") { check_vocab("starcoder", true); }
TEST_CASE("deepseek-llm vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") { check_vocab("deepseek-llm", false); }

namespace {

// Settings llama.cpp's vocabulary files lack, on a vocabulary that has them changed: `key` set
// to `value` in NAME's metadata, the ids llama-tokenize's for that changed file
// (tests/tokenizer/data/README.md), on NAME's own inputs and on data/extra.inp.
void check_changed_vocab(const std::string& name, const std::string& key, const qframe::Value& value, const std::string& facts_folder) {
    const auto path = vocab_dir() / fmt::format("ggml-vocab-{}.gguf", name);
    if (!std::filesystem::exists(path)) {
        WARN("SKIPPED: " << path.string() << " is absent");
        return;
    }
    qframe::Metadata metadata = qframe::GgufFile::open(path).metadata();
    metadata.set(key, value);
    const auto tokenizer = qframe::Tokenizer::from_metadata(metadata);
    const auto data = std::filesystem::path(QFRAME_SOURCE_DIR) / "tests/tokenizer/data";
    auto cases = qframe::test::read_cases(path.string() + ".inp", data / facts_folder / fmt::format("{}-inputs.out", name));
    const auto extra = qframe::test::read_cases(data / "extra.inp", data / facts_folder / "extra.out");
    REQUIRE(cases.size() > 30);
    REQUIRE(extra.size() == 14);
    cases.insert(extra.begin(), extra.end());
    size_t passed = 0;
    std::string failures;
    for (const auto& [input, expected] : cases) {
        const auto got = tokenizer.tokenize(input, false, false);
        if (got == expected) ++passed;
        else failures += fmt::format("tokenize('{}')\n  expected [{}]\n  got      [{}]\n", input, fmt::join(expected, " "), fmt::join(got, " "));
    }
    INFO(failures);
    CHECK(passed == cases.size());
}

}  // namespace

// Qwen2's pre-tokenizer (single digits, a general expression with look-ahead) on gpt-2's vocabulary.
TEST_CASE("qwen2's pre-tokenizer on gpt-2's vocabulary tokenizes as llama.cpp", "[tokenizer][vocab]") {
    check_changed_vocab("gpt-2", "tokenizer.ggml.pre", qframe::Value::string("qwen2"), "qwen2-pre");
}
// SentencePiece without the leading space, as Gemma's vocabularies are set.
TEST_CASE("a SentencePiece vocabulary without add_space_prefix tokenizes as llama.cpp", "[tokenizer][vocab]") {
    check_changed_vocab("llama-spm", "tokenizer.ggml.add_space_prefix", qframe::Value::boolean(false), "spm-no-space-prefix");
}
