// File: src/server/http/feedback_routes.h
// rampartd's feedback endpoints on a Router, over policy::Feedback:
//
//   POST /v1/reports              (reports)  ARF report, answered once the original's DKIM keys are looked up
//   POST /v1/learn                (learn)    X-Label: spam|ham, optional X-Client-IP, X-Rcpt-To
//   POST /v1/events               (events)   reputation events as JSON lines
//   GET  /v1/reputation/ID        (read)     ?counters=1 adds the stored counters
//   GET  /v1/reports/rejected[/N] (read)     refused reports kept for inspection
//
//   add_feedback_routes(router, feedback, &server.executor(0));
//
// `home` (may be null): the event loop POST /v1/reports runs on, whichever
// loop received it (the DKIM re-verification uses that loop's resolver);
// the answer is posted back to the receiving loop. The other endpoints run
// on the receiving loop: Feedback locks itself.
//
// `on_complaint` (may be empty): called for each POST /v1/learn with
// X-Label: spam that was answered 200 (a subscriber's complaint), with the
// message, X-Client-IP, X-Rcpt-To (the complaining subscriber's address) and
// the message's DKIM results (verified on `home`): rampartd's outbound
// complaint reports (src/reports).
#pragma once

#include <memory>

#include <functional>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "core/executor.h"
#include "policy/feedback.h"
#include "server/http/router.h"

namespace rampart::server {

using ComplaintSink = std::function<void(std::shared_ptr<const std::string> message, std::string client_ip,
                                         std::string rcpt_to, std::vector<dkim::SignatureResult> dkim)>;

void add_feedback_routes(Router& router, std::shared_ptr<policy::Feedback> feedback, Executor* home = nullptr,
                         ComplaintSink on_complaint = {});

}  // namespace rampart::server
