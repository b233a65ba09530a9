// A study's groups and candidates on a model: the tensors its groups select, grouped per tensor,
// layer, role or layer × role, each group with each treatment.
#include <fmt/format.h>

#include <map>

#include "pipeline/selection.hpp"
#include "qframe/error.hpp"
#include "qframe/tensor_view.hpp"
#include "qframe/study.hpp"

namespace qframe {
namespace {

std::string group_of(const TensorInfo& t, GroupBy per) {
    const int layer = tensor_layer(t.name);
    switch (per) {
        case GroupBy::Tensor: return t.name;
        case GroupBy::Layer: return layer >= 0 ? fmt::format("blk.{}", layer) : tensor_role(t.name);
        case GroupBy::Role: return tensor_role(t.name);
        case GroupBy::LayerRole: return layer >= 0 ? fmt::format("blk.{}.{}", layer, tensor_role(t.name)) : tensor_role(t.name);
    }
    return t.name;
}

}  // namespace

std::string tensor_role(std::string_view name) {
    if (tensor_layer(name) >= 0) name.remove_prefix(name.find('.', 4) + 1);  // "blk.N."
    constexpr std::string_view suffix = ".weight";
    if (name.ends_with(suffix)) name.remove_suffix(suffix.size());
    return std::string(name);
}

std::string Candidate::id() const { return group + "@" + treatment_name; }

std::vector<Candidate> plan_candidates(const Study& study, const GgufFile& model) {
    const Selection selection(study.group_select);
    std::vector<std::string> order;           // groups by their first tensor
    std::vector<std::pair<size_t, size_t>> grouped;  // (tensor, its group in `order`), file order
    std::map<std::string, size_t> group_index;
    const auto& tensors = model.tensors();
    for (size_t i = 0; i < tensors.size(); ++i) {
        if (!selection.accepts(tensor_view(tensors[i]), model.metadata())) continue;
        const auto [it, is_new] = group_index.emplace(group_of(tensors[i], study.per), order.size());
        if (is_new) order.push_back(it->first);
        grouped.emplace_back(i, it->second);
    }
    if (order.empty()) throw Error(fmt::format("{}: the groups select no tensor of {}", study.group_where, model.display_name()));

    std::vector<Candidate> out;
    for (size_t g = 0; g < order.size(); ++g) {
        // one_at_a_time (and adaptive): the group's tensors; all_but_one: every other grouped tensor.
        std::vector<size_t> changed;
        for (const auto& [i, group] : grouped)
            if ((group == g) == (study.mode != StudyMode::AllButOne)) changed.push_back(i);
        for (size_t k = 0; k < study.treatments.size(); ++k) out.push_back({order[g], k, study.treatments[k].name, changed});
    }
    return out;
}

}  // namespace qframe
