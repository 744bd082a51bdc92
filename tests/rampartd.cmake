# rampartd's feedback endpoints (POST /v1/reports, /v1/learn) over a real
# daemon on 127.0.0.1 port 0 (DNS from a master file: no network).
if(TARGET rampartd AND TARGET rampart_policy_feedback)
  rampart_test(rampartd_http_test SOURCES rampartd_http_test.cc DEPS rampart_dkim rampart_http rampart_core)
  set_tests_properties(rampartd_http_test PROPERTIES TIMEOUT 300 ENVIRONMENT
                       "RAMPARTD_BIN=$<TARGET_FILE:rampartd>;RAMPART_BIN=$<TARGET_FILE:rampart>")
  add_dependencies(rampartd_http_test rampartd rampart)
endif()
# Two rampartd nodes over one Redis Cluster (3 masters + 3 replicas on
# loopback, tests/support/redis_cluster.h): shared counters through a master
# SIGKILL, identical answers from both nodes, the shared throttle, and every
# redis-server SIGSTOPped for 10 s (scans answered in time, queued events
# counted once).
if(TARGET rampartd AND TARGET rampart_policy_feedback AND TARGET rampart_reputation_redis)
  rampart_test(rampartd_cluster_test SOURCES rampartd_cluster_test.cc DEPS rampart_reputation_redis rampart_http rampart_core)
  set_tests_properties(rampartd_cluster_test PROPERTIES LABELS e2e TIMEOUT 300
                       ENVIRONMENT RAMPARTD_BIN=$<TARGET_FILE:rampartd>)
  add_dependencies(rampartd_cluster_test rampartd)
endif()
# `rampart token new` (apps/rampart/token_cmd.cc) and the access control that reads its lines.
if(TARGET rampart AND TARGET rampart_http)
  rampart_test(token_cli_test SOURCES token_cli_test.cc DEPS rampart_http rampart_core)
  set_tests_properties(token_cli_test PROPERTIES ENVIRONMENT RAMPART_BIN=$<TARGET_FILE:rampart>)
  add_dependencies(token_cli_test rampart)
endif()
# Hostile clients against a real rampartd (issue 11): pipelining, slow and
# idle connections, huge headers, forged Authentication-Results, writes
# without a token; alone and at once, while a good client scans. ~60 s.
if(TARGET rampartd AND TARGET rampart_dns_test_server AND TARGET rampart_http AND TARGET rampart_policy_feedback)
  rampart_test(rampartd_hostile_test SOURCES rampartd_hostile_test.cc
               DEPS rampart_dkim rampart_dns_test_server rampart_dns rampart_http rampart_milter rampart_core)
  set_tests_properties(rampartd_hostile_test PROPERTIES LABELS e2e TIMEOUT 300
                       ENVIRONMENT RAMPARTD_BIN=$<TARGET_FILE:rampartd>)
  add_dependencies(rampartd_hostile_test rampartd)
endif()
# DKIM over messages larger than max_scan_bytes through a real rampartd's
# milter (12 MiB signed messages at the default cap; the body hashes stream).
if(TARGET rampartd AND TARGET rampart_milter)
  rampart_test(rampartd_milter_dkim_test SOURCES rampartd_milter_dkim_test.cc DEPS rampart_dkim rampart_milter rampart_core)
  set_tests_properties(rampartd_milter_dkim_test PROPERTIES LABELS e2e TIMEOUT 300
                       ENVIRONMENT RAMPARTD_BIN=$<TARGET_FILE:rampartd>)
  add_dependencies(rampartd_milter_dkim_test rampartd)
endif()
# rampartd --check-config / --print-config and the validated arguments.
if(TARGET rampartd)
  rampart_test(rampartd_config_test SOURCES rampartd_config_test.cc DEPS rampart_core)
  set_tests_properties(rampartd_config_test PROPERTIES TIMEOUT 120 ENVIRONMENT RAMPARTD_BIN=$<TARGET_FILE:rampartd>)
  add_dependencies(rampartd_config_test rampartd)
endif()
# rampartd with two event loops: both serve, the throttle is shared exactly,
# SIGTERM drains every loop, SIGHUP reaches every loop.
if(TARGET rampartd)
  rampart_test(rampartd_loops_test SOURCES rampartd_loops_test.cc DEPS rampart_core)
  set_tests_properties(rampartd_loops_test PROPERTIES TIMEOUT 120 ENVIRONMENT RAMPARTD_BIN=$<TARGET_FILE:rampartd>)
  add_dependencies(rampartd_loops_test rampartd)
endif()

# The operator's reference (docs/reference/: every config key, HTTP endpoint
# and metric) regenerated from the code and compared (issue 15).
if(TARGET rampartd)
  add_test(NAME reference_test COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/reference_test.sh $<TARGET_FILE:rampartd>)
  set_tests_properties(reference_test PROPERTIES TIMEOUT 120)
endif()

# Queued events survive SIGTERM and are counted once (issue 11): the real
# rampartd with the RocksDB store, its writer held by the test-only knob
# [reputation] debug_write_delay_ms, SIGTERM, a restart on the same data dir.
if(TARGET rampartd AND TARGET rampart_policy_feedback AND TARGET rampart_reputation_rocksdb)
  rampart_test(rampartd_spool_test SOURCES rampartd_spool_test.cc DEPS rampart_http rampart_core)
  set_tests_properties(rampartd_spool_test PROPERTIES LABELS e2e TIMEOUT 120
                       ENVIRONMENT RAMPARTD_BIN=$<TARGET_FILE:rampartd>)
  add_dependencies(rampartd_spool_test rampartd)
endif()
