# The members' exchange (bench/exchange_bench.cc): items/s published and applied per core.
if(TARGET rampart_exchange)
  add_executable(exchange_bench ${CMAKE_CURRENT_LIST_DIR}/exchange_bench.cc)
  target_include_directories(exchange_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(exchange_bench PRIVATE rampart_exchange)
endif()
