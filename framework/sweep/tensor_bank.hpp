// Treated tensors computed once: a content-addressed store on disk, keyed by the source tensor's
// bytes and the treatment (stage and options), shared by the candidates of a study and by
// studies. Capped in size; the least recently used entries go first.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "qframe/recipe.hpp"
#include "qframe/stage.hpp"

namespace qframe::sweep {

class TensorBank {
public:
    // An empty `dir` turns the bank off (every get() makes the tensor).
    TensorBank(std::filesystem::path dir, uint64_t cap_bytes);

    // The key of `treatment` (a stage and its options, as text) applied to `source`.
    static std::string key(const TensorData& source, const std::string& treatment);
    // The tensor stored under `key`, or what `make` returns (then stored).
    QuantizedTensor get(const std::string& key, const std::function<QuantizedTensor()>& make);
    // Removes the least recently used entries until the bank holds at most its cap.
    void evict() const;

    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    uint64_t cap_;
    std::atomic<uint64_t> hits_{0}, misses_{0}, store_failures_{0};
};

// Text that names a treatment's stage and every option value: part of a bank key.
std::string treatment_text(const StageCall& call);

}  // namespace qframe::sweep
