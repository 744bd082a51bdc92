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

# The Zombies page in the same harness (web/test/zombies_e2e.mjs): softflowd
# exports a pcap's flows to a rampartd with [flows]; the incident appears, an
# operator extends and releases it through the page, a viewer is refused.
find_program(RAMPART_E2E_SOFTFLOWD softflowd PATHS /usr/sbin /usr/bin)
find_program(RAMPART_E2E_SOFTFLOWCTL softflowctl PATHS /usr/sbin /usr/bin)
if(TARGET rampart_web AND TARGET rampartd AND TARGET rampart AND TARGET rampart_server_zombies AND RAMPART_CHROMIUM
   AND RAMPART_E2E_SOFTFLOWD AND RAMPART_E2E_SOFTFLOWCTL)
  add_test(NAME zombies_e2e_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd> RAMPART_BIN=$<TARGET_FILE:rampart>
                   RAMPART_WEB_DIR=${RAMPART_WEB_DIR} CHROMIUM=${RAMPART_CHROMIUM}
                   SHOTS=${CMAKE_BINARY_DIR}/console-screenshots
                   SOFTFLOWD=${RAMPART_E2E_SOFTFLOWD} SOFTFLOWCTL=${RAMPART_E2E_SOFTFLOWCTL}
                   ${RAMPART_NODE} ${PROJECT_SOURCE_DIR}/web/test/zombies_e2e.mjs
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/web)
  set_tests_properties(zombies_e2e_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()

# The Zones and sharing page, a DKIM d='s sender history and the log level
# control (web/test/sharing_e2e.mjs): two rampartd members of a sharing group
# (keys from `rampart exchange`, certificates from openssl), the console on one.
find_program(RAMPART_E2E_OPENSSL openssl)
if(TARGET rampart_web AND TARGET rampartd AND TARGET rampart AND TARGET rampart_server_exchange AND RAMPART_CHROMIUM
   AND RAMPART_E2E_OPENSSL)
  add_test(NAME sharing_e2e_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd> RAMPART_BIN=$<TARGET_FILE:rampart>
                   RAMPART_WEB_DIR=${RAMPART_WEB_DIR} CHROMIUM=${RAMPART_CHROMIUM}
                   SHOTS=${CMAKE_BINARY_DIR}/console-screenshots
                   ${RAMPART_NODE} ${PROJECT_SOURCE_DIR}/web/test/sharing_e2e.mjs
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/web)
  set_tests_properties(sharing_e2e_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()

# The Channels page (web/test/channels_e2e.mjs): a rampartd with [calls]
# (a throwaway STI-CA from openssl) and [messages]; a robocaller blocked
# through POST /v1/calls and an SMS complaint show on the page.
if(TARGET rampart_web AND TARGET rampartd AND TARGET rampart AND RAMPART_CHROMIUM AND RAMPART_E2E_OPENSSL)
  add_test(NAME channels_e2e_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd> RAMPART_BIN=$<TARGET_FILE:rampart>
                   RAMPART_WEB_DIR=${RAMPART_WEB_DIR} CHROMIUM=${RAMPART_CHROMIUM}
                   SHOTS=${CMAKE_BINARY_DIR}/console-screenshots
                   ${RAMPART_NODE} ${PROJECT_SOURCE_DIR}/web/test/channels_e2e.mjs
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/web)
  set_tests_properties(channels_e2e_test PROPERTIES LABELS e2e TIMEOUT 120)
endif()

# `make run` (scripts/demo.sh) opens with the console's URL and a one-time admin login
# (tests/demo_test.sh); needs the bundle, as the demo's console does.
if(TARGET rampart_web AND TARGET rampartd AND TARGET rampart)
  add_test(NAME demo_test COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/demo_test.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(demo_test PROPERTIES LABELS e2e TIMEOUT 180)
endif()
