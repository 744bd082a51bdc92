# dns module fuzz targets; corpora in fuzz/corpus/<name>/ are replayed by ctest.
rampart_fuzz_target(fuzz_dns_wire SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_dns_wire.cc DEPS rampart_dns)
rampart_fuzz_target(fuzz_zone_file SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_zone_file.cc DEPS rampart_dns)
