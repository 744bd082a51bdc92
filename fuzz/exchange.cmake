# The exchange among member providers: batches, pull frames, the seq book.
if(TARGET rampart_exchange)
  rampart_fuzz_target(fuzz_exchange_batch SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_exchange_batch.cc DEPS rampart_exchange)
endif()
