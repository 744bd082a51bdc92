# Fuzz targets of the classify module (src/classify). Included by fuzz/CMakeLists.txt.
if(TARGET rampart_classify)
  rampart_fuzz_target(fuzz_classify_model SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_classify_model.cc
                      DEPS rampart_classify)
  rampart_fuzz_target(fuzz_classify_features SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_classify_features.cc
                      DEPS rampart_classify)
endif()
