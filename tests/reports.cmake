# Outbound complaint reports (issue 17): rampartd with [reports], a real
# Postfix relay, Knot serving DKIM keys, dkimpy signing and verifying.
find_program(RAMPART_REPORTS_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(RAMPART_REPORTS_KNOTD knotd PATHS /usr/sbin)
find_program(RAMPART_REPORTS_POSTFIX postfix PATHS /usr/sbin)
if(TARGET rampartd AND RAMPART_REPORTS_PYTHON3 AND RAMPART_REPORTS_KNOTD AND RAMPART_REPORTS_POSTFIX)
  add_test(NAME reports_e2e_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd>
                   ${RAMPART_REPORTS_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/reports_e2e_test.py)
  set_tests_properties(reports_e2e_test PROPERTIES LABELS e2e TIMEOUT 240)
endif()
