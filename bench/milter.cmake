# rampartd through the milter protocol (bench/milter_bench.cc): CPU per
# message, messages per second, memory; optionally any other milter (rspamd's
# proxy) with the same messages and DNS.
if(TARGET rampart_milter AND TARGET rampart_dkim AND TARGET rampart_dns_test_server)
  add_executable(milter_bench ${CMAKE_CURRENT_LIST_DIR}/milter_bench.cc)
  target_include_directories(milter_bench PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(milter_bench PRIVATE rampart_milter rampart_dkim rampart_dns_test_server rampart_dns rampart_core)
  target_compile_definitions(milter_bench PRIVATE RAMPART_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(TARGET rampartd)
    add_dependencies(milter_bench rampartd)
  endif()
endif()
