# End-to-end checks of `rampart flows detect` on the CTU-13 samples in
# tests/data/flows (the binary, its arguments and its JSON line).
if(TARGET rampart_flows AND TARGET rampart)
  add_test(NAME flows_cli_ctu13
    COMMAND sh -c "out=$($<TARGET_FILE:rampart> flows detect --input tests/data/flows/ctu13-1-capture20110810.binetflow --format binetflow --subscribers 147.32.0.0/16 --json) && echo \"$out\" && echo \"$out\" | grep -q '^{\"host\":\"147.32.84.165\",\"first_seen\":[0-9]*,\"last_seen\":[0-9]*,\"score\":[0-9.]*,\"evidence\":{.*},\"action\":\"\\(throttle\\|block\\|notify\\)\"}$' && test $(echo \"$out\" | grep -vc 147.32.84.165) -eq 0"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  add_test(NAME flows_cli_errors
    COMMAND sh -c "$<TARGET_FILE:rampart> flows detect --input /nonexistent/x --format binetflow --subscribers 10.0.0.0/8; test $? -eq 2 || exit 1; $<TARGET_FILE:rampart> flows detect --input tests/data/flows/nfdump-sample.csv --format nfdump-csv --subscribers nope; test $? -eq 2 || exit 1; $<TARGET_FILE:rampart> flows detect --input tests/data/flows/nfdump-sample.csv --format json --subscribers 10.0.0.0/8; test $? -eq 2 || exit 1; $<TARGET_FILE:rampart> flows detect --input tests/data/flows/nfdump-sample.csv --format nfdump-csv --subscribers 100.64.0.0/10 --json"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endif()

# Real exporters (Debian softflowd, nfdump's nfcapd/nfreplay) against the UDP
# collector on 127.0.0.1; records compared with what `nfdump -r` reads. A
# missing tool fails the test (its path is compiled in as "").
if(TARGET rampart_server_flows)
  rampart_test(flows_exporters_test SOURCES flows_exporters_test.cc DEPS rampart_server_flows)
  set_tests_properties(flows_exporters_test PROPERTIES LABELS e2e)
  # g++ 12 with ASan/UBSan instrumentation reports -Wmaybe-uninitialized inside
  # libstdc++'s std::regex (regex_automaton.h), which this test uses; the
  # normal build keeps the warning as an error.
  if(RAMPART_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(flows_exporters_test PRIVATE -Wno-maybe-uninitialized)
  endif()
  foreach(tool softflowd softflowctl nfcapd nfdump nfreplay)
    string(TOUPPER ${tool} up)
    find_program(RAMPART_${up}_PROGRAM ${tool} PATHS /usr/sbin /usr/bin /sbin)
    if(RAMPART_${up}_PROGRAM)
      target_compile_definitions(flows_exporters_test PRIVATE RAMPART_${up}="${RAMPART_${up}_PROGRAM}")
    endif()
  endforeach()
endif()
if(TARGET rampart_server_flows AND TARGET rampart)
  target_compile_definitions(flows_exporters_test PRIVATE RAMPART_CLI="$<TARGET_FILE:rampart>")
  add_dependencies(flows_exporters_test rampart)
endif()

# rampart's FlowSpec lines through exabgp to a gobgpd peer on loopback (Debian
# exabgp, gobgpd). A missing tool fails the test.
if(TARGET rampart_flows)
  rampart_test(flows_flowspec_test SOURCES flows_flowspec_test.cc DEPS rampart_flows)
  set_tests_properties(flows_flowspec_test PROPERTIES LABELS e2e)
  foreach(tool exabgp gobgpd gobgp)
    string(TOUPPER ${tool} up)
    find_program(RAMPART_${up}_PROGRAM ${tool} PATHS /usr/sbin /usr/bin /sbin)
    if(RAMPART_${up}_PROGRAM)
      target_compile_definitions(flows_flowspec_test PRIVATE RAMPART_${up}="${RAMPART_${up}_PROGRAM}")
    endif()
  endforeach()
endif()

# RFC 6561 notifications to a file and to a webhook served by the test itself
# on 127.0.0.1 (src/flows/notify.h), and `rampart flows detect --notify-*`.
if(TARGET rampart_flows)
  rampart_test(flows_notify_test SOURCES flows_notify_test.cc DEPS rampart_flows)
  if(TARGET rampart)
    target_compile_definitions(flows_notify_test PRIVATE RAMPART_CLI="$<TARGET_FILE:rampart>")
    add_dependencies(flows_notify_test rampart)
  endif()
endif()

# `rampart flows detect --events FILE` (reputation "bot" events) read back by
# `rampart reputation replay --events FILE` (src/reputation).
if(TARGET rampart_flows AND TARGET rampart_reputation AND TARGET rampart)
  rampart_test(flows_reputation_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/flows_reputation_test.cc DEPS rampart_core)
  set_tests_properties(flows_reputation_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(flows_reputation_test rampart)
endif()

# The blind-evaluation scorer (bench/blind/score_flows.py) on a tiny population
# written by hand in the test, with figures worked out by hand; the detector is
# a fake program there (a unit test of the scorer).
# A missing python3 fails the test (it is run by name), never skips it.
find_program(RAMPART_PYTHON3 python3)
if(NOT RAMPART_PYTHON3)
  set(RAMPART_PYTHON3 python3)
endif()
add_test(NAME flows_score_test COMMAND ${RAMPART_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/flows_score_test.py
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})

# The bot detector inside rampartd: softflowd exports a pcap's flows (NetFlow
# v9 and IPFIX) to rampartd's [flows] collector; the incident over HTTP, the
# bot's TXT over DNS (dnspython), release with and without the right, the
# audit line, a restart. Debian's python3 with dnspython; softflowd missing
# fails the test.
find_program(RAMPART_FLOWS_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET rampartd AND TARGET rampart_server_zombies AND TARGET rampart_server_live AND RAMPART_FLOWS_PYTHON3)
  foreach(v 9 10)
    add_test(NAME flows_rampartd_test_v${v}
             COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd>
                     RAMPART_SOURCE_DIR=${PROJECT_SOURCE_DIR} FLOW_VERSION=${v}
                     SOFTFLOWD=${RAMPART_SOFTFLOWD_PROGRAM} SOFTFLOWCTL=${RAMPART_SOFTFLOWCTL_PROGRAM}
                     ${RAMPART_FLOWS_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/flows_rampartd_test.py)
    set_tests_properties(flows_rampartd_test_v${v} PROPERTIES LABELS e2e TIMEOUT 180)
  endforeach()
endif()
