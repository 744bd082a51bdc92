# DKIM integration tests: the CLI end to end and interoperability with dkimpy
# (Debian python3-dkim) and OpenDKIM (opendkim, opendkim-tools).
if(TARGET rampart_dkim AND TARGET rampart)
  # apps/rampart/CMakeLists.txt links a fixed list of libraries; until
  # rampart_dkim is on it, link it here so `rampart dkim` is built.
  get_target_property(_rampart_libs rampart LINK_LIBRARIES)
  if(NOT "rampart_dkim" IN_LIST _rampart_libs)
    target_link_libraries(rampart PRIVATE rampart_dkim)
    target_compile_definitions(rampart PRIVATE HAVE_RAMPART_DKIM=1)
  endif()
endif()

if(TARGET rampart_dkim)
  rampart_test(dkim_interop_test SOURCES dkim_interop_test.cc DEPS rampart_dkim rampart_dns)
  set_tests_properties(dkim_interop_test PROPERTIES LABELS e2e
                       ENVIRONMENT DKIM_INTEROP_DIR=${CMAKE_BINARY_DIR}/testdata/dkim-interop)
  # 160 generated messages (tests/dkim_interop_gen.py, fixed seed) against
  # dkimpy and OpenDKIM in both directions.
  rampart_test(dkim_differential_test SOURCES dkim_differential_test.cc
               DEPS rampart_dkim rampart_dns rampart_dns_test_server)
  # Its own directory: dkim_interop_test empties testdata/dkim-interop when it starts.
  set_tests_properties(dkim_differential_test PROPERTIES LABELS e2e TIMEOUT 600
                       ENVIRONMENT DKIM_INTEROP_DIR=${CMAKE_BINARY_DIR}/testdata/dkim-differential)
endif()

# Messages over policy.max_scan_bytes: DKIM verified whole, DMARC never
# failed by a skipped DKIM.
if(TARGET rampart_dkim AND TARGET rampart_policy)
  rampart_test(dkim_big_message_test SOURCES dkim_big_message_test.cc DEPS rampart_policy rampart_dkim rampart_dns)
endif()

# rampart_dns_test_server comes from tests/dns.cmake, included after this
# file (glob order): define the CLI test once the directory is processed.
function(rampart_dkim_cli_test)
  if(TARGET rampart_dkim AND TARGET rampart AND TARGET rampart_dns_test_server)
    rampart_test(dkim_cli_test SOURCES ${PROJECT_SOURCE_DIR}/tests/dkim_cli_test.cc
                 DEPS rampart_dkim rampart_dns_test_server rampart_dns)
    set_tests_properties(dkim_cli_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
    add_dependencies(dkim_cli_test rampart)
  endif()
endfunction()
cmake_language(DEFER CALL rampart_dkim_cli_test)
