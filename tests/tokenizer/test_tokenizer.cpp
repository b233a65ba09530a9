// Tokenizer behaviour beyond llama.cpp's test inputs: special tokens, BOS/EOS, decoding, errors,
// and real and synthesized models. Expected ids come from llama.cpp's llama-tokenize.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/metadata.hpp"
#include "qframe/synth.hpp"
#include "qframe/tokenizer.hpp"
#include "vocab_cases.hpp"

namespace {

using qframe::Tokenizer;
using Ids = std::vector<int32_t>;

std::filesystem::path data_dir() { return std::filesystem::path(QFRAME_SOURCE_DIR) / ".." / "shared" / "data"; }

// The tokenizer of a file under ../shared/data, or nullopt (with a visible skip) when absent.
std::optional<Tokenizer> shared_tokenizer(const std::string& relative) {
    const auto path = data_dir() / relative;
    if (!std::filesystem::exists(path)) {
        WARN("SKIPPED: " << path.string() << " is absent");
        return std::nullopt;
    }
    return Tokenizer::from_gguf(qframe::GgufFile::open(path));
}

qframe::Metadata minimal_vocabulary(const std::string& model) {
    qframe::Metadata m;
    m.set("tokenizer.ggml.model", qframe::Value::string(model));
    m.set("tokenizer.ggml.tokens", qframe::Value::string_array({"<unk>", "<s>", "</s>", "a", "b"}));
    return m;
}

struct TempFile {
    std::filesystem::path path;
    explicit TempFile(const std::string& name)
        : path(std::filesystem::temp_directory_path() / fmt::format("qframe-tok-{}-{}", ::getpid(), name)) {}
    ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("a synthesized tinyllama vocabulary tokenizes like llama.cpp", "[tokenizer]") {
    TempFile file("synth.gguf");
    qframe::synthesize_model(*qframe::find_synth_preset("tinyllama"), 1, file.path);
    const auto tok = Tokenizer::from_gguf(qframe::GgufFile::open(file.path));
    CHECK(tok.kind() == Tokenizer::Kind::Spm);
    CHECK(tok.bos() == 1);
    CHECK(tok.eos() == 2);

    // llama-tokenize -m synth.gguf -p "Once upon a time" --ids
    const Ids ids = tok.tokenize("Once upon a time", true);
    CHECK(ids == Ids{1, 373, 273, 262, 264, 433, 333, 436});
    CHECK(tok.token_text(373) == "\xE2\x96\x81O");  // "▁O": the word-start marker is there
    CHECK(tok.decode(std::span(ids).subspan(1)) == "Once upon a time");
    // Non-ASCII falls back to byte tokens, which decode back to the same bytes.
    const std::string text = "Hello world! 42 \xC3\xBCn\xC3\xAF \xF0\x9F\xA6\x99";
    CHECK(tok.decode(tok.tokenize(text, false)) == text);
}

TEST_CASE("real models' vocabularies tokenize like llama.cpp", "[tokenizer]") {
    // stories260K: a trained 512-token SentencePiece vocabulary.
    if (const auto tok = shared_tokenizer("models/stories260K.gguf")) {
        const std::string text = "Once upon a time, there was a little girl named Lily.";
        const Ids ids = tok->tokenize(text, true);
        CHECK(ids == Ids{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426});
        CHECK(tok->decode(std::span(ids).subspan(1)) == text);
        const std::string other = "Hello world! 42 \xC3\xBCn\xC3\xAF""c\xC3\xB6""d\xC3\xA9 \xF0\x9F\xA6\x99";
        CHECK(tok->tokenize(other, true) == Ids{1, 346, 306, 414, 263, 304, 341, 443, 410, 484, 479, 410, 198, 191, 416,
                                                198, 178, 429, 198, 185, 418, 485, 410, 243, 162, 169, 156});
    }
    // tiny-llama3-f16: the first 4096 tokens of the llama-spm vocabulary.
    if (const auto tok = shared_tokenizer("models/tiny-llama3-f16.gguf")) {
        const std::string text = "Hello world! 42 \xC3\xBCn\xC3\xAF""c\xC3\xB6""d\xC3\xA9 \xF0\x9F\xA6\x99";
        CHECK(tok->tokenize(text, true) == Ids{1, 379, 3156, 3186, 36, 229, 153, 132, 55, 53, 2505, 113, 198, 178, 102,
                                               198, 185, 103, 198, 172, 229, 153, 132, 243, 162, 169, 156});
    }
}

TEST_CASE("special tokens are matched only when asked, user-defined ones always", "[tokenizer]") {
    const std::string chat = "<|user|>\nHi there<|end|>\n<|assistant|>";
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-phi-3.gguf")) {
        // Phi-3's special tokens swallow the white space after them (llama.cpp's rstrip rule).
        CHECK(tok->tokenize(chat, true, true) == Ids{1, 32010, 6324, 727, 32007, 32001});
        CHECK(tok->tokenize(chat, true, false) == Ids{1, 529, 29989, 1792, 29989, 29958, 13, 18567, 727, 29966, 29989, 355,
                                                      29989, 29958, 13, 29966, 29989, 465, 22137, 29989, 29958});
        CHECK(tok->decode(Ids{32010, 6324}, true) == "<|user|> Hi");  // 6324 is "▁Hi"
        CHECK(tok->decode(Ids{32010, 6324}, false) == " Hi");
    }
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-gpt-2.gguf")) {
        CHECK(tok->tokenize("Hi<|endoftext|> there", false, true) == Ids{17250, 50256, 612});
        CHECK(tok->tokenize("Hi<|endoftext|> there", false, false) == Ids{17250, 27, 91, 437, 1659, 5239, 91, 29, 612});
    }
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-llama-spm.gguf")) {
        CHECK(tok->tokenize("<s>Hi</s> there", true, true) == Ids{1, 1, 6324, 2, 29871, 727});
    }
}

