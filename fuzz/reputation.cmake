if(TARGET rampart_reputation)
  rampart_fuzz_target(fuzz_arf SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_arf.cc DEPS rampart_reputation)
  rampart_fuzz_target(fuzz_reputation_event SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_reputation_event.cc
                      DEPS rampart_reputation)
  rampart_fuzz_target(fuzz_maillog SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_maillog.cc DEPS rampart_reputation)
endif()
# Manual overrides: POST /v1/overrides bodies and the stored override/audit lines.
if(TARGET rampart_reputation)
  rampart_fuzz_target(fuzz_override_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_override_json.cc DEPS rampart_reputation)
endif()
# The RocksDB store's records read back from disk: counters values, checkpoint records and
# resident journal records.
if(TARGET rampart_reputation_rocksdb)
  rampart_fuzz_target(fuzz_reputation_record SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_reputation_record.cc
                      DEPS rampart_reputation_rocksdb)
endif()
