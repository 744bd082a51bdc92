if(TARGET rampart_console_core)
  rampart_fuzz_target(fuzz_console SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_console.cc DEPS rampart_console_core)
endif()
