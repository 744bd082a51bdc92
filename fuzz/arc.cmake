# ARC fuzz target (src/auth/arc): field parsers, chain validation over a
# ZoneResolver, sealing. Corpus in fuzz/corpus/fuzz_arc/ (ValiMail suite
# messages).
if(TARGET rampart_arc)
  rampart_fuzz_target(fuzz_arc SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_arc.cc DEPS rampart_arc rampart_dns)
endif()
