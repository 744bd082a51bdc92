# The reputation store off the event loop (issue 11): a store that takes 2 s
# per call against the real server::Server (tests/reputation_offloop_test.cc).
if(TARGET rampart_server AND TARGET rampart_http_feedback)
  rampart_test(reputation_offloop_test SOURCES reputation_offloop_test.cc
               DEPS rampart_server rampart_http_feedback rampart_policy_feedback rampart_http rampart_dns rampart_core)
  set_tests_properties(reputation_offloop_test PROPERTIES TIMEOUT 120)
endif()
# The content model's reload (SIGHUP) and learning without reputation off the
# loops (issue 11): each made slow by a FIFO, against the real server::Server.
if(TARGET rampart_server AND TARGET rampart_http_feedback)
  rampart_test(feedback_offloop_test SOURCES feedback_offloop_test.cc
               DEPS rampart_server rampart_http_feedback rampart_policy_feedback rampart_http rampart_dns rampart_core)
  set_tests_properties(feedback_offloop_test PROPERTIES TIMEOUT 120)
endif()