TEST_CASE("BOS and EOS follow the vocabulary's metadata", "[tokenizer]") {
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-llama-spm.gguf")) {
        CHECK(tok->bos() == 1);
        CHECK(tok->eos() == 2);
        CHECK(tok->adds_bos());
        CHECK_FALSE(tok->adds_eos());
        CHECK(tok->tokenize("", true) == Ids{1});
        CHECK(tok->tokenize("", false).empty());
        CHECK(tok->size() == 32000);
    }
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-gpt-2.gguf")) {
        CHECK(tok->bos() == 50256);
        CHECK_FALSE(tok->adds_bos());  // no add_bos_token key: llama.cpp adds none for gpt-2
        CHECK(tok->tokenize("Hi", true) == Ids{17250});
        CHECK(tok->pre_tokenizer() == "gpt-2");
    }
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-deepseek-llm.gguf")) {
        // llama-tokenize -m ggml-vocab-deepseek-llm.gguf -p "Hi there" --ids
        CHECK(tok->tokenize("Hi there", true) == Ids{100000, 11007, 745});
        CHECK(tok->eos() == 100001);
    }
}

TEST_CASE("decode renders byte tokens, the space marker and byte-level pieces", "[tokenizer]") {
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-llama-spm.gguf")) {
        // "🦙" is not in the vocabulary: four byte tokens <0xF0><0x9F><0xA6><0x99>.
        const Ids llama = tok->tokenize("\xF0\x9F\xA6\x99", false);
        CHECK(llama == Ids{29871, 243, 162, 169, 156});
        CHECK(tok->decode(llama) == "\xF0\x9F\xA6\x99");
        CHECK(tok->token_to_piece(243) == "\xF0");
        CHECK(tok->token_to_piece(tok->find_token("\xE2\x96\x81Hello")) == " Hello");
        // The leading space SentencePiece adds is removed once, like llama.cpp's detokenize.
        CHECK(tok->decode(tok->tokenize(" Hello", false)) == " Hello");
        CHECK(tok->decode(Ids{1}, true) == "<s>");
        CHECK(tok->decode(Ids{1}, false).empty());
        CHECK_THROWS_AS(tok->decode(Ids{32000}), qframe::Error);
    }
    if (const auto tok = shared_tokenizer("vocab/ggml-vocab-gpt-2.gguf")) {
        CHECK(tok->token_text(tok->find_token("\xC4\xA0world")) == "\xC4\xA0world");  // "Ġworld"
        CHECK(tok->token_to_piece(tok->find_token("\xC4\xA0world")) == " world");
        // Clean-up as llama.cpp does it for GPT-2: no space before '?'.
        CHECK(tok->decode(tok->tokenize("Why ?", false)) == "Why?");
        // Invalid UTF-8 becomes U+FFFD before byte-level BPE, as in llama.cpp.
        CHECK(tok->decode(tok->tokenize("a\xFFz", false)) == "a\xEF\xBF\xBDz");
    }
}

TEST_CASE("unknown tokenizer models and pre-tokenizers are errors that name them", "[tokenizer]") {
    CHECK_THROWS_WITH(Tokenizer::from_metadata(minimal_vocabulary("bert")), Catch::Contains("'bert'"));
    auto bpe = minimal_vocabulary("gpt2");
    bpe.set("tokenizer.ggml.merges", qframe::Value::string_array({"a b"}));
    bpe.set("tokenizer.ggml.pre", qframe::Value::string("klingon"));
    CHECK_THROWS_WITH(Tokenizer::from_metadata(bpe), Catch::Contains("'klingon'"));
    CHECK_THROWS_WITH(Tokenizer::from_metadata(qframe::Metadata{}), Catch::Contains("tokenizer.ggml.model"));

    auto no_merges = minimal_vocabulary("gpt2");
    CHECK_THROWS_WITH(Tokenizer::from_metadata(no_merges), Catch::Contains("tokenizer.ggml.merges"));
    auto bad_scores = minimal_vocabulary("llama");
    bad_scores.set("tokenizer.ggml.scores", qframe::Value::array_of(qframe::ValueType::FLOAT32, std::vector<float>{1.0f}));
    CHECK_THROWS_WITH(Tokenizer::from_metadata(bad_scores), Catch::Contains("tokenizer.ggml.scores"));
}

TEST_CASE("a minimal BPE vocabulary merges by rank", "[tokenizer]") {
    auto m = minimal_vocabulary("gpt2");
    m.set("tokenizer.ggml.tokens", qframe::Value::string_array({"a", "b", "c", "ab", "bc", "abc"}));
    m.set("tokenizer.ggml.merges", qframe::Value::string_array({"b c", "a b", "a bc"}));
    m.set("tokenizer.ggml.pre", qframe::Value::string("default"));
    const auto tok = Tokenizer::from_metadata(m);
    CHECK(tok.tokenize("abc", false) == Ids{5});   // b+c first (rank 0), then a+bc
    CHECK(tok.tokenize("ab", false) == Ids{3});
    CHECK(tok.tokenize("cab", false) == Ids{2, 3});
    CHECK(tok.decode(Ids{5, 2}) == "abcc");
}
