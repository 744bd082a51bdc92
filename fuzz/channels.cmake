# channels: STIR/SHAKEN Identity headers, PASSporTs, x5u chains and TNAuthList,
# HTTP dates and caching headers, x5u URLs (src/channels).
if(TARGET rampart_channels)
  rampart_fuzz_target(fuzz_stir SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_stir.cc DEPS rampart_channels)
endif()
# channels: CDR files through the call-pattern detector.
if(TARGET rampart_channels)
  rampart_fuzz_target(fuzz_calls_cdr SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_calls_cdr.cc DEPS rampart_channels)
endif()
# channels: POST /v1/calls bodies (src/server/calls_api.h).
if(TARGET rampart_server_calls)
  rampart_fuzz_target(fuzz_calls_request SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_calls_request.cc
                      DEPS rampart_server_calls)
  # POST /v1/calls/end bodies (Kamailio's dialog ends).
  rampart_fuzz_target(fuzz_calls_end SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_calls_end.cc DEPS rampart_server_calls)
endif()
# channels: SMS/IM messages and complaints (src/channels/messages.h).
if(TARGET rampart_channels)
  rampart_fuzz_target(fuzz_messages SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_messages.cc DEPS rampart_channels)
  # The state files of the call patterns and the SMS/IM checker, read back at start.
  rampart_fuzz_target(fuzz_channels_state SOURCES ${PROJECT_SOURCE_DIR}/fuzz/fuzz_channels_state.cc
                      DEPS rampart_channels)
endif()
