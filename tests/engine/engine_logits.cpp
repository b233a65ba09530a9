// Test helper (not installed): evaluates tokens with qframe_engine and writes the logits.
//   engine_logits MODEL TOKENS OUT.f32 [--threads N] [--batch N] [--generate N] [--last 1] [--time 1]
//                 [--numerics ggml|f32]
// TOKENS: comma-separated ids, or "random:N" (N ids from a fixed sequence starting with BOS).
// OUT.f32 receives [n_tokens × n_vocab] little-endian floats (only the last row with --last 1).
// With --generate N, prints N greedily generated ids (after TOKENS) instead, one line.
// With --time 1, prints load and evaluation times to stderr (tools/bench/engine/).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "qframe/engine/model.hpp"
#include "qframe/error.hpp"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: engine_logits MODEL TOKENS OUT.f32 [--threads N] [--batch N] [--generate N]\n";
        return 2;
    }
    unsigned threads = 0;
    uint32_t batch = 512, generate = 0;
    bool last = false, timing = false;
    auto numerics = qframe::engine::Numerics::ggml;
    for (int i = 4; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--numerics") {
            const auto n = qframe::engine::numerics_from_name(argv[i + 1]);
            if (!n) { std::cerr << "--numerics: ggml or f32\n"; return 2; }
            numerics = *n;
            continue;
        }
        const unsigned long v = std::stoul(argv[i + 1]);
        if (opt == "--threads") threads = static_cast<unsigned>(v);
        else if (opt == "--batch") batch = static_cast<uint32_t>(v);
        else if (opt == "--generate") generate = static_cast<uint32_t>(v);
        else if (opt == "--last") last = v != 0;
        else if (opt == "--time") timing = v != 0;
        else { std::cerr << "unknown option " << opt << "\n"; return 2; }
    }
    try {
        std::vector<int32_t> tokens;
        using clock = std::chrono::steady_clock;
        const auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
        const auto t0 = clock::now();
        const auto model = qframe::engine::Model::load(std::filesystem::path(argv[1]));
        const std::string list_arg = argv[2];
        if (list_arg.rfind("random:", 0) == 0) {
            const size_t n = std::stoul(list_arg.substr(7));
            for (size_t i = 0; i < n; ++i)
                tokens.push_back(i == 0 ? model.config().bos_token.value_or(1) : static_cast<int32_t>((i * 7919 + 13) % model.config().n_vocab));
        } else {
            std::stringstream list(list_arg);
            for (std::string item; std::getline(list, item, ',');) tokens.push_back(std::stoi(item));
        }
        qframe::engine::Context ctx(model, static_cast<uint32_t>(tokens.size() + generate), threads, batch, numerics);
        const auto t1 = clock::now();
        if (generate) {
            // The prompt but its last token first, so that the generation's time is its own.
            if (tokens.size() > 1) ctx.eval(std::span(tokens).first(tokens.size() - 1), false);
            const auto t_prompt = clock::now();
            const auto out = qframe::engine::generate(ctx, std::span(tokens).last(1), generate, model.config().eos_token);
            const auto t2 = clock::now();
            if (timing)
                std::cerr << "load " << seconds(t0, t1) << " s, prompt " << seconds(t1, t_prompt) << " s, " << out.size()
                          << " generated tokens " << seconds(t_prompt, t2) << " s: " << out.size() / seconds(t_prompt, t2) << " tokens/s\n";
            for (size_t i = 0; i < out.size(); ++i) std::cout << (i ? " " : "") << out[i];
            std::cout << "\n";
            return 0;
        }
        const auto logits = ctx.eval(tokens, !last);
        const auto t2 = clock::now();
        if (timing)
            std::cerr << "load " << seconds(t0, t1) << " s, eval of " << tokens.size() << " tokens " << seconds(t1, t2)
                      << " s: " << tokens.size() / seconds(t1, t2) << " tokens/s\n";
        std::ofstream out(argv[3], std::ios::binary);
        out.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size() * sizeof(float)));
        if (!out) { std::cerr << "writing " << argv[3] << " failed\n"; return 1; }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
