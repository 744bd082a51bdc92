# dns module: the test DNS server (a library other tests link) and the
# integration tests of UnboundResolver against it on 127.0.0.1.
add_library(rampart_dns_test_server STATIC ${PROJECT_SOURCE_DIR}/tests/support/dns_test_server.cc)
target_include_directories(rampart_dns_test_server PUBLIC ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(rampart_dns_test_server PUBLIC rampart_dns Threads::Threads)

rampart_test(dns_integration_test
  SOURCES ${PROJECT_SOURCE_DIR}/tests/dns_integration_test.cc
  DEPS rampart_dns rampart_dns_test_server)
