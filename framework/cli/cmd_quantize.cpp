// qframe quantize [options] IN [OUT] TYPE [THREADS]
// llama-quantize's command line (llama.cpp c392e50, plus current llama.cpp's --tensor-type and
// --tensor-type-file): the same words, the same defaults, the same tensors. It is a recipe made
// from the arguments — one quant.mix stage — which --print-recipe shows and `qframe run` runs.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "catalog_loading.hpp"
#include "common.hpp"
#include "progress.hpp"
#include "qframe/codec.hpp"
#include "qframe/error.hpp"
#include "qframe/file_type.hpp"
#include "qframe/input_file.hpp"
#include "qframe/recipe.hpp"
#include "qframe/runner.hpp"
#include "qframe/types.hpp"

namespace qframe::cli {
namespace {

// llama-quantize's QUANT_OPTIONS: the names (and aliases) it accepts and llama.cpp's file type,
// whose row (qframe/file_type.hpp) names the quant.mix mix; COPY copies every tensor.
struct FileTypeOption {
    const char* name;
    uint32_t file_type;
};

constexpr FileTypeOption kFileTypes[] = {
    {"Q4_0", 2},     {"Q4_1", 3},     {"Q5_0", 8},    {"Q5_1", 9},    {"IQ2_XXS", 19}, {"IQ2_XS", 20}, {"IQ2_S", 28},
    {"IQ2_M", 29},   {"IQ1_S", 24},   {"IQ1_M", 31},  {"TQ1_0", 36},  {"TQ2_0", 37},   {"Q2_K", 10},   {"Q2_K_S", 21},
    {"IQ3_XXS", 23}, {"IQ3_S", 26},   {"IQ3_M", 27},  {"Q3_K", 12},   {"IQ3_XS", 22},  {"Q3_K_S", 11}, {"Q3_K_M", 12},
    {"Q3_K_L", 13},  {"IQ4_NL", 25},  {"IQ4_XS", 30}, {"Q4_K", 15},   {"Q4_K_S", 14},  {"Q4_K_M", 15}, {"Q5_K", 17},
    {"Q5_K_S", 16},  {"Q5_K_M", 17},  {"Q6_K", 18},   {"Q8_0", 7},    {"F16", 1},      {"BF16", 32},   {"F32", 0},
    {"COPY", 0},
};

bool is_copy(const FileTypeOption& o) { return std::string_view(o.name) == "COPY"; }

// The file type's row; every number in kFileTypes has one.
const LlamaFileType& file_type_row(const FileTypeOption& o) { return *find_llama_file_type(o.file_type); }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

// try_parse_ftype: a name (any case) or a file type number; the first entry wins, so "0" is F32.
const FileTypeOption* find_file_type(const std::string& text) {
    for (const auto& o : kFileTypes)
        if (iequals(o.name, text)) return &o;
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }) || text.size() > 9)
        return nullptr;
    const auto number = static_cast<uint32_t>(std::stoul(text));
    for (const auto& o : kFileTypes)
        if (o.file_type == number && !is_copy(o)) return &o;
    return nullptr;
}

std::string file_type_names() {
    std::string out;
    for (const auto& o : kFileTypes) out += fmt::format("{}{}", out.empty() ? "" : ", ", o.name);
    return out;
}

std::string ggml_type_option(const po::variables_map& vm, const char* option) {
    if (!vm.count(option)) return "";
    const std::string& value = vm[option].as<std::string>();
    if (!find_type(value)) throw UsageError(fmt::format("--{}: '{}' is not a ggml type", option, value));
    return value;
}

// parse_tensor_type_file: whitespace-separated PATTERN=TYPE words.
std::vector<std::string> tensor_type_file(const std::string& path) {
    std::istringstream in(read_input_text(path, "tensor type file", kMaxSettingsFileBytes));
    std::vector<std::string> rules;
    for (std::string word; in >> word;) rules.push_back(word);
    return rules;
}

struct Arguments {
    std::string input, output, file_type_text;
    const FileTypeOption* file_type = nullptr;
    unsigned threads = 0;
};

// IN [OUT] TYPE [THREADS], told apart as llama-quantize does: the second word is the type when
// it parses as one (OUT is then IN's folder/ggml-model-TYPE.gguf).
Arguments positional_arguments(const std::vector<std::string>& words) {
    if (words.size() < 2) throw UsageError("expected IN [OUT] TYPE [THREADS]");
    Arguments a;
    a.input = words[0];
    size_t next = 1;
    if ((a.file_type = find_file_type(words[1]))) {
        const auto folder = std::filesystem::path(a.input).parent_path();
        a.output = (folder / fmt::format("ggml-model-{}.gguf", a.file_type->name)).string();
        a.file_type_text = words[1];
        next = 2;
    } else {
        a.output = words[1];
        if (words.size() < 3) throw UsageError("missing TYPE");
        a.file_type_text = words[2];
        if (!(a.file_type = find_file_type(words[2])))
            throw UsageError(fmt::format("'{}' is not a type llama-quantize knows ({})", words[2], file_type_names()));
        next = 3;
    }
    if (next < words.size()) {
        const std::string& t = words[next];
        if (t.empty() || t.size() > 4 || !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); }))
            throw UsageError(fmt::format("invalid THREADS '{}'", t));
        a.threads = static_cast<unsigned>(std::stoul(t));
    }
    if (next + 1 < words.size()) throw UsageError(fmt::format("unexpected argument '{}'", words[next + 1]));
    return a;
}

