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
  set_tests_properties(blind3_generators PROPERTIES TIMEOUT 600)
  # The rampart CLI reads every generated line (it never looks at what rampart concludes).
  if(TARGET rampart)
    add_test(NAME blind_generators_rampart_reads
             COMMAND ${CMAKE_COMMAND} -E env RAMPART_BIN=$<TARGET_FILE:rampart>
                     ${RAMPART_PYTHON3} -m unittest -v test_generators.RampartAccepts
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/blind)
  endif()
endif()
# The third generator set (bench/blind4: its author read only FORMAT.md and published
# descriptions): format, classes and roles present, determinism; three tuning seeds here.
if(RAMPART_PYTHON3)
  add_test(NAME blind4_generators COMMAND ${CMAKE_COMMAND} -E env BLIND4_SEEDS=1,2,3
                                          ${RAMPART_PYTHON3} -m unittest -v test_gen
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/blind4)
  set_tests_properties(blind4_generators PROPERTIES TIMEOUT 900)
endif()
# The fourth generator set (bench/blind5: its author read only FORMAT.md and published
# descriptions; senders, flows and, new, call traffic): format, determinism, two seeds.
if(RAMPART_PYTHON3)
  add_test(NAME blind5_generators COMMAND ${RAMPART_PYTHON3} -m unittest -v test_gen
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/blind5)
  set_tests_properties(blind5_generators PROPERTIES TIMEOUT 600)
endif()
# The fifth to eleventh generator sets (bench/blind6 to blind12: each author read only FORMAT.md, the
# event format and published descriptions; senders, flows, calls): format and determinism at scale
# 0.05, by each set's own test_gen.py.
if(RAMPART_PYTHON3)
  foreach(set blind6 blind7 blind8 blind9 blind10 blind11 blind12)
    add_test(NAME ${set}_generators COMMAND ${RAMPART_PYTHON3} test_gen.py
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/bench/${set})
    set_tests_properties(${set}_generators PROPERTIES TIMEOUT 600)
  endforeach()
endif()
