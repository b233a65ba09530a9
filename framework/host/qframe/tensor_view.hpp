// A tensor of a GGUF file as a stage sees it (the file's bytes, untouched): what the runner, a
// study's groups and the sweep's treatments hand to selectors and quantizers.
#pragma once

#include <string_view>
#include <vector>

#include "qframe/gguf.hpp"
#include "qframe/stage.hpp"

namespace qframe {

inline TensorData tensor_view(const TensorInfo& t, const ModelInfo* model = nullptr) { return {t.name, t.type_id, t.type, t.dims, t.data, model}; }

// A file's ModelInfo, with the storage its views point into.
struct FileModelInfo {
    std::vector<std::string_view> names;
    ModelInfo info;
    explicit FileModelInfo(const GgufFile& file) : names(tensor_names(file)), info{file.metadata(), names} {}
    FileModelInfo(const FileModelInfo&) = delete;  // info points into names

private:
    static std::vector<std::string_view> tensor_names(const GgufFile& file) {
        std::vector<std::string_view> out;
        for (const auto& t : file.tensors()) out.push_back(t.name);
        return out;
    }
};

}  // namespace qframe
