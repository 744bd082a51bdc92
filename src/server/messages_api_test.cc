// File: src/server/messages_api_test.cc
// POST /v1/messages, /v1/messages/batch and /v1/messages/complaints through
// the Router (rights, bodies) to the service's worker.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "classify/test_util.h"
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

// A small SMS model trained here (the seed of a real one is the SMS Spam
// Collection, src/channels/README.md), written where the service reads it.
void write_small_model(const std::string& path) {
  auto c = classify::Classifier::create(classify::Channel::kSms,
                                        classify::default_feature_options(classify::Channel::kSms),
                                        classify::default_learner_options(classify::Channel::kSms));
  ASSERT_TRUE(c);
  using classify::testing::kSmsSeedHam;
  using classify::testing::kSmsSeedSpam;
  for (int r = 0; r < 10; ++r)
    for (size_t i = 0; i < std::size(kSmsSeedSpam); ++i) {
      c->learn(kSmsSeedSpam[i], true);
      c->learn(kSmsSeedHam[i], false);
    }
  ASSERT_TRUE(c->save(path));
}

struct Authed {
  Router router;
  std::shared_ptr<MessageService> svc;
  explicit Authed(const MessagesConfig& mc) : router(access()) {
    auto s = MessageService::start(mc, nullptr);
    EXPECT_TRUE(s);
    svc = std::move(*s);
    add_message_routes(router, svc);
  }
  static AccessControl access() {
    auto cfg = Config::parse("[[http.tokens]]\nname = \"smsc\"\nsha256 = \"" + token_sha256_hex("tok") +
                             "\"\nrights = [\"scan\", \"events\"]\n");
    EXPECT_TRUE(cfg);
    auto ac = AccessControl::from(*cfg);
    EXPECT_TRUE(ac);
    return std::move(*ac);
  }
  Reply post(const std::string& path, std::string body) {
    HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.body = std::move(body);
    r.headers.emplace_back("authorization", "Bearer tok");
    auto p = std::make_shared<std::promise<Reply>>();
    auto f = p->get_future();
    router.handle(std::move(r), [p](HttpReply rep) { p->set_value({rep.status, rep.body}); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  }
  // The content symbol of a verdict: its name and signed score ("" when absent).
  std::pair<std::string, double> content(const std::string& text, const std::string& channel = "sms") {
    auto r = post("/v1/messages", nlohmann::json{{"channel", channel},
                                                 {"sender", "+12025550100"},
                                                 {"recipients", {"+12025550199"}},
                                                 {"text", text}}
                                      .dump());
    EXPECT_EQ(r.status, 200) << r.body;
    const auto j = nlohmann::json::parse(r.body);
    for (const auto& s : j["symbols"]) {
      const std::string name = s["name"];
      if (name.find("_CONTENT_") != std::string::npos) {
        EXPECT_NE(s["reason"].get<std::string>().find("P(spam) "), std::string::npos) << r.body;
        return {name, s["score"].get<double>()};
      }
    }
    return {"", 0};
  }
};

struct MessagesContent : ::testing::Test {
  void SetUp() override {
    dir = ::testing::TempDir() + "/messages_api_test." + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string dir;
};

TEST_F(MessagesContent, SpamTextScoresAboveHamAndReportsMoveTheScore) {
  MessagesConfig mc;
  mc.model = dir + "/sms.model";
  mc.min_learned = 10;
  write_small_model(mc.model);
  {
    Authed a(mc);
    auto spam = a.content("You WON a cash prize! Call 09061234567 now to claim your 500 GBP");
    auto ham = a.content("see you at lunch tomorrow, I will bring the kids");
    EXPECT_EQ(spam.first, "SMS_CONTENT_SPAM");
    EXPECT_EQ(ham.first, "SMS_CONTENT_HAM");
    EXPECT_GT(spam.second, ham.second);
    EXPECT_EQ(a.content("see you at lunch tomorrow, I will bring the kids", "im").first, "IM_CONTENT_HAM");

    // 7726 complaints about a text the model calls ham move its score up;
    // "not spam" reports move it back down.
    const std::string text = "meet me at the station with the tickets, we leave at nine";
    const double s0 = a.content(text).second;
    const std::string report =
        nlohmann::json{{"channel", "sms"}, {"sender", "+13135550100"}, {"text", text}}.dump();
    for (int i = 0; i < 5; ++i) ASSERT_EQ(a.post("/v1/messages/complaints", report).status, 200);
    const double s1 = a.content(text).second;
    EXPECT_GT(s1, s0);
    for (int i = 0; i < 8; ++i) {
      auto r = a.post("/v1/messages/notspam", report);
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.body, "{\"notspam\": \"recorded\"}");
    }
    EXPECT_LT(a.content(text).second, s1);
    EXPECT_EQ(a.post("/v1/messages/notspam", "{}").status, 400);
  }
  // The service wrote what it learned when it stopped: a new one starts from it.
  ASSERT_TRUE(std::filesystem::exists(mc.model));
  auto m = channels::messages::ContentModel::open(mc.model, classify::Channel::kSms, {});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)->learned(), 80u + 5 + 8);
}

