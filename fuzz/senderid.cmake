# Fuzz targets of the senderid module (src/auth/senderid). Included by fuzz/CMakeLists.txt.
if(TARGET rampart_senderid)
  rampart_fuzz_target(fuzz_pra SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_pra.cc DEPS rampart_senderid)
endif()
