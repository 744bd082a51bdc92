if(TARGET rampart_dmarc)
  rampart_fuzz_target(fuzz_dmarc_record SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dmarc_record.cc DEPS rampart_dmarc)
  rampart_fuzz_target(fuzz_dmarc_report SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dmarc_report.cc DEPS rampart_dmarc)
endif()
