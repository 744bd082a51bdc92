# openspf conformance suites (RFC 7208: 203 tests, RFC 4408: 191 tests),
# fetched from Debian's python3-spf by a ctest fixture, served through
# dns::ZoneResolver.
if(TARGET rampart_spf)
  set(SPF_SUITE_DIR ${CMAKE_BINARY_DIR}/testdata/spf)
  add_test(NAME spf_suites_fetch COMMAND ${PROJECT_SOURCE_DIR}/scripts/fetch-spf-suites.sh ${SPF_SUITE_DIR})
  set_tests_properties(spf_suites_fetch PROPERTIES FIXTURES_SETUP spf_suites)
  rampart_test(spf_conformance_test SOURCES spf_conformance_test.cc
               DEPS rampart_spf rampart_dns PkgConfig::YAMLCPP
)
  set_tests_properties(spf_conformance_test PROPERTIES FIXTURES_REQUIRED spf_suites
                       ENVIRONMENT SPF_SUITE_DIR=${SPF_SUITE_DIR})
endif()

if(TARGET rampart_spf AND TARGET rampart_dns_test_server)
  rampart_test(cli_spf_test SOURCES cli_spf_test.cc DEPS rampart_dns_test_server rampart_dns)
  set_tests_properties(cli_spf_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(cli_spf_test rampart)
endif()

# The same suites and the Sender ID cases through the production path:
# `rampart spf|senderid --nameserver` against the test DNS server.
if(TARGET rampart_spf AND TARGET rampart_senderid AND TARGET rampart_dns_test_server)
  rampart_test(spf_dns_conformance_test SOURCES spf_dns_conformance_test.cc
               DEPS rampart_dns_test_server rampart_dns PkgConfig::YAMLCPP Threads::Threads)
  set_tests_properties(spf_dns_conformance_test PROPERTIES FIXTURES_REQUIRED spf_suites
                       ENVIRONMENT "SPF_SUITE_DIR=${SPF_SUITE_DIR};RAMPART_BIN=$<TARGET_FILE:rampart>")
  add_dependencies(spf_dns_conformance_test rampart)
endif()
