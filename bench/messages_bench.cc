// bench/messages_bench.cc — SMS/IM verdicts per second on one core (issue 16;
// goal >= 50,000): each message is parsed from its JSON body and judged by
// channels::messages::Checker, as POST /v1/messages does on its worker. The
// traffic: 70% conversations between 20,000 subscribers (replies included),
// 30% campaigns of 50 spam texts each sent by 200 senders to random
// subscribers with the amount and a code changed per message.
//
//   messages_bench [--messages N] (default 500,000)
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "channels/messages.h"

int main(int argc, char** argv) {
  size_t n = 500000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--messages") == 0) n = std::strtoull(argv[i + 1], nullptr, 10);
  std::mt19937_64 rng(7);
  auto subscriber = [&rng] { return "+1202" + std::to_string(5000000 + rng() % 20000); };
  const char* kSpam[] = {
      "Congratulations! You have won a $%d gift card. Claim it now at https://gift-%d.example/c before it "
      "expires",
      "URGENT: your account %d is locked. Verify your details at http://bank-verify%d.example today",
      "Your parcel %d is held at the depot, pay the %d GBP fee at www.parcel-fee.example to release it",
      "Hi mum, I lost my phone, this is my new number, can you send %d for rent, code %d"};
  const char* kHam[] = {"are we still on for lunch tomorrow at %d?", "ok see you at %d, bring the keys",
                        "running late, there in %d minutes", "thanks! the meeting moved to room %d"};
  std::vector<std::string> bodies;
  std::vector<bool> spam;
  spam.reserve(n);
  bodies.reserve(n);
  char text[512];
  for (size_t i = 0; i < n; ++i) {
    std::string from, to;
    const bool is_ham = rng() % 10 < 7;
    spam.push_back(!is_ham);
    if (is_ham) {
      from = subscriber();
      to = subscriber();
      std::snprintf(text, sizeof text, kHam[rng() % 4], static_cast<int>(rng() % 100));
      // Conversations differ: a few words of their own.
      static const char* kWords[] = {"tonight", "bus",   "kids", "dinner", "rain", "work", "movie", "train",
                                     "coffee",  "later", "park", "shop",   "call", "game", "gym",   "milk"};
      std::string t(text);
      for (int w = 0; w < 4; ++w) t += std::string(" ") + kWords[rng() % 16];
      std::snprintf(text, sizeof text, "%s", t.c_str());
    } else {
      from = "+1313" + std::to_string(5550000 + rng() % 200);
      to = subscriber();
      std::snprintf(text, sizeof text, kSpam[rng() % 4], static_cast<int>(100 + rng() % 900),
                    static_cast<int>(rng() % 50));
    }
    bodies.push_back(std::string(R"({"channel": "sms", "sender": ")") + from + R"(", "recipients": [")" + to +
                     R"("], "text": ")" + text + R"(", "time": )" + std::to_string(1796601600 + i / 1000) +
                     "}");
  }
  rampart::channels::messages::Checker ck;
  size_t blocked = 0, tagged = 0, bad = 0, ham_flagged = 0, spam_missed = 0, k = 0;
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  const double c0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& b : bodies) {
    const bool is_spam = spam[k++];
    auto m = rampart::channels::messages::parse_message(b);
    if (!m) {
      ++bad;
      continue;
    }
    auto v = ck.check(*m, 1796601600);
    blocked += v.action == "block";
    tagged += v.action == "tag";
    if (is_spam && v.action == "allow") ++spam_missed;
    if (!is_spam && v.action != "allow") ++ham_flagged;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_now() - c0;
  std::printf(
      "SMS/IM verdicts (JSON parse + verdict), one thread: %zu messages, %.0f verdicts per CPU second (the "
      "thread's own CPU time, %.2f s; goal >= 50,000 per core), %.0f per wall second (%.2f s, shared "
      "machine); "
      "blocked %zu, tagged %zu, refused %zu; conversations flagged %zu, campaign messages let through %zu "
      "(the first of each text and sender)\n",
      n, n / cpu, cpu, n / s, s, blocked, tagged, bad, ham_flagged, spam_missed);
  return bad == 0 ? 0 : 1;
}
