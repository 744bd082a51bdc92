# Live DNSBL zones (issue 14): incremental rebuilds of a big live zone.
if(TARGET rampart_server_live)
  add_executable(dnsbl_live_bench ${PROJECT_SOURCE_DIR}/bench/dnsbl_live_bench.cc)
  target_link_libraries(dnsbl_live_bench PRIVATE rampart_server_live)
endif()
