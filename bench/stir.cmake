# STIR/SHAKEN verification benchmark (bench/stir_bench.cc): rampart's whole
# check with a warm certificate cache beside OpenSSL's ES256 verify alone.
if(TARGET rampart_channels)
  add_executable(stir_bench ${CMAKE_CURRENT_LIST_DIR}/stir_bench.cc)
  target_include_directories(stir_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(stir_bench PRIVATE rampart_channels rampart_core)
endif()
