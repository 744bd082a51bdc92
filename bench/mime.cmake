# Message parsing benchmark (src/mime): programs that print figures; never tests.
if(TARGET rampart_mime)
  add_executable(mime_bench ${PROJECT_SOURCE_DIR}/bench/mime_bench.cc)
  target_include_directories(mime_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mime_bench PRIVATE rampart_mime benchmark::benchmark)
endif()
