# The members' exchange (issue 17): three rampartd members on loopback with
# mutual TLS, listings into their live zones, revocation, tampering, replay,
# and a scan of every byte exchanged for the senders' subscriber data.
find_program(RAMPART_EXCHANGE_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(RAMPART_OPENSSL openssl)
find_program(RAMPART_E2E_SOFTFLOWD softflowd PATHS /usr/sbin /usr/bin)
find_program(RAMPART_E2E_SOFTFLOWCTL softflowctl PATHS /usr/sbin /usr/bin)
if(TARGET rampartd AND TARGET rampart AND TARGET rampart_server_exchange AND RAMPART_EXCHANGE_PYTHON3 AND RAMPART_OPENSSL
   AND RAMPART_E2E_SOFTFLOWD AND RAMPART_E2E_SOFTFLOWCTL AND TARGET rampart_server_zombies)
  add_test(NAME exchange_e2e_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd> RAMPART_BIN=$<TARGET_FILE:rampart>
                   RAMPART_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                   SOFTFLOWD=${RAMPART_E2E_SOFTFLOWD} SOFTFLOWCTL=${RAMPART_E2E_SOFTFLOWCTL}
                   ${RAMPART_EXCHANGE_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/exchange_test.py)
  set_tests_properties(exchange_e2e_test PROPERTIES LABELS e2e TIMEOUT 180)
endif()
