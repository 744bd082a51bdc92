# Fuzz targets of the mime module (src/mime). Included by fuzz/CMakeLists.txt.
if(TARGET rampart_mime)
  rampart_fuzz_target(fuzz_mime_header SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mime_header.cc DEPS rampart_mime)
  rampart_fuzz_target(fuzz_mime_address SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mime_address.cc DEPS rampart_mime)
  rampart_fuzz_target(fuzz_mime_message SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mime_message.cc DEPS rampart_mime)
  rampart_fuzz_target(fuzz_mime_html SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mime_html.cc DEPS rampart_mime)
  rampart_fuzz_target(fuzz_mime_encoded_word SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mime_encoded_word.cc
                      DEPS rampart_mime)
  rampart_fuzz_target(fuzz_mime_tnef SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_mime_tnef.cc DEPS rampart_mime)
endif()
