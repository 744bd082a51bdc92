# End-to-end test with a real Postfix (Debian postfix + swaks), rampartd and
# DnsTestServer. Heavy: labelled e2e (ctest -L e2e / -LE e2e).
if(TARGET rampartd AND TARGET rampart_dns_test_server)
  rampart_test(e2e_postfix_test SOURCES e2e_postfix_test.cc DEPS rampart_dns_test_server rampart_dns)
  set_tests_properties(e2e_postfix_test PROPERTIES LABELS e2e TIMEOUT 900
                       ENVIRONMENT "RAMPARTD_BIN=$<TARGET_FILE:rampartd>;RAMPART_BIN=$<TARGET_FILE:rampart>")
  target_compile_definitions(e2e_postfix_test PRIVATE RAMPART_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_dependencies(e2e_postfix_test rampartd rampart)
endif()
