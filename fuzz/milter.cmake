if(TARGET rampart_milter)
  rampart_fuzz_target(fuzz_milter SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_milter.cc DEPS rampart_milter)
endif()
if(TARGET rampart_milter_server)
  rampart_fuzz_target(fuzz_milter_session SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_milter_session.cc
                      DEPS rampart_milter_server rampart_dns)
endif()