// `absolute`: the paths made absolute, so that the recipe runs from any folder (--print-recipe);
// otherwise as given (the output's quantize.imatrix.file names the file as the user did).
std::string recipe_text(const Arguments& a, const po::variables_map& vm, bool absolute) {
    const auto path = [absolute](const std::string& p) { return absolute ? std::filesystem::absolute(p).lexically_normal().string() : p; };
    YAML::Emitter y;
    y << YAML::BeginMap << YAML::Key << "qframe" << YAML::Value << 1;
    y << YAML::Key << "name" << YAML::Value << fmt::format("quantize-{}", a.file_type->name);
    y << YAML::Key << "description" << YAML::Value << "made by qframe quantize from llama-quantize's command line";
    y << YAML::Key << "model" << YAML::Value << YAML::BeginMap << YAML::Key << "input" << YAML::Value << path(a.input) << YAML::Key << "output"
      << YAML::Value << path(a.output) << YAML::EndMap;
    if (vm.count("imatrix")) {
        y << YAML::Key << "imatrix" << YAML::Value;
        const auto list = [&](const char* option) { return vm.count(option) ? vm[option].as<std::vector<std::string>>() : std::vector<std::string>{}; };
        const auto include = list("include-weights"), exclude = list("exclude-weights");
        if (include.empty() && exclude.empty()) {
            y << path(vm["imatrix"].as<std::string>());
        } else {
            y << YAML::BeginMap << YAML::Key << "file" << YAML::Value << path(vm["imatrix"].as<std::string>());
            if (!include.empty()) y << YAML::Key << "include" << YAML::Value << YAML::Flow << include;
            if (!exclude.empty()) y << YAML::Key << "exclude" << YAML::Value << YAML::Flow << exclude;
            y << YAML::EndMap;
        }
    }
    const bool copy = is_copy(*a.file_type);
    std::vector<std::pair<std::string, std::string>> metadata;
    if (!copy) metadata.emplace_back("general.file_type", fmt::format("u32:{}", a.file_type->file_type));  // as llama-quantize writes it
    if (vm.count("override-kv"))
        for (const auto& kv : vm["override-kv"].as<std::vector<std::string>>()) {
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) throw UsageError(fmt::format("--override-kv '{}': expected KEY=TYPE:VALUE", kv));
            metadata.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        }
    if (!metadata.empty()) {
        y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
        for (const auto& [key, value] : metadata) y << YAML::Key << key << YAML::Value << value;
        y << YAML::EndMap;
    }
    y << YAML::Key << "stages" << YAML::Value << YAML::BeginSeq;
    if (!copy) {  // COPY: no stage, the tensors as they are
        y << YAML::BeginMap << YAML::Key << "quantize" << YAML::Value << "mix" << YAML::Key << "options" << YAML::Value << YAML::BeginMap;
        y << YAML::Key << "mix" << YAML::Value << std::string(file_type_row(*a.file_type).mix);
        for (const auto& [flag, option] : {std::pair{"pure", "pure"}, {"leave-output-tensor", "leave_output_tensor"}, {"allow-requantize", "allow_requantize"}})
            if (vm.count(flag)) y << YAML::Key << option << YAML::Value << true;
        for (const auto& [flag, option] : {std::pair{"output-tensor-type", "output_tensor_type"}, {"token-embedding-type", "token_embedding_type"}})
            if (const auto type = ggml_type_option(vm, flag); !type.empty()) y << YAML::Key << option << YAML::Value << type;
        std::vector<std::string> rules;
        if (vm.count("tensor-type")) rules = vm["tensor-type"].as<std::vector<std::string>>();
        if (vm.count("tensor-type-file")) {
            const auto from_file = tensor_type_file(vm["tensor-type-file"].as<std::string>());
            rules.insert(rules.end(), from_file.begin(), from_file.end());
        }
        if (!rules.empty()) y << YAML::Key << "tensor_types" << YAML::Value << rules;
        y << YAML::EndMap << YAML::EndMap;
    }
    y << YAML::EndSeq << YAML::EndMap;
    return std::string(y.c_str()) + "\n";
}

std::string mib(uint64_t bytes) { return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0)); }

