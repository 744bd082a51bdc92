// File: src/server/messages_api_test.cc
// POST /v1/messages, /v1/messages/batch and /v1/messages/complaints through
// the Router (rights, bodies) to the service's worker.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

#include "server/http/router.h"
#include "server/messages_api.h"

namespace rampart::server {
namespace {

struct Reply {
  int status = 0;
  std::string body;
};

class MessagesApi : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = MessageService::start(MessagesConfig{}, nullptr);
    ASSERT_TRUE(s);
    svc_ = std::move(*s);
    add_message_routes(router_, svc_);  // no token: scan open, events forbidden
  }
  Reply post(const std::string& path, std::string body, const char* method = "POST") {
    HttpRequest r;
    r.method = method;
    r.target = path;
    r.body = std::move(body);
    auto p = std::make_shared<std::promise<Reply>>();
    auto f = p->get_future();
    router_.handle(std::move(r), [p](HttpReply rep) { p->set_value({rep.status, rep.body}); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  }
  Router router_;
  std::shared_ptr<MessageService> svc_;
};

std::string sms(const std::string& from, const std::string& to, const std::string& text) {
  return nlohmann::json{{"channel", "sms"}, {"sender", from}, {"recipients", {to}}, {"text", text}}.dump();
}

TEST_F(MessagesApi, OneMessageAndBatch) {
  auto r = post("/v1/messages", sms("+12025550100", "+12025550199", "see you at seven"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["action"], "allow");
  EXPECT_EQ(post("/v1/messages", "{\"channel\": \"fax\"}").status, 400);
  EXPECT_EQ(post("/v1/messages", "not json").status, 400);

  // A batch: 60 recipients of one text with small edits, a bad line in the middle.
  std::string body;
  for (int i = 0; i < 60; ++i) {
    body += sms("+13135550100", "+1202556" + std::to_string(1000 + i),
                "URGENT: your account " + std::to_string(1000 + i) +
                    " is locked, verify at http://bank-verify.example now") +
            "\n";
    if (i == 5) body += "{broken\n";
  }
  auto b = post("/v1/messages/batch", body);
  ASSERT_EQ(b.status, 200) << b.body;
  std::vector<nlohmann::json> lines;
  size_t pos = 0;
  while (pos < b.body.size()) {
    const size_t nl = b.body.find('\n', pos);
    lines.push_back(nlohmann::json::parse(b.body.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  ASSERT_EQ(lines.size(), 61u);
  EXPECT_EQ(lines[0]["action"], "allow");
  EXPECT_EQ(lines[6]["line"], 7);
  EXPECT_TRUE(lines[6].contains("error"));
  EXPECT_EQ(lines[60]["action"], "block") << lines[60].dump();
  EXPECT_EQ(post("/v1/messages/batch", "\n\n").status, 400);

  // The senders' classes: the bulk sender listed, the conversation not.
  auto s = post("/v1/messages/senders?limit=10", "", "GET");
  ASSERT_EQ(s.status, 200) << s.body;
  auto senders = nlohmann::json::parse(s.body)["senders"];
  ASSERT_EQ(senders.size(), 1u) << s.body;
  EXPECT_EQ(senders[0]["sender"], "+13135550100");
  EXPECT_EQ(senders[0]["channel"], "sms");
  EXPECT_EQ(senders[0]["class"], "bulk");
  EXPECT_EQ(senders[0]["recipients"], 60);
  EXPECT_EQ(senders[0]["unanswered"], 60);
}

TEST_F(MessagesApi, ComplaintsNeedTheEventsRight) {
  // No token configured: writes (events) are forbidden, as for mail reports.
  auto c = post("/v1/messages/complaints",
                R"({"channel": "sms", "sender": "+13135550100", "text": "pay at https://fee.example"})");
  EXPECT_EQ(c.status, 403);
}

TEST(MessagesApiAuth, A7726ReportMarksTheSenderAndItsLink) {
  auto cfg = Config::parse("[[http.tokens]]\nname = \"smsc\"\nsha256 = \"" + token_sha256_hex("tok") +
                           "\"\nrights = [\"scan\", \"events\"]\n");
  ASSERT_TRUE(cfg);
  auto ac = AccessControl::from(*cfg);
  ASSERT_TRUE(ac);
  Router router(std::move(*ac));
  auto s = MessageService::start(MessagesConfig{}, nullptr);
  ASSERT_TRUE(s);
  add_message_routes(router, std::shared_ptr<MessageService>(std::move(*s)));
  auto post = [&router](const std::string& path, std::string body, const std::string& auth) {
    HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.body = std::move(body);
    if (!auth.empty()) r.headers.emplace_back("authorization", auth);
    auto p = std::make_shared<std::promise<Reply>>();
    auto f = p->get_future();
    router.handle(std::move(r), [p](HttpReply rep) { p->set_value({rep.status, rep.body}); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  };
  const std::string report =
      R"({"channel": "sms", "sender": "+13135550100", "text": "pay at https://fee.example/x"})";
  EXPECT_EQ(post("/v1/messages/complaints", report, "").status, 401);
  auto c = post("/v1/messages/complaints", report, "Bearer tok");
  ASSERT_EQ(c.status, 200) << c.body;
  auto v = post("/v1/messages", sms("+14155550100", "+12025550199", "your fee: https://FEE.example/y"),
                "Bearer tok");
  ASSERT_EQ(v.status, 200);
  auto j = nlohmann::json::parse(v.body);
  EXPECT_EQ(j["action"], "tag") << v.body;
  EXPECT_EQ(j["symbols"][0]["name"], "URL_REPORTED");
}

TEST(MessagesApiConfig, Strict) {
  auto cfg = Config::parse("[messages]\nwindow_s = 5\n");
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(MessagesConfig::from(*cfg));
}

}  // namespace
}  // namespace rampart::server
