# DNSBL server (issue 14): the differential test against Debian's rbldnsd and
# the reload test, both driving `rampart dnsbl serve` on 127.0.0.1. They need
# Debian's python3 with dnspython (python3-dnspython), not a pyenv one.
find_program(RAMPART_DNSBL_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET rampart AND TARGET rampart_server_dnsbl AND RAMPART_DNSBL_PYTHON3)
  foreach(t dnsbl_differential_test dnsbl_reload_test)
    add_test(NAME ${t}
             COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart>
                     ${RAMPART_DNSBL_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/${t}.py)
    set_tests_properties(${t} PROPERTIES LABELS e2e TIMEOUT 300)
  endforeach()
endif()

# Zone transfers (issue 14): Debian's Knot DNS (knotd, package knot) as a
# secondary of rampart's zones: AXFR and IXFR with TSIG, NOTIFY.
find_program(RAMPART_KNOTD knotd PATHS /usr/sbin)
if(TARGET rampart AND TARGET rampart_server_dnsbl AND RAMPART_DNSBL_PYTHON3 AND RAMPART_KNOTD)
  add_test(NAME dnsbl_xfr_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart>
                   ${RAMPART_DNSBL_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/dnsbl_xfr_test.py)
  set_tests_properties(dnsbl_xfr_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()

# Live zones from rampartd (issue 14): classes learned from /v1/events
# listed over DNS, Knot as a secondary (IXFR after NOTIFY), manual delist
# through POST /v1/overrides with its audit trail and access control.
if(TARGET rampartd AND TARGET rampart_server_live AND RAMPART_DNSBL_PYTHON3 AND RAMPART_KNOTD)
  add_test(NAME dnsbl_live_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd> RAMPART_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                   ${RAMPART_DNSBL_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/dnsbl_live_test.py)
  set_tests_properties(dnsbl_live_test PROPERTIES LABELS e2e TIMEOUT 180)
endif()

# The same with Debian's NSD (nsd) as the secondary: AXFR, then the change by
# IXFR after NOTIFY, answers equal to rampart's.
find_program(RAMPART_NSD nsd PATHS /usr/sbin)
if(TARGET rampart AND TARGET rampart_server_dnsbl AND RAMPART_DNSBL_PYTHON3 AND RAMPART_NSD)
  add_test(NAME dnsbl_nsd_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart>
                   ${RAMPART_DNSBL_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/dnsbl_nsd_test.py)
  set_tests_properties(dnsbl_nsd_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()
