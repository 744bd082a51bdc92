# Outbound complaint reports: relay replies, contacts, CFBL checks and the
# written reports (redaction, read back by the ARF reader).
if(TARGET rampart_reports AND TARGET rampart_reputation)
  rampart_fuzz_target(fuzz_reports SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_reports.cc
                      DEPS rampart_reports rampart_reputation)
endif()