void print_forecast(const RunResult& r) {
    size_t width = 0;
    for (const auto& t : r.planned) width = std::max(width, t.name.size());
    const size_t digits = fmt::format("{}", r.planned.size()).size();
    uint64_t total_before = 0, total_after = 0;
    for (size_t i = 0; i < r.planned.size(); ++i) {
        const PlannedTensor& t = r.planned[i];
        const std::string from = type_name_or_id(find_type(t.input_type_id), t.input_type_id);
        const std::string to = t.type_id ? type_name_or_id(find_type(*t.type_id), *t.type_id) : "?";
        fmt::print("{:>{}} {:<{}}  {:>7} -> {:<7} {}\n", fmt::format("[{}/{}]", i + 1, r.planned.size()), 2 * digits + 3, t.name, width, from, to,
                   t.bytes ? mib(*t.bytes) : std::string("size unknown"));
        total_after += t.bytes.value_or(0);
    }
    total_before = r.input.size;
    if (r.planned_output_bytes)
        fmt::print("would write {}: {} bytes ({}; the input is {})\n", r.plan->output.string(), *r.planned_output_bytes, mib(*r.planned_output_bytes),
                   mib(total_before));
    else
        fmt::print("would write {}: size unknown (a stage cannot tell its types without encoding)\n", r.plan->output.string());
}

}  // namespace

int run_quantize(const std::vector<std::string>& args) {
    po::options_description options("quantize options (llama-quantize's)");
    options.add_options()
        ("imatrix", po::value<std::string>(), "importance matrix the encoders weigh by (.dat or GGUF)")
        ("include-weights", po::value<std::vector<std::string>>()->composing(), "weigh only the tensors whose name contains this (repeatable)")
        ("exclude-weights", po::value<std::vector<std::string>>()->composing(), "do not weigh the tensors whose name contains this (repeatable)")
        ("output-tensor-type", po::value<std::string>(), "ggml type of output.weight")
        ("token-embedding-type", po::value<std::string>(), "ggml type of token_embd.weight")
        ("tensor-type", po::value<std::vector<std::string>>()->composing(), "PATTERN=TYPE: tensors whose name matches the regular expression get TYPE (repeatable; the first match wins)")
        ("tensor-type-file", po::value<std::string>(), "a file of PATTERN=TYPE words, applied after --tensor-type")
        ("pure", "every quantized tensor at TYPE's base type: no per-tensor mix rules")
        ("leave-output-tensor", "keep output.weight as it is")
        ("allow-requantize", "re-encode tensors that are already quantized")
        ("override-kv", po::value<std::vector<std::string>>()->composing(), "KEY=TYPE:VALUE: set a metadata key in the output (TYPE: int, float, bool, str; repeatable)")
        ("dry-run", "print each tensor's type and the output's exact size; write nothing")
        ("print-recipe", "print the recipe these arguments make; run nothing")
        ("report", po::value<std::string>(), "also write REPORT.md and REPORT.json to this folder (qframe's)")
        ("no-hash", "skip the SHA-256 of the input and the output");
    po::options_description hidden;
    hidden.add_options()("args", po::value<std::vector<std::string>>(), "IN [OUT] TYPE [THREADS]");
    po::positional_options_description positional;
    positional.add("args", -1);
    const auto vm = parse(args, fmt::format("qframe quantize [options] IN [OUT] TYPE [THREADS]\n  TYPE: {}", file_type_names()), options, positional, hidden);
    if (!vm) return 0;
    if (!vm->count("args")) throw UsageError("expected IN [OUT] TYPE [THREADS]");
    const Arguments a = positional_arguments((*vm)["args"].as<std::vector<std::string>>());
    if (!is_copy(*a.file_type)) {
        const LlamaFileType& row = file_type_row(*a.file_type);
        if (row.needs_importance && !vm->count("imatrix"))
            throw UsageError(fmt::format("{} needs an importance matrix (--imatrix), as llama-quantize says: its result would be garbage without one",
                                         a.file_type->name));
    }
    if (vm->count("include-weights") && vm->count("exclude-weights"))
        throw UsageError("--include-weights and --exclude-weights cannot be used together");
    if ((vm->count("include-weights") || vm->count("exclude-weights")) && !vm->count("imatrix"))
        throw UsageError("--include-weights and --exclude-weights choose entries of --imatrix, which is not given");

    if (vm->count("print-recipe")) {
        std::cout << recipe_text(a, *vm, true);
        return 0;
    }
    const std::string text = recipe_text(a, *vm, false);
    StageCatalog catalog;
    load_catalog(catalog, {});
    RecipeOverrides overrides;
    if (vm->count("report")) overrides.report = (*vm)["report"].as<std::string>();
    // The recipe's own folder is the working directory: its paths are the command line's.
    const Plan plan = load_plan_text(text, "qframe-quantize.yaml", catalog, overrides);
    const bool dry_run = vm->count("dry-run") > 0;
    ProgressBar bar(!vm->count("quiet") && !dry_run);
    RunOptions run_options{a.threads, dry_run, [&bar](const std::string& label, uint64_t done, uint64_t total) { bar.update(label, done, total); },
                           vm->count("no-hash") == 0, false};
    // The report is written before the output takes its name (qframe run does the same).
    if (!plan.report.empty()) run_options.before_output_published = [&plan](const RunResult& r) { write_reports(r, plan.report); };
    const RunResult result = run_plan(plan, run_options);
    bar.finish();
    if (dry_run) {
        print_forecast(result);
        return 0;
    }
    spdlog::info("wrote {} as {} ({} tensor(s) changed; {} -> {})", plan.output.string(), a.file_type->name, result.changed.size(),
                 mib(result.input.size), mib(result.output.size));
    return 0;
}

}  // namespace qframe::cli
