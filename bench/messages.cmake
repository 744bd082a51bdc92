# SMS/IM verdicts benchmark (bench/messages_bench.cc): JSON parse + verdict per
# message on one thread, over a mix of conversations and edited campaigns.
if(TARGET rampart_channels AND TARGET rampart_server_calls)
  add_executable(messages_bench ${CMAKE_CURRENT_LIST_DIR}/messages_bench.cc)
  target_include_directories(messages_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(messages_bench PRIVATE rampart_channels rampart_server_calls)
endif()
