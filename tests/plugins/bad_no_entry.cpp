// A shared library that is not a qframe plugin: no entry point.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
