# The blind population generators (bench/blind, issue 13): deterministic per seed, output in the
# shared format (bench/blind/README.md). Python standard library only.
find_program(RAMPART_PYTHON3 python3)
if(RAMPART_PYTHON3)
  add_test(NAME blind_generators
           COMMAND ${RAMPART_PYTHON3} -m unittest -v test_generators.Determinism test_generators.Senders
                   test_generators.Flows
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/blind)
  # The second, independent generator set (bench/blind3: its author read only the format and the
  # scorers): deterministic per seed, every field as src/reputation/event_json.h documents it.
  add_test(NAME blind3_generators COMMAND ${RAMPART_PYTHON3} -m unittest -v test_gen
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/blind3)
  set_tests_properties(blind3_generators PROPERTIES TIMEOUT 300)
  # The rampart CLI reads every generated line (it never looks at what rampart concludes).
  if(TARGET rampart)
    add_test(NAME blind_generators_rampart_reads
             COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart>
                     ${RAMPART_PYTHON3} -m unittest -v test_generators.RampartAccepts
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/blind)
  endif()
endif()
