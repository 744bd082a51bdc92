# What waking a sleeping event loop costs, and what busy-polling would buy back
# (bench/wakeup_bench.cc; the latency Kamailio sees per INVITE, issue 16).
find_package(Threads REQUIRED)
add_executable(wakeup_bench ${CMAKE_CURRENT_LIST_DIR}/wakeup_bench.cc)
target_link_libraries(wakeup_bench PRIVATE Threads::Threads)
