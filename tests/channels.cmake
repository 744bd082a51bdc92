# STIR/SHAKEN (issue 16): `rampart stir verify|sign` against PASSporTs made and
# checked by PyJWT (Debian python3-jwt, python3-cryptography), x5u served over
# HTTPS on 127.0.0.1. Needs Debian's python3, not a pyenv one.
find_program(RAMPART_STIR_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET rampart AND TARGET rampart_channels AND RAMPART_STIR_PYTHON3)
  add_test(NAME stir_interop_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart>
                   ${RAMPART_STIR_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/stir_interop_test.py)
  set_tests_properties(stir_interop_test PROPERTIES TIMEOUT 180)
endif()

# Kamailio asking rampartd per INVITE (POST /v1/calls), end to end on loopback:
# Debian's kamailio (deploy/kamailio/kamailio.cfg, http_client, form bodies) on a
# free port, SIPp (sip-tester) placing and answering the calls.
find_program(RAMPART_KAMAILIO kamailio PATHS /usr/sbin NO_DEFAULT_PATH)
find_program(RAMPART_SIPP sipp PATHS /usr/bin NO_DEFAULT_PATH)
if(TARGET rampart AND TARGET rampartd AND TARGET rampart_server_calls AND RAMPART_STIR_PYTHON3
   AND RAMPART_KAMAILIO AND RAMPART_SIPP)
  add_test(NAME kamailio_calls_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart> RAMPARTD_BIN=$<TARGET_FILE:rampartd>
                   RAMPART_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                   ${RAMPART_STIR_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/kamailio_calls_test.py)
  set_tests_properties(kamailio_calls_test PROPERTIES TIMEOUT 300)
endif()
# The shipped config's form bodies and answers with hostile SIP values, against
# a stand-in for rampartd that records every byte (no rampartd needed).
if(RAMPART_STIR_PYTHON3 AND RAMPART_KAMAILIO)
  add_test(NAME kamailio_form_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPART_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                   ${RAMPART_STIR_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/kamailio_form_test.py)
  set_tests_properties(kamailio_form_test PROPERTIES TIMEOUT 120)
endif()

# Calls and messages as reputation identities (issue 16) through a real
# rampartd: classes and reasons by GET /v1/reputation, overrides applied to
# the next call and message, the metrics, a restart (RocksDB store).
if(TARGET rampartd AND TARGET rampart_server_calls AND RAMPART_STIR_PYTHON3)
  add_test(NAME channel_reputation_test
           COMMAND ${CMAKE_COMMAND} -E env RAMPARTD_BIN=$<TARGET_FILE:rampartd>
                   ${RAMPART_STIR_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/channel_reputation_test.py)
  set_tests_properties(channel_reputation_test PROPERTIES TIMEOUT 180)
endif()
