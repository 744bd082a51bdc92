// File: src/server/http/feedback_routes.cc
// The feedback endpoints (see feedback_routes.h).
#include "server/http/feedback_routes.h"

#include "core/strings.h"

namespace rampart::server {

namespace {
HttpReply reply(policy::Feedback::Answer a) { return HttpReply{a.status, std::move(a.json)}; }
}  // namespace

void add_feedback_routes(Router& router, std::shared_ptr<policy::Feedback> feedback, Executor* home,
                         ComplaintSink on_complaint) {
  auto fb = std::move(feedback);
  router.add(
      "GET", "/v1/reputation/", Right::kRead,
      [fb](HttpRequest& req, std::string_view id, HttpRespond respond) {
        const bool counters = req.target.find("?counters=1") != std::string::npos ||
                              req.target.find("&counters=1") != std::string::npos;
        fb->get_reputation(id, counters, [respond = std::move(respond)](policy::Feedback::Answer a) {
          respond(reply(std::move(a)));
        });
      },
      Router::kPrefix);
  auto rejected = [fb](HttpRequest&, std::string_view rest, HttpRespond respond) {
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    respond(reply(fb->get_rejected(rest)));
  };
  router.add("GET", "/v1/reports/rejected", Right::kRead, rejected);
  router.add("GET", "/v1/reports/rejected/", Right::kRead, rejected, Router::kPrefix);
  router.add(
      "POST", "/v1/reports", Right::kReports,
      [fb, home](HttpRequest& req, std::string_view, HttpRespond respond) {
        Executor* here = current_executor();
        if (!home || !here || here == home) {
          // Answers once the original's DKIM keys are looked up.
          fb->post_report(std::move(req.body), [respond = std::move(respond)](policy::Feedback::Answer a) {
            respond(reply(std::move(a)));
          });
          return;
        }
        home->post([fb, here, body = std::move(req.body), respond = std::move(respond)]() mutable {
          fb->post_report(std::move(body), [here, respond = std::move(respond)](policy::Feedback::Answer a) {
            here->post([respond, a = std::move(a)]() mutable { respond(reply(std::move(a))); });
          });
        });
      });
  router.add("POST", "/v1/events", Right::kEvents,
             [fb](HttpRequest& req, std::string_view, HttpRespond respond) {
               // Answered once the events are durable (the store's writer thread).
               fb->post_events(req.body, [respond = std::move(respond)](policy::Feedback::Answer a) {
                 respond(reply(std::move(a)));
               });
             });
  router.add("POST", "/v1/learn", Right::kLearn,
             [fb, home, on_complaint](HttpRequest& req, std::string_view, HttpRespond respond) {
               const std::string* label = req.header("x-label");
               const std::string* ip = req.header("x-client-ip");
               std::function<void()> complain;
               if (on_complaint && label && iequals(trim(*label), "spam")) {
                 // A subscriber's complaint: once learned (200), the message's DKIM
                 // results (on `home`, whose resolver the verifier uses) go to the sink.
                 const std::string* rcpt = req.header("x-rcpt-to");
                 auto msg = std::make_shared<const std::string>(req.body);
                 complain = [fb, home, on_complaint, msg, ipv = ip ? *ip : "", rc = rcpt ? *rcpt : ""] {
                   auto go = [fb, on_complaint, msg, ipv, rc] {
                     fb->verify_dkim(msg, [on_complaint, msg, ipv, rc](std::vector<dkim::SignatureResult> r) {
                       on_complaint(msg, ipv, rc, std::move(r));
                     });
                   };
                   if (home && current_executor() != home)
                     home->post(std::move(go));
                   else
                     go();
                 };
               }
               fb->post_learn(label ? *label : "", std::move(req.body), ip ? *ip : "",
                              [respond = std::move(respond),
                               complain = std::move(complain)](policy::Feedback::Answer a) {
                                const bool ok = a.status == 200;
                                respond(reply(std::move(a)));
                                if (ok && complain) complain();
                              });
             });
}

}  // namespace rampart::server
