// qframe copy IN OUT: parse, validate and write back; unchanged tensors are copied undecoded.
#include <spdlog/spdlog.h>

#include "common.hpp"
#include "qframe/gguf_writer.hpp"

namespace qframe::cli {

int run_copy(const std::vector<std::string>& args) {
    po::options_description options("copy options");
    options.add_options()
        ("input", po::value<std::string>()->required(), "GGUF file to read")
        ("output", po::value<std::string>()->required(), "GGUF file to write (atomically)");
    po::positional_options_description positional;
    positional.add("input", 1).add("output", 1);
    const auto vm = parse(args, "qframe copy IN OUT", options, positional);
    if (!vm) return 0;
    const std::string in = (*vm)["input"].as<std::string>(), out = (*vm)["output"].as<std::string>();
    const auto file = GgufFile::open(in);
    write_gguf(out, layout_of(file), pass_through_all(file), WriteOptions{{in}, {}});
    spdlog::info("wrote {} ({} tensors, {} metadata keys)", out, file.tensors().size(), file.metadata().size());
    return 0;
}

}  // namespace qframe::cli
