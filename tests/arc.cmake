# ARC (RFC 8617): the ValiMail conformance suite (tests/data/arc: 171
# validation + 17 signing tests, MIT licence) through dns::ZoneResolver.
if(TARGET rampart_arc)
  rampart_test(arc_conformance_test SOURCES arc_conformance_test.cc
               DEPS rampart_arc rampart_dns PkgConfig::YAMLCPP)
  target_compile_definitions(arc_conformance_test PRIVATE ARC_SUITE_DIR="${PROJECT_SOURCE_DIR}/tests/data/arc")
endif()

if(TARGET rampart_arc AND TARGET rampart)
  rampart_test(arc_cli_test SOURCES arc_cli_test.cc DEPS rampart_dkim rampart_dns PkgConfig::YAMLCPP)
  target_compile_definitions(arc_cli_test PRIVATE ARC_SUITE_DIR="${PROJECT_SOURCE_DIR}/tests/data/arc")
  set_tests_properties(arc_cli_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(arc_cli_test rampart)
endif()

# `rampart auth` end to end (apps/rampart/auth_cmd.cc).
if(TARGET rampart_arc AND TARGET rampart_dmarc AND TARGET rampart_senderid AND TARGET rampart_authres AND TARGET rampart)
  rampart_test(auth_cmd_test SOURCES auth_cmd_test.cc DEPS rampart_arc rampart_dkim rampart_dns rampart_dns_test_server)
  set_tests_properties(auth_cmd_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(auth_cmd_test rampart)
endif()

# `rampart dmarc report`: aggregate reports as providers send them.
if(TARGET rampart_dmarc AND TARGET rampart)
  rampart_test(dmarc_cli_test SOURCES dmarc_cli_test.cc DEPS rampart_core)
  set_tests_properties(dmarc_cli_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(dmarc_cli_test rampart)
endif()
