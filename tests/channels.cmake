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
