# dnsbl: the query answerer and the rbldnsd data-file parser (src/dnsbl).
if(TARGET rampart_dnsbl)
  rampart_fuzz_target(fuzz_dnsbl SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_dnsbl.cc DEPS rampart_dnsbl rampart_dns)
endif()
# dnsbl zone transfers: AXFR/IXFR requests, TSIG verification, key files.
if(TARGET rampart_dnsbl)
  rampart_fuzz_target(fuzz_dnsbl_xfr SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_dnsbl_xfr.cc DEPS rampart_dnsbl
                      rampart_dns)
endif()
