# Helpers shared by every module's CMakeLists.txt.
#
#   rampart_library(NAME SOURCES a.cc b.cc DEPS other_lib ...)
#   rampart_test(NAME SOURCES x_test.cc DEPS lib ...)   -> gtest executable + ctest entry
#   rampart_fuzz_target(NAME SOURCES fuzz_x.cc DEPS lib ...) -> corpus replay test (+ libFuzzer binary)

function(rampart_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_DEPS})
endfunction()

function(rampart_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;ARGS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name} ${A_ARGS} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()


# Every fuzz target is also built with a replay main and run by ctest over its
# corpus (fuzz/corpus/NAME), so each normal build checks the corpus.
function(rampart_fuzz_target name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_replay ${A_SOURCES} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
  target_include_directories(${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name}_replay PRIVATE ${A_DEPS})
  add_test(NAME ${name}_corpus COMMAND ${name}_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
  if(RAMPART_FUZZ)
    add_executable(${name} ${A_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} PRIVATE ${A_DEPS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()
