# Reputation integration tests: the Redis Cluster store against a real
# 3-master + 3-replica cluster on loopback (Debian redis-server, redis-tools),
# with a master SIGKILLed mid-write. Labelled e2e: it takes several seconds.
if(TARGET rampart_reputation_redis)
  rampart_test(redis_cluster_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/redis_cluster_test.cc
               DEPS rampart_reputation_redis)
  set_tests_properties(redis_cluster_test PROPERTIES LABELS e2e TIMEOUT 300)
endif()

# The CLI: apps/rampart/CMakeLists.txt links a fixed list of libraries; until
# rampart_reputation is on it, link it here so `rampart reputation` is built.
if(TARGET rampart_reputation AND TARGET rampart)
  get_target_property(_rampart_libs rampart LINK_LIBRARIES)
  if(NOT "rampart_reputation" IN_LIST _rampart_libs)
    target_link_libraries(rampart PRIVATE rampart_reputation)
    target_compile_definitions(rampart PRIVATE HAVE_RAMPART_REPUTATION=1)
  endif()
  rampart_test(reputation_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/reputation_cli_test.cc DEPS rampart_dkim rampart_core)
  set_tests_properties(reputation_cli_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(reputation_cli_test rampart)
endif()
