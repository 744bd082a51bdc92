# DKIM verification benchmark (bench/dkim_bench.cc): rampart vs the OpenSSL
# floor vs dkimpy (bench/dkim_bench.py), on the same generated messages.
if(TARGET rampart_dkim)
  add_executable(dkim_bench ${CMAKE_CURRENT_LIST_DIR}/dkim_bench.cc)
  target_include_directories(dkim_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dkim_bench PRIVATE rampart_dkim rampart_dns rampart_core)
  target_compile_definitions(dkim_bench PRIVATE RAMPART_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
