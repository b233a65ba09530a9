#include "common.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace qframe::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> table{
        {"inspect", "show a GGUF file's header, metadata and tensors", run_inspect},
        {"copy", "rewrite a GGUF file (byte-identical for llama.cpp-written files)", run_copy},
        {"dump", "write one tensor decoded to F32", run_dump},
        {"synth", "write a deterministic toy Llama model", run_synth},
        {"run", "run a YAML recipe: analyze, quantize, evaluate, report", run_run},
        {"plugins", "list every stage the plugins provide", run_plugins},
        {"sweep", "sensitivity study: each group of tensors at each treatment, against a baseline", run_sweep},
        {"plan", "mixed precision from a study: every group's type under a size budget, as a recipe", run_plan_command},
        {"quantize", "llama-quantize's command line: a model at one of llama.cpp's mixes, with its options", run_quantize},
        {"imatrix", "importance matrix of a model on a text, as llama-imatrix measures it; or convert one", run_imatrix},
        {"bench-types", "time per token of the engine's matrix products at every type, for a model's shapes", run_bench_types},
    };
    return table;
}

std::optional<po::variables_map> parse(const std::vector<std::string>& args, const std::string& usage,
                                       po::options_description options, const po::positional_options_description& positional,
                                       const po::options_description& hidden) {
    options.add_options()
        ("help,h", "show this help")
        ("verbose,v", "more log output (debug)")
        ("quiet,q", "errors only");
    po::options_description all;
    all.add(options).add(hidden);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
        std::cout << "usage: " << usage << "\n\n" << options << "\n";
        return std::nullopt;
    }
    if (vm.count("verbose")) spdlog::set_level(spdlog::level::debug);
    if (vm.count("quiet")) spdlog::set_level(spdlog::level::err);
    po::notify(vm);
    return vm;
}

}  // namespace qframe::cli
