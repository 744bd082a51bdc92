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
