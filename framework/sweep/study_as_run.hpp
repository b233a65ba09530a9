// What a sweep writes as STUDY_DIR/study.yaml: the study as run, which `qframe plan STUDY_DIR`
// reads back from any folder.
#pragma once

#include <string>

#include "qframe/study.hpp"

namespace qframe::sweep {

// The study's text with --set values applied and every path absolute: the model, the text, the
// plugins, and the File options of baseline stages and treatments (an imatrix, say); `out` is
// left out (the folder the text is written to is the study's).
std::string study_as_run(const Study& study);

}  // namespace qframe::sweep
