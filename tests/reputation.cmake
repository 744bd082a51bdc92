# Reputation integration tests: the Redis Cluster store against a real
# 3-master + 3-replica cluster on loopback (Debian redis-server, redis-tools),
# with a master SIGKILLed mid-write. Labelled e2e: it takes several seconds.
if(TARGET rampart_reputation_redis)
  rampart_test(redis_cluster_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/redis_cluster_test.cc
               DEPS rampart_reputation_redis)
  set_tests_properties(redis_cluster_test PROPERTIES LABELS e2e TIMEOUT 300)
endif()
