# Reputation: the sender-population simulator (evaluation table) and the
# store benchmark. Programs that print figures; never tests.
if(TARGET rampart_reputation)
  add_executable(reputation_sim ${PROJECT_SOURCE_DIR}/bench/reputation_sim.cc)
  target_include_directories(reputation_sim PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(reputation_sim PRIVATE rampart_reputation)
endif()
