// QFRAME_API marks what libqframe_core exports; the library is built with hidden visibility, so
// everything else in it stays internal (as spdlog's SPDLOG_API). On ELF, using and building the
// library need the same attribute.
#pragma once

#define QFRAME_API __attribute__((visibility("default")))
