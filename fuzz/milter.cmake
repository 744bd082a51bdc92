if(TARGET rampart_milter)
  rampart_fuzz_target(fuzz_milter SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_milter.cc DEPS rampart_milter)
endif()
if(TARGET rampart_milter_session)
  rampart_fuzz_target(fuzz_milter_session SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_milter_session.cc
                      DEPS rampart_milter_session rampart_dns)
endif()
if(TARGET rampart_http_scan)
  rampart_fuzz_target(fuzz_http SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_http.cc DEPS rampart_http_scan)
endif()
if(TARGET rampart_policy_feedback AND TARGET rampart_reputation_stores)
  rampart_fuzz_target(fuzz_config SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.cc
                      DEPS rampart_policy_feedback rampart_reputation_stores)
endif()
