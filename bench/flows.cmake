# Flow decoding benchmark and the bot detector's evaluation (src/flows).
if(TARGET rampart_flows)
  add_executable(flows_bench ${PROJECT_SOURCE_DIR}/bench/flows_bench.cc)
  target_include_directories(flows_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(flows_bench PRIVATE rampart_flows)
  add_executable(flows_eval ${PROJECT_SOURCE_DIR}/bench/flows_eval.cc)
  target_include_directories(flows_eval PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(flows_eval PRIVATE rampart_flows)
endif()
