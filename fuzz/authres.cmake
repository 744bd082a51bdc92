if(TARGET rampart_authres)
  rampart_fuzz_target(fuzz_authres SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_authres.cc DEPS rampart_authres)
endif()
