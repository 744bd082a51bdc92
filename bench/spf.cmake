# SPF benchmark (bench/run.sh, bench/README.md): rampart's evaluator over the
# caching unbound resolver. Built only when the SPF and DNS modules exist.
if(TARGET rampart_spf AND TARGET rampart_dns)
  add_executable(spf_bench ${CMAKE_CURRENT_LIST_DIR}/spf_bench.cc)
  target_include_directories(spf_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(spf_bench PRIVATE rampart_spf rampart_dns rampart_core)
endif()
