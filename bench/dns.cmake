# dns module benchmarks (programs that print figures; never tests).
add_executable(dns_bench ${PROJECT_SOURCE_DIR}/bench/dns_bench.cc)
target_link_libraries(dns_bench PRIVATE rampart_dns benchmark::benchmark)
