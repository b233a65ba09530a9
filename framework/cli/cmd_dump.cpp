// qframe dump FILE TENSOR [--out F] [--format f32|text]
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "common.hpp"
#include "qframe/error.hpp"
#include "qframe/gguf.hpp"
#include "qframe/gguf_writer.hpp"
#include "qframe/output_file.hpp"

namespace qframe::cli {
namespace {

std::string as_text(const std::vector<float>& values) {
    std::string text;
    text.reserve(values.size() * 12);
    // fmt's shortest representation reads back to the same float.
    for (float v : values) fmt::format_to(std::back_inserter(text), "{}\n", v);
    return text;
}

}  // namespace

int run_dump(const std::vector<std::string>& args) {
    po::options_description options("dump options");
    options.add_options()
        ("file", po::value<std::string>()->required(), "GGUF file")
        ("tensor", po::value<std::string>()->required(), "tensor name")
        ("out,o", po::value<std::string>(), "write here instead of stdout")
        ("format,f", po::value<std::string>()->default_value("f32"), "f32 (raw little-endian floats) or text (one value a line)");
    po::positional_options_description positional;
    positional.add("file", 1).add("tensor", 1);
    const auto vm = parse(args, "qframe dump FILE TENSOR [--out F] [--format f32|text]", options, positional);
    if (!vm) return 0;

    const std::string format = (*vm)["format"].as<std::string>();
    if (format != "f32" && format != "text") throw UsageError(fmt::format("--format must be f32 or text, not '{}'", format));
    const bool to_stdout = !vm->count("out");
    if (to_stdout && format == "f32" && ::isatty(STDOUT_FILENO))
        throw UsageError("refusing to write raw floats to a terminal: use --out FILE or --format text");

    if (!to_stdout) refuse_overwriting((*vm)["out"].as<std::string>(), {(*vm)["file"].as<std::string>()});
    const auto file = GgufFile::open((*vm)["file"].as<std::string>());
    const std::string name = (*vm)["tensor"].as<std::string>();
    const TensorInfo* tensor = file.find_tensor(name);
    if (!tensor) throw Error(fmt::format("{}: no tensor named '{}'", file.display_name(), name));
    const std::vector<float> values = file.decode(*tensor);

    const std::string text = format == "text" ? as_text(values) : std::string();
    const auto bytes = format == "text" ? std::as_bytes(std::span(text)) : std::as_bytes(std::span(values));
    if (to_stdout) {
        if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
            throw Error("writing to stdout failed");
    } else {
        OutputFile out((*vm)["out"].as<std::string>());
        out.write(bytes);
        out.commit();
        spdlog::info("wrote {} values of {} ({}) to {}", values.size(), name, tensor->type_name(), (*vm)["out"].as<std::string>());
    }
    return 0;
}

}  // namespace qframe::cli