TEST_F(MessagesContent, SavedWhileRunningAtMostEverySaveInterval) {
  MessagesConfig mc;
  mc.model = dir + "/sms.model";
  mc.min_learned = 10;
  mc.save_interval_s = 0;  // each report may save (one save at a time)
  write_small_model(mc.model);
  Authed a(mc);
  const std::string report =
      R"({"channel": "sms", "sender": "+13135550100", "text": "claim your prize now"})";
  ASSERT_EQ(a.post("/v1/messages/complaints", report).status, 200);
  // Written by the saver thread while the service runs (polled, 10 s at most).
  uint64_t on_disk = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    auto m = channels::messages::ContentModel::open(mc.model, classify::Channel::kSms, {});
    ASSERT_TRUE(m) << m.error().message;  // never a half-written file
    on_disk = (*m)->learned();
    if (on_disk == 81) break;
  }
  EXPECT_EQ(on_disk, 81u);
}

TEST_F(MessagesContent, NoModelNoSymbolNoFailure) {
  MessagesConfig none;  // model = "": no content check
  Authed a(none);
  EXPECT_EQ(a.content("WINNER!! call 09061701461 now to claim").first, "");

  MessagesConfig bad;
  bad.model = dir + "/bad.model";
  std::ofstream(bad.model) << "RMPCLSMD not a model";
  {
    Authed b(bad);
    EXPECT_EQ(b.content("WINNER!! call 09061701461 now to claim").first, "");
    // Reports still count for the sender; the refused file is left alone.
    EXPECT_EQ(
        b.post("/v1/messages/complaints", R"({"channel": "sms", "sender": "+1313", "text": "x"})").status,
        200);
  }
  std::ifstream in(bad.model);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "RMPCLSMD not a model");

  MessagesConfig missing;
  missing.model = dir + "/none/sms.model";  // a fresh model: silent until it learned min_learned
  Authed c(missing);
  EXPECT_EQ(c.content("WINNER!! call 09061701461 now to claim").first, "");
}

TEST(MessagesApiConfig, ModelKeys) {
  auto cfg = Config::parse("[messages]\ncontent_spam = 7.5\nim_model = \"/x/im.model\"\n");
  ASSERT_TRUE(cfg);
  auto mc = MessagesConfig::from(*cfg, "/var/lib/rampart");
  ASSERT_TRUE(mc) << mc.error().message;
  EXPECT_EQ(mc->model, "/var/lib/rampart/sms.model");
  EXPECT_EQ(mc->im_model, "/x/im.model");
  EXPECT_DOUBLE_EQ(mc->content_spam, 7.5);
  auto no_dir = MessagesConfig::from(*cfg);
  ASSERT_TRUE(no_dir);
  EXPECT_EQ(no_dir->model, "");
  auto bad = Config::parse("[messages]\ncontent_spam = -1\n");
  ASSERT_TRUE(bad);
  EXPECT_FALSE(MessagesConfig::from(*bad));
}

TEST(MessagesApiConfig, Strict) {
  auto cfg = Config::parse("[messages]\nwindow_s = 5\n");
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(MessagesConfig::from(*cfg));
}

}  // namespace
}  // namespace rampart::server
