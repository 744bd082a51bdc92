# DKIM fuzz targets (src/auth/dkim): signature/tag-list parser, key-record
# parser, canonicalizer. Corpora in fuzz/corpus/<target>/.
if(TARGET rampart_dkim)
  rampart_fuzz_target(fuzz_dkim_signature SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dkim_signature.cc DEPS rampart_dkim)
  rampart_fuzz_target(fuzz_dkim_key SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dkim_key.cc DEPS rampart_dkim)
  rampart_fuzz_target(fuzz_dkim_canon SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dkim_canon.cc DEPS rampart_dkim)
endif()
