# Content classifier (src/classify): `rampart classify` linked into the CLI,
# and its end-to-end test over a generated corpus.
if(TARGET rampart_classify AND TARGET rampart)
  # apps/rampart/CMakeLists.txt links a fixed list of libraries; until
  # rampart_classify is on it, link it here so `rampart classify` is built.
  get_target_property(_rampart_libs rampart LINK_LIBRARIES)
  if(NOT "rampart_classify" IN_LIST _rampart_libs)
    target_link_libraries(rampart PRIVATE rampart_classify)
    target_compile_definitions(rampart PRIVATE HAVE_RAMPART_CLASSIFY=1)
  endif()
  rampart_test(classify_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/classify_cli_test.cc DEPS rampart_classify)
  set_tests_properties(classify_cli_test PROPERTIES ENVIRONMENT
    "RAMPART_BIN=$<TARGET_FILE:rampart>;RAMPART_SMS_CORPUS=${PROJECT_SOURCE_DIR}/bench/data/sms-spam-collection/SMSSpamCollection")
  add_dependencies(classify_cli_test rampart)
endif()
