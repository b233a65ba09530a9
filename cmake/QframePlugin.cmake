# qframe_add_plugin(NAME source...): builds a qframe plugin (a loadable module) against the SDK.
# Used by the built-in plugins and, once installed, by out-of-tree ones via find_package(qframe).
function(qframe_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE qframe::core)
  target_compile_features(${name} PRIVATE cxx_std_20)
  # Only the entry point needs to be visible; hidden symbols keep plugins from clashing.
  set_target_properties(${name} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()
