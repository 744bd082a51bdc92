# The web console in a real browser (issue 15): Debian's chromium driven by
# npm playwright-core (web/test/e2e.mjs) against a real rampartd on free
# loopback ports; screenshots of each page in ${CMAKE_BINARY_DIR}/console-screenshots.
# Needs the bundle (target rampart_web, built with ALL) and chromium
# (scripts/install-deps.sh); without them the test is not registered.
find_program(RAMPART_CHROMIUM NAMES chromium chromium-browser PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET rampart_web AND TARGET rampartd AND TARGET rampart AND RAMPART_CHROMIUM)
  add_test(NAME console_e2e_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd> RAMPART_BIN=$<TARGET_FILE:rampart>
                   RAMPART_WEB_DIR=${RAMPART_WEB_DIR} CHROMIUM=${RAMPART_CHROMIUM}
                   SHOTS=${CMAKE_BINARY_DIR}/console-screenshots
                   ${RAMPART_NODE} ${PROJECT_SOURCE_DIR}/web/test/e2e.mjs
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/web)
  set_tests_properties(console_e2e_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()
