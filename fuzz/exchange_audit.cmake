# The exchange's audit log read back at start (src/exchange/audit.cc
# AuditLog::parse_line, tally_existing).
if(TARGET rampart_exchange)
  rampart_fuzz_target(fuzz_exchange_audit SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_exchange_audit.cc DEPS rampart_exchange)
endif()
