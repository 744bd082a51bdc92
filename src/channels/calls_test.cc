// Unit tests of src/channels/calls.h: number rules, each pattern, the CDR
// readers, and that honest callers, busy trunks and carriers are not blocked.
#include "channels/calls.h"

#include <gtest/gtest.h>

namespace rampart::channels::calls {
namespace {

constexpr int64_t kT0 = 1796601600;

Call call(int64_t t, std::string caller, std::string callee, std::string ip = "198.51.100.7") {
  Call c;
  c.time = t;
  c.caller = std::move(caller);
  c.callee = std::move(callee);
  c.trunk = "carrier-a";
  c.source_ip = std::move(ip);
  return c;
}

TEST(Calls, NumberRules) {
  EXPECT_EQ(number_digits("+1 (202) 555-0100"), "12025550100");
  EXPECT_EQ(number_digits("sip:+12025550100@sbc.example.net;user=phone"), "12025550100");
  EXPECT_EQ(number_digits("anonymous"), "");
  EXPECT_TRUE(valid_e164("12025550100"));
  EXPECT_TRUE(valid_e164("442079460000"));
  EXPECT_FALSE(valid_e164("11025550100"));  // NPA starting with 1
  EXPECT_FALSE(valid_e164("14115550100"));  // N11 area code
  EXPECT_FALSE(valid_e164("12021550100"));  // NXX starting with 1
  EXPECT_FALSE(valid_e164("1202555010"));   // NANP is 11 digits
  EXPECT_FALSE(valid_e164("1234567"));
  EXPECT_FALSE(valid_e164("0123456789"));
}

TEST(Calls, InvalidAndSpoofedCallerIdsAreBlockedOwnRangesTagged) {
  Options o;
  o.own_ranges = {"1202555"};
  CallPatterns p(o);
  // Not a number at all: blocked on its own.
  EXPECT_EQ(p.on_invite(call(kT0, "+11234567890", "13125550100")).action, Action::kBlock);  // a run
  EXPECT_EQ(p.on_invite(call(kT0, "not-a-number", "13125550100")).action, Action::kBlock);
  EXPECT_EQ(p.on_invite(call(kT0, "0000000000", "13125550100")).action, Action::kBlock);
  EXPECT_EQ(p.on_invite(call(kT0, "+123456", "13125550100")).action, Action::kBlock);  // 6 digits
  // A number breaking its plan's rules (mangled in transit, or a real caller
  // with an N11 exchange): tagged, not blocked.
  EXPECT_EQ(p.on_invite(call(kT0, "+11025550100", "13125550100", "198.51.100.8")).action, Action::kTag);
  EXPECT_EQ(p.on_invite(call(kT0, "+19196113480", "13125550100", "198.51.100.9")).action, Action::kTag);
  EXPECT_EQ(p.on_invite(call(kT0, "+1836668940", "13125550100", "198.51.100.10")).action, Action::kTag);
  EXPECT_EQ(p.on_invite(call(kT0, "+13125550100", "+1 312 555 0100")).action, Action::kBlock);
  // Our own range from outside: spoofed, or ported out: a sign, tagged.
  Assessment own = p.on_invite(call(kT0, "+12025550142", "13125550100"));
  EXPECT_EQ(own.action, Action::kTag);
  ASSERT_FALSE(own.reasons.empty());
  EXPECT_NE(own.reasons[0].find("own range 1202555"), std::string::npos);
  Call inside = call(kT0, "+12025550142", "13125550100");
  inside.external = false;  // our own subscriber calling out
  EXPECT_EQ(p.on_invite(inside).action, Action::kAllow);
  Call voicemail = call(kT0, "+12025550142", "+12025550142");
  voicemail.external = false;  // our own subscriber calling its own number: its voicemail
  EXPECT_EQ(p.on_invite(voicemail).action, Action::kAllow);
  EXPECT_EQ(p.on_invite(call(kT0, "+12025550143", "+12025550143")).action, Action::kBlock);  // from outside
  o.own_range_action = Action::kBlock;  // a provider with no number ported out
  CallPatterns strict(o);
  EXPECT_EQ(strict.on_invite(call(kT0, "+12025550143", "13125550100")).action, Action::kBlock);
}

// A withheld caller ID is the caller's choice (RFC 3323), not an invalid
// number; and the anonymous callers of a whole network are not one caller.
TEST(Calls, WithheldCallerIdsAreNotJudged) {
  EXPECT_TRUE(withheld_caller_id("anonymous"));
  EXPECT_TRUE(withheld_caller_id("sip:anonymous@anonymous.invalid"));
  EXPECT_TRUE(withheld_caller_id("Restricted"));
  EXPECT_TRUE(withheld_caller_id(" Withheld "));
  EXPECT_TRUE(withheld_caller_id("PRIVATE"));
  EXPECT_FALSE(withheld_caller_id("anonymous-robot"));
  EXPECT_FALSE(withheld_caller_id("+12025550100"));
  CallPatterns p;
  int not_allowed = 0;
  for (int i = 0; i < 200; ++i)  // 200 different people, 100 a minute
    not_allowed +=
        p.on_invite(call(kT0 + i * 6 / 10, i % 2 ? "anonymous" : "Restricted",
                         "1312555" + std::to_string(1000 + i * 37), "198.51.100." + std::to_string(i)))
            .action != Action::kAllow;
  EXPECT_EQ(not_allowed, 0);
}

// Volume alone: blocked while nothing else is known, tagged once the calls
// show they are answered and last (a call centre); a robocaller's low
// answer rate keeps it blocked.
TEST(Calls, MassCallersWithHealthyCallsAreTaggedNotBlocked) {
  CallPatterns p;
  std::vector<Action> centre, robot;
  for (int i = 0; i < 120; ++i) {  // 60 distinct callees a minute each, random-looking
    Call c = call(kT0 + i / 2, "+14155550150", "1312555" + std::to_string(1000 + (i * 7919) % 9000));
    centre.push_back(p.on_invite(c).action);
    c.answered = i % 3 != 0;
    c.duration_s = c.answered ? 90 + i % 200 : 0;
    p.on_end(c);
    Call r = call(kT0 + i / 2, "+14155550151", "1313555" + std::to_string(1000 + (i * 7919) % 9000));
    robot.push_back(p.on_invite(r).action);
    r.answered = i % 10 == 0;
    r.duration_s = r.answered ? 20 : 0;
    p.on_end(r);
  }
  EXPECT_EQ(std::count(centre.begin(), centre.end(), Action::kBlock), 0);
  EXPECT_EQ(centre.back(), Action::kTag);
  EXPECT_EQ(robot.back(), Action::kBlock);
  EXPECT_GE(std::count(robot.begin(), robot.end(), Action::kBlock), 100);
}

// Numbers in national or international-dialling form (CDRs and SIP carry
// them so): "0" + national number is E.164 only with a country code; without
// one it is neither valid nor invalid; "00" + E.164 is international.
TEST(Calls, NationalAndInternationalDiallingForms) {
  Options unknown;
  EXPECT_EQ(e164_digits("07700900123", false, unknown), "");
  EXPECT_EQ(e164_digits("00447700900123", false, unknown), "447700900123");
  EXPECT_EQ(e164_digits("447700900123", true, unknown), "447700900123");
  CallPatterns p(unknown);
  Assessment a = p.on_invite(call(kT0, "07700 900123", "07700 900456"));
  EXPECT_EQ(a.action, Action::kAllow) << (a.reasons.empty() ? "" : a.reasons[0]);
  EXPECT_EQ(p.on_invite(call(kT0 + 1, "0044 7700 900123", "07700900456")).action, Action::kAllow);
  EXPECT_EQ(p.on_invite(call(kT0 + 2, "000", "07700900456")).action, Action::kBlock);  // "0" is no number
  EXPECT_EQ(p.on_invite(call(kT0 + 3, "07700900456", "07700 900 456")).action,
            Action::kBlock);  // the callee's own

  Options uk;
  uk.country_code = "44";
  uk.own_ranges = {"447700"};
  EXPECT_EQ(e164_digits("07700900123", false, uk), "447700900123");
  CallPatterns q(uk);
  Assessment own = q.on_invite(call(kT0, "07700 900123", "02079460000"));
  EXPECT_EQ(own.action, Action::kTag);  // our own range, in national form, from outside
  ASSERT_FALSE(own.reasons.empty());
  EXPECT_NE(own.reasons[0].find("own range 447700"), std::string::npos) << own.reasons[0];
  EXPECT_EQ(q.on_invite(call(kT0 + 1, "02079460000", "07700900123")).action, Action::kAllow);
  EXPECT_EQ(q.on_invite(call(kT0 + 2, "0012021550100", "07700900123")).action, Action::kTag);  // NXX 1
  // One caller, whichever form it is written in.
  for (int i = 0; i < 40; ++i)
    (void)q.on_invite(call(kT0 + 10, i % 2 ? "+44 20 7946 0001" : "020 7946 0001",
                           "0161496" + std::to_string(1000 + i * 37)));
  EXPECT_EQ(q.on_invite(call(kT0 + 11, "02079460001", "01614969999")).action, Action::kBlock);
}

TEST(Calls, RobocallerIsBlockedOnceThePatternShows) {
  CallPatterns p;
  int first_block = -1;
  for (int i = 0; i < 300; ++i) {  // 300 numbers in a minute, random-looking
    const std::string callee = "1312555" + std::to_string(1000 + (i * 7919) % 9000);
    Assessment a = p.on_invite(call(kT0 + i / 5, "+14155550123", callee));
    if (a.action == Action::kBlock && first_block < 0) first_block = i;
  }
  EXPECT_GE(first_block, 9);   // not on the first calls: no evidence yet
  EXPECT_LE(first_block, 30);  // but within the first 30
  auto inc = p.incidents();
  ASSERT_FALSE(inc.empty());
  EXPECT_EQ(inc[0].key, "caller:+14155550123");
  EXPECT_EQ(inc[0].action, Action::kBlock);
  EXPECT_NE(inc[0].reasons[0].find("distinct callees in 60 s"), std::string::npos);
}

TEST(Calls, SequentialDiallingAndShortCalls) {
  CallPatterns p;
  Assessment last;
  for (int i = 0; i < 12; ++i) {  // slow, but one number after the other
    Call c = call(kT0 + i * 20, "+14155550124", "1312555" + std::to_string(2000 + i));
    last = p.on_invite(c);
    c.answered = true;
    c.duration_s = 3;
    p.on_end(c);
  }
  EXPECT_NE(last.action, Action::kAllow);
  bool seq = false, shorts = false;
  for (auto& r : last.reasons) {
    seq |= r.find("sequential dialling") != std::string::npos;
    shorts |= r.find("short calls") != std::string::npos;
  }
  EXPECT_TRUE(seq);
  EXPECT_TRUE(shorts);
}

TEST(Calls, HonestCallersAndBusyTrunksAreNotBlocked) {
  CallPatterns p;
  // 2,000 subscribers, each a few calls over an hour, all through one trunk
  // and one carrier address: the trunk sees many callees a minute.
  int blocked = 0, tagged = 0;
  for (int i = 0; i < 6000; ++i) {
    const std::string caller = "1415555" + std::to_string(1000 + i % 2000);
    const std::string callee = "1312555" + std::to_string(1000 + (i * 37) % 9000);
    Call c = call(kT0 + i * 3 / 5, caller, callee, "203.0.113.5");
    Assessment a = p.on_invite(c);
    blocked += a.action == Action::kBlock;
    tagged += a.action == Action::kTag;
    c.answered = i % 3 != 0;
    c.duration_s = c.answered ? 60 + i % 300 : 0;
    p.on_end(c);
  }
  EXPECT_EQ(blocked, 0);
  EXPECT_EQ(tagged, 0);
}

TEST(Calls, StateSurvivesARestart) {
  CallPatterns p;
  for (int i = 0; i < 40; ++i)  // a robocaller: blocked by its 30th call
    p.on_invite(call(kT0 + i / 2, "+14155550123", "1312555" + std::to_string(1000 + (i * 7919) % 9000)));
  for (int i = 0; i < 3; ++i) {  // an honest caller, answered long calls
    Call c = call(kT0 + i * 5, "+14155550999", "13125550" + std::to_string(100 + i));
    p.on_invite(c);
    c.answered = true;
    c.duration_s = 120;
    p.on_end(c);
  }
  const std::string saved = p.save_state(kT0 + 21);
  ASSERT_FALSE(saved.empty());

  CallPatterns q;  // the restarted daemon
  size_t skipped = 99;
  EXPECT_EQ(q.load_state(saved + "not json\n{\"key\": 1}\n", kT0 + 21, &skipped), p.keys());
  EXPECT_EQ(skipped, 2u);
  EXPECT_EQ(q.keys(), p.keys());
  auto inc = q.incidents();
  ASSERT_FALSE(inc.empty());
  EXPECT_EQ(inc[0].key, "caller:+14155550123");
  EXPECT_EQ(inc[0].action, Action::kBlock);
  EXPECT_EQ(inc[0].attempts, 40u);
  // Its next call is blocked at once (the window came back), the honest caller's is not.
  EXPECT_EQ(q.on_invite(call(kT0 + 22, "+14155550123", "13125559999")).action, Action::kBlock);
  EXPECT_EQ(q.on_invite(call(kT0 + 22, "+14155550999", "13125550200")).action, Action::kAllow);
  // A fresh detector needs the pattern again: its first call goes through.
  CallPatterns fresh;
  EXPECT_EQ(fresh.on_invite(call(kT0 + 22, "+14155550123", "13125559999")).action, Action::kAllow);
  // The ends came back too: the answered calls are not counted as unanswered.
  EXPECT_EQ(q.save_state(kT0 + 22).find("[" + std::to_string(kT0) + ",13125550100,false"), std::string::npos);
  // Past the window, only the incident stays.
  CallPatterns late;
  late.load_state(saved, kT0 + 5000);
  EXPECT_EQ(late.incidents().size(), inc.size());
  EXPECT_EQ(late.on_invite(call(kT0 + 5000, "+14155550123", "13125559999")).action, Action::kAllow);
}

// Toll fraud (IRSF) by an own caller: kT0 is a Monday 00:00 UTC.
Call own_call(int64_t t, std::string caller, std::string callee, bool answered = true, int64_t dur = 600) {
  Call c = call(t, std::move(caller), std::move(callee));
  c.external = false;
  c.trunk = "pbx-sbc";
  c.answered = answered;
  c.duration_s = answered ? dur : 0;
  return c;
}

Options uk_provider() {
  Options o;
  o.own_ranges = {"4420", "447700"};  // all in +44: our country
  return o;
}

TEST(Calls, CountryCodes) {
  EXPECT_EQ(country_code_of("12025550123"), "1");
  EXPECT_EQ(country_code_of("79161234567"), "7");
  EXPECT_EQ(country_code_of("442071234567"), "44");
  EXPECT_EQ(country_code_of("8828731089134"), "882");
  EXPECT_EQ(country_code_of("2572212345"), "257");
  EXPECT_EQ(country_code_of("35312345678"), "353");
  EXPECT_EQ(country_code_of("0123"), "");
  EXPECT_EQ(country_code_of(""), "");
}

TEST(Calls, HackedPbxDiallingManyInternationalNumbersIsBlocked) {
  CallPatterns p(uk_provider());
  // 40 international numbers in 10 minutes, premium-looking ranges of four
  // country codes, answered and long, at midday on a Monday.
  const char* ranges[] = {"00882", "00881", "00257", "00676"};
  int first_flag = -1, first_block = -1;
  for (int i = 0; i < 40; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 15, "+442071230000",
                      std::string(ranges[i % 4]) + std::to_string(7335913000 + i * 37));
    Assessment a = p.on_invite(c);
    p.on_end(c);
    if (a.action != Action::kAllow && first_flag < 0) first_flag = i;
    if (a.action == Action::kBlock && first_block < 0) {
      first_block = i;
      ASSERT_FALSE(a.reasons.empty());
      EXPECT_NE(a.reasons[0].find("toll fraud: "), std::string::npos) << a.reasons[0];
      EXPECT_NE(a.reasons[0].find("4 country codes"), std::string::npos) << a.reasons[0];
      EXPECT_NE(a.reasons[0].find("no history"), std::string::npos) << a.reasons[0];
    }
  }
  EXPECT_EQ(first_flag, 9);    // tagged at 10 international callees
  EXPECT_GE(first_block, 9);   // blocked with the country codes and the long calls
  EXPECT_LE(first_block, 19);  // at the latest at 20
  // Its domestic calls go through, and so do its calls to other countries
  // than the burst's; calls to the burst's country codes stay barred.
  const int64_t later = kT0 + 14 * 3600;
  EXPECT_EQ(p.on_invite(own_call(later, "+442071230000", "+442079460123")).action, Action::kAllow);
  EXPECT_EQ(p.on_invite(own_call(later + 1, "+442071230000", "0033142345678")).action, Action::kAllow);
  Assessment barred = p.on_invite(own_call(later + 1, "+442071230000", "002577335913999"));
  EXPECT_EQ(barred.action, Action::kBlock);
  ASSERT_FALSE(barred.reasons.empty());
  EXPECT_NE(barred.reasons[0].find("calls to +257 barred"), std::string::npos) << barred.reasons[0];
  // ... across a restart too.
  CallPatterns q(uk_provider());
  q.load_state(p.save_state(later + 1), later + 1);
  EXPECT_EQ(q.on_invite(own_call(later + 2, "+442071230000", "008827335913111")).action, Action::kBlock);
  EXPECT_EQ(q.on_invite(own_call(later + 3, "+442071230000", "0033142345679")).action, Action::kAllow);
  // The bar ends after toll_bar_s (24 h from the burst's last blocked call).
  EXPECT_EQ(q.on_invite(own_call(kT0 + 12 * 3600 + 86400 + 700, "+442071230000", "008827335913222")).action,
            Action::kAllow);
  // The same calls arriving from another network are not our toll fraud.
  CallPatterns inbound(uk_provider());
  for (int i = 0; i < 40; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 15, "+33142345678", "+4420712" + std::to_string(30000 + i * 37));
    c.external = true;
    EXPECT_EQ(inbound.on_invite(c).action, Action::kAllow) << i;
  }
}

// A hacked PBX pumping premium ranges of two countries through its own
// address while its users keep calling abroad: the users' calls to other
// countries are not blocked, during the burst (tagged) or after it (the bar
// holds the burst's country codes only); the burst's are.
TEST(Calls, TollFraudBarHoldsTheBurstsDestinationsOnly) {
  CallPatterns p(uk_provider());
  const int64_t t0 = kT0 + 5 * 86400 + 2 * 3600;  // Saturday 02:00
  int fraud_blocked = 0, fraud_calls = 0;
  for (int i = 0; i < 300; ++i) {
    const int64_t t = t0 + i * 20;
    // the burst: the same 12 numbers of two premium ranges, from a few extensions
    Call c = own_call(t, "+4420712300" + std::to_string(10 + i % 7),
                      (i % 2 ? "+88213" : "+3712") + std::to_string(5550100 + i % 12));
    c.source_ip = "198.51.100.7";
    Assessment a = p.on_invite(c);
    p.on_end(c);
    ++fraud_calls;
    fraud_blocked += a.action == Action::kBlock;
    if (i % 25 == 12) {  // a user of the PBX calling customers in Germany meanwhile
      Call u = own_call(t + 5, "+442071230012", "+4930" + std::to_string(1234500 + i));
      u.source_ip = "198.51.100.7";
      Assessment b = p.on_invite(u);
      p.on_end(u);
      // Tagged, never blocked: Germany is not one of the burst's destinations.
      EXPECT_NE(b.action, Action::kBlock) << i << " " << (b.reasons.empty() ? "" : b.reasons[0]);
      if (i == 12) {
        EXPECT_EQ(b.action, Action::kTag);
        ASSERT_FALSE(b.reasons.empty());
        EXPECT_NE(b.reasons[0].find("+49 is not one of the burst's destinations"), std::string::npos)
            << b.reasons[0];
      }
    }
  }
  EXPECT_GE(fraud_blocked, fraud_calls - 25);
  // The morning after: the users call Germany, France and India: allowed;
  // the burst's ranges stay barred, whatever the extension.
  const int64_t morning = t0 + 8 * 3600;
  for (int i = 0; i < 6; ++i) {
    Call u = own_call(
        morning + i * 300, "+4420712300" + std::to_string(10 + i),
        std::string(i % 3 == 0 ? "+4989" : (i % 3 == 1 ? "+3314" : "+9122")) + "4455667" + std::to_string(i));
    u.source_ip = "198.51.100.7";
    Assessment b = p.on_invite(u);
    p.on_end(u);
    EXPECT_EQ(b.action, Action::kAllow) << i << " " << (b.reasons.empty() ? "" : b.reasons[0]);
  }
  Call again = own_call(morning + 3600, "+442071230099", "+882135550199");
  again.source_ip = "198.51.100.7";
  Assessment a = p.on_invite(again);
  EXPECT_EQ(a.action, Action::kBlock);
  ASSERT_FALSE(a.reasons.empty());
  EXPECT_NE(a.reasons[0].find("+882 barred"), std::string::npos) << a.reasons[0];
  // A state written by an earlier version (a bar without country codes)
  // still bars every international call until it ends.
  CallPatterns old(uk_provider());
  const int64_t now = morning + 7200;
  ASSERT_EQ(old.load_state("{\"key\":\"caller:+442071230000\",\"kind\":0,\"attempts\":[],\"toll\":[0,1," +
                               std::to_string(now + 3600) +
                               ",1],\"incident\":{\"action\":2,\"first_seen\":1,\"last_seen\":1,"
                               "\"reasons\":[\"toll fraud\"]}}\n",
                           now),
            1u);
  EXPECT_EQ(old.on_invite(own_call(now, "+442071230000", "+4930123456789")).action, Action::kBlock);
  EXPECT_EQ(old.on_invite(own_call(now + 1, "+442071230000", "+442079460123")).action, Action::kAllow);
}

// One caller ID calling a new number every 4 minutes for hours, 10%
// answered and those short: below every window rate, blocked at its 100th
// ended call. A call centre (few answered, but conversations), a reminder
// service (answered) and a person redialling a few busy lines are not.
TEST(Calls, SustainedRobocallingOverHoursIsBlocked) {
  auto run = [](const std::string& caller, auto outcome, auto callee_of) {
    CallPatterns p;
    int first_block = -1;
    std::string why;
    for (int i = 0; i < 300; ++i) {
      Call c = call(kT0 + 9 * 3600 + i * 240, caller, callee_of(i), "198.51.100." + std::to_string(i % 200));
      outcome(i, c);
      Assessment a = p.on_invite(c);
      p.on_end(c);
      if (a.action == Action::kBlock && first_block < 0) {
        first_block = i;
        why = a.reasons.empty() ? "" : a.reasons[0];
      }
    }
    EXPECT_TRUE(p.tallies_consistent());
    return std::make_pair(first_block, why);
  };
  auto distinct = [](int i) { return "+1312555" + std::to_string(1000 + (i * 7919) % 9000); };
  auto robo = [](int i, Call& c) {
    c.answered = i % 10 == 0;
    c.duration_s = c.answered ? 12 : 0;
  };
  auto [first, why] = run("+12025550143", robo, distinct);
  EXPECT_EQ(first, 100);
  EXPECT_NE(why.find("caller:+12025550143: robocalling over hours: 100 ended calls, "), std::string::npos)
      << why;
  EXPECT_NE(why.find(" to new callees, 10 answered (10%), 0 of them 30 s or longer"), std::string::npos)
      << why;
  // A call centre: 15% answered, the answered calls conversations.
  auto centre = [](int i, Call& c) {
    c.answered = i % 7 == 0;
    c.duration_s = c.answered ? 240 : 0;
  };
  EXPECT_EQ(run("+12025550144", centre, distinct).first, -1);
  // A reminder service: 60% answered with its 25 s message.
  auto reminder = [](int i, Call& c) {
    c.answered = i % 5 < 3;
    c.duration_s = c.answered ? 25 : 0;
  };
  EXPECT_EQ(run("+12025550145", reminder, distinct).first, -1);
  // Someone redialling five busy lines all day, each again after 20 minutes
  // (out of the window): its callees are not new.
  auto five = [](int i) { return "+1312555" + std::to_string(2000 + i % 5); };
  EXPECT_EQ(run("+12025550146", robo, five).first, -1);
  // The history survives a restart.
  CallPatterns p;
  for (int i = 0; i < 99; ++i) {
    Call c = call(kT0 + 9 * 3600 + i * 240, "+12025550143", distinct(i));
    robo(i, c);
    p.on_invite(c);
    p.on_end(c);
  }
  const int64_t t = kT0 + 9 * 3600 + 99 * 240;
  CallPatterns q;
  q.load_state(p.save_state(t), t);
  Call c = call(t, "+12025550143", distinct(99));
  EXPECT_EQ(q.on_invite(c).action, Action::kAllow);  // 99 ended calls
  q.on_end(c);
  EXPECT_EQ(q.on_invite(call(t + 240, "+12025550143", distinct(100))).action, Action::kBlock);
}

// A customer's dialer on our side presenting one of our subscribers' numbers
// (blind11's VoIP provider: an unlawful dialer's rotated caller IDs include
// real subscribers' numbers): the dialer is blocked once the pattern shows,
// on the path it calls from; the subscriber's own calls from its own address
// are tagged, never blocked. Without the path rule they were blocked. The
// paths survive a restart.
TEST(Calls, SustainedRobocallingBlockHoldsOnItsPaths) {
  auto own = [](int64_t t, const std::string& callee, const std::string& ip) {
    Call c = call(t, "+12025550143", callee, ip);
    c.external = false;
    c.trunk = "sbc-access-1";
    return c;
  };
  auto run = [&](Options o, CallPatterns* keep) {
    auto p = std::make_unique<CallPatterns>(o);
    int dialer_blocks = 0, dialer_first = -1, person_blocks = 0, person_tags = 0;
    for (int i = 0; i < 300; ++i) {
      const int64_t t = kT0 + 9 * 3600 + i * 240;
      Call d = own(t, "+1312555" + std::to_string(1000 + (i * 7919) % 9000), "203.0.113.7");
      d.answered = i % 10 == 0;
      d.duration_s = d.answered ? 12 : 0;
      Assessment a = p->on_invite(d);
      p->on_end(d);
      if (a.action == Action::kBlock) {
        ++dialer_blocks;
        if (dialer_first < 0) dialer_first = i;
      }
      if (i % 20 == 7) {  // the subscriber, its few contacts, from home
        Call m = own(t + 60, "+1312555" + std::to_string(9000 + i % 3), "192.0.2.10");
        m.answered = true;
        m.duration_s = 95;
        Assessment b = p->on_invite(m);
        p->on_end(m);
        person_blocks += b.action == Action::kBlock;
        person_tags += b.action == Action::kTag;
        if (b.action == Action::kTag) {
          EXPECT_NE(b.reasons.back().find("the call's path carried "), std::string::npos) << b.reasons.back();
        }
      }
    }
    EXPECT_TRUE(p->tallies_consistent());
    if (keep) {
      const int64_t t = kT0 + 9 * 3600 + 300 * 240;
      keep->load_state(p->save_state(t), t);
    }
    return std::array<int, 4>{dialer_first, dialer_blocks, person_blocks, person_tags};
  };
  CallPatterns after;
  const auto r = run(Options{}, &after);
  EXPECT_GE(r[0], 90);  // 100 ended calls of the caller ID, the subscriber's among them
  EXPECT_LE(r[0], 100);
  EXPECT_GE(r[1], 180);  // the dialer from its first block on
  EXPECT_EQ(r[2], 0);    // the subscriber never
  EXPECT_GE(r[3], 9);    // but tagged while the caller ID is flagged
  Options every_path;
  every_path.slow_path_share = 0;
  EXPECT_GE(run(every_path, nullptr)[2], 9);  // the rule's cause: the subscriber blocked with the dialer
  // After a restart: the dialer's path blocked, the subscriber's tagged.
  const int64_t t = kT0 + 9 * 3600 + 300 * 240 + 30;
  Call d = own(t, "+13125554321", "203.0.113.7");
  EXPECT_EQ(after.on_invite(d).action, Action::kBlock);
  after.on_end(d);
  EXPECT_EQ(after.on_invite(own(t + 5, "+13125559001", "192.0.2.10")).action, Action::kTag);
}

TEST(Calls, BusinessCallingForeignCustomersIsNotFlagged) {
  CallPatterns p(uk_provider());
  // Five foreign customers a day for two weeks, long answered calls, some
  // in the evening and at the weekend.
  for (int day = 0; day < 14; ++day)
    for (int i = 0; i < 5; ++i) {
      Call c = own_call(kT0 + day * 86400 + 9 * 3600 + i * 1800 + (i == 4 ? 13 * 3600 : 0), "+442071239999",
                        "00" + std::string(i % 2 ? "4930" : "3314") + std::to_string(1234500 + day * 10 + i),
                        true, 1200);
      Assessment a = p.on_invite(c);
      p.on_end(c);
      EXPECT_EQ(a.action, Action::kAllow) << day << " " << i;
    }
  EXPECT_TRUE(p.incidents().empty());
}

// A NANP provider (own ranges in +1): its subscribers dial abroad with 011,
// not 00. Stolen SIP credentials dialling 011 numbers of four country codes:
// seen as international, blocked as toll fraud; the same subscriber's
// domestic calls (1 + NPA) are not international. With "00" configured
// elsewhere than +1 nothing changes (the UK case above).
TEST(Calls, NanpInternationalPrefixIsZeroOneOne) {
  Options o;
  o.own_ranges = {"1737262", "1512271"};
  CallPatterns p(o);
  const char* ranges[] = {"011882", "011881", "011257", "011676"};
  int first_block = -1;
  for (int i = 0; i < 30; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 15, "+17372624976",
                      std::string(ranges[i % 4]) + std::to_string(7335913000 + i * 37));
    Assessment a = p.on_invite(c);
    p.on_end(c);
    if (a.action == Action::kBlock && first_block < 0) {
      first_block = i;
      ASSERT_FALSE(a.reasons.empty());
      EXPECT_NE(a.reasons[0].find("toll fraud: "), std::string::npos) << a.reasons[0];
    }
  }
  EXPECT_GE(first_block, 9);
  EXPECT_LE(first_block, 19);
  // Ten-digit national numbers (NPA-NXX-XXXX, no "1") are +1 too: area codes
  // 404, 252, 713, 312 and 980 are not the country codes +40, +252, +7, +31, +98.
  Options nanp = o;
  nanp.nanp_national = true;
  nanp.nanp_international_prefix = true;
  EXPECT_EQ(e164_digits("4043271484", false, nanp), "14043271484");
  EXPECT_EQ(e164_digits("4043271484", false, Options{}), "4043271484");  // no home: as written
  EXPECT_EQ(e164_digits("0113312345678", false, nanp), "3312345678");    // 011: abroad
  EXPECT_EQ(e164_digits("1404327148", false, nanp), "1404327148");       // not NPA-NXX-XXXX
  CallPatterns n(o);
  const char* areas[] = {"404", "252", "713", "312", "980", "404", "252", "713"};
  for (int i = 0; i < 60; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 10, "+17372624976",
                      std::string(areas[i % 8]) + std::to_string(3271484 + i * 7));
    EXPECT_EQ(n.on_invite(c).action, Action::kAllow) << i;
    n.on_end(c);
  }
  CallPatterns d(o);  // domestic long-distance calls: never toll fraud
  for (int i = 0; i < 30; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 60, "+15122716807", "1" + std::to_string(2125550100 + i * 977));
    EXPECT_EQ(d.on_invite(c).action, Action::kAllow) << i;
    d.on_end(c);
  }
}

TEST(Calls, TollFraudAgainstTheCallersHistoryAndTheHour) {
  // An international call centre: eight countries' numbers, 5 calls every
  // 10 min around the clock for two days (its history).
  CallPatterns p(uk_provider());
  int64_t t = kT0 + 12 * 3600;
  uint64_t n = 0;
  for (; t < kT0 + 12 * 3600 + 2 * 86400; t += 120, ++n) {
    Call c = own_call(t, "+442071235555", "00353" + std::to_string(861000000 + n % 5000), true, 240);
    EXPECT_EQ(p.on_invite(c).action, Action::kAllow);
    p.on_end(c);
  }
  // A busier hour, 12 distinct in 10 min: within 4 times its own rate.
  for (int i = 0; i < 12; ++i, t += 50)
    EXPECT_EQ(
        p.on_invite(own_call(t, "+442071235555", "00353" + std::to_string(871000000 + i * 7919))).action,
        Action::kAllow)
        << i;
  // 40 in 10 min is far above it.
  Action last = Action::kAllow;
  for (int i = 0; i < 40; ++i, t += 15)
    last = p.on_invite(own_call(t, "+442071235555", "00353" + std::to_string(881000000 + i * 7919))).action;
  EXPECT_EQ(last, Action::kBlock);

  // The hour as a modifier: 12 short unanswered calls to one country, no
  // history, are tagged at midday and blocked at night (with the country
  // codes); night alone does not block.
  auto burst = [](int64_t start, bool countries) {
    CallPatterns q(uk_provider());
    Action worst = Action::kAllow;
    for (int i = 0; i < 12; ++i) {
      const std::string cc = countries ? std::string(i % 3 ? (i % 3 == 1 ? "882" : "881") : "257") : "882";
      Action a = q.on_invite(own_call(start + i * 30, "+442071236666",
                                      "00" + cc + std::to_string(73359130 + i * 7919), false))
                     .action;
      worst = std::max(worst, a);
    }
    return worst;
  };
  EXPECT_EQ(burst(kT0 + 12 * 3600, false), Action::kTag);               // Monday midday, one country
  EXPECT_EQ(burst(kT0 + 12 * 3600, true), Action::kTag);                // three countries, midday: one sign
  EXPECT_EQ(burst(kT0 + 2 * 3600, false), Action::kTag);                // night alone: one sign
  EXPECT_EQ(burst(kT0 + 2 * 3600, true), Action::kBlock);               // night and three countries
  EXPECT_EQ(burst(kT0 + 5 * 86400 + 12 * 3600, true), Action::kBlock);  // Saturday midday
}

TEST(Calls, TollFraudPumpingFewNumbersWithLongCallsIsBlocked) {
  // A hacked PBX pumping six premium numbers of two countries on a weekday
  // at midday: fewer than `toll_tag_destinations` distinct callees, but
  // every call answered and held for minutes, one every two minutes from
  // each of three extensions (IRSF earns by the minute).
  CallPatterns p(uk_provider());
  const char* numbers[] = {"+22507974534", "+22507722305", "+22507110392",
                           "+5352118093",  "+5352440871",  "+5352901124"};
  int blocked = 0, first_block = -1;
  for (int i = 0; i < 90; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 40, "+44121556430" + std::to_string(i % 3), numbers[i % 6], true,
                      600 + (i * 37) % 900);
    c.source_ip = "41.8.216.182";
    Assessment a = p.on_invite(c);
    p.on_end(c);
    if (a.action == Action::kBlock) {
      ++blocked;
      if (first_block < 0) {
        first_block = i;
        ASSERT_FALSE(a.reasons.empty());
        EXPECT_NE(a.reasons[0].find("answered calls over 180 s"), std::string::npos) << a.reasons[0];
      }
    }
  }
  EXPECT_GE(first_block, 3);
  EXPECT_LE(first_block, 15);
  EXPECT_GE(blocked, 70);
  // The pumped numbers survive a restart: after a state reload, the
  // first four long calls again block (not three more per number first).
  {
    CallPatterns warm(uk_provider()), cold(uk_provider());
    for (int i = 0; i < 30; ++i) {
      Call c = own_call(kT0 + 12 * 3600 + i * 40, "+441215564300", numbers[i % 6], true, 900);
      c.source_ip = "41.8.216.182";
      warm.on_invite(c);
      warm.on_end(c);
    }
    const int64_t at = kT0 + 12 * 3600 + 30 * 40;
    ASSERT_GT(cold.load_state(warm.save_state(at), at), 0u);
    EXPECT_NE(warm.save_state(at).find("\"pump\""), std::string::npos);
    Action last = Action::kAllow;
    for (int i = 30; i < 34; ++i) {
      Call c = own_call(kT0 + 12 * 3600 + i * 40, "+441215564300", numbers[i % 6], true, 900);
      c.source_ip = "41.8.216.182";
      last = cold.on_invite(c).action;
      cold.on_end(c);
    }
    EXPECT_EQ(last, Action::kBlock);
  }
  // A business with a history of calls to its office abroad: three long
  // calls in ten minutes stay below the pumping bar, and four long calls at
  // its usual rate are within its history.
  CallPatterns q(uk_provider());
  int64_t t = kT0 + 9 * 3600;
  for (int i = 0; i < 3; ++i, t += 120) {
    Call c = own_call(t, "+441215564400", "+14155550" + std::to_string(100 + i), true, 1200);
    c.source_ip = "81.250.114.186";
    EXPECT_EQ(q.on_invite(c).action, Action::kAllow) << i;
    q.on_end(c);
  }
  // ... and its office line that holds four long calls abroad every ten
  // minutes, day after day: the same rate as its own history.
  CallPatterns r(uk_provider());
  for (int i = 0; i < 2 * 24 * 24; ++i) {
    Call c = own_call(kT0 + 9 * 3600 + i * 150, "+441215564401", "+14155550" + std::to_string(100 + i % 4),
                      true, 400);
    c.source_ip = "81.250.114.186";
    EXPECT_NE(r.on_invite(c).action, Action::kBlock) << i;
    r.on_end(c);
  }
  // Without the rule the pumping above is never blocked.
  Options off = uk_provider();
  off.toll_pump_long = 0;
  CallPatterns o(off);
  int off_blocked = 0;
  for (int i = 0; i < 90; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 40, "+44121556430" + std::to_string(i % 3), numbers[i % 6], true,
                      600 + (i * 37) % 900);
    c.source_ip = "41.8.216.182";
    off_blocked += o.on_invite(c).action == Action::kBlock;
    o.on_end(c);
  }
  EXPECT_EQ(off_blocked, 0);
}

TEST(Calls, HostedDialerRotatingCallerIdsFromOurSideIsBlocked) {
  CallPatterns p(uk_provider());
  // Stolen SIP credentials: one source, each call with a made-up mobile
  // caller ID outside our ranges, mostly unanswered.
  int first_block = -1;
  for (int i = 0; i < 60; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 4, "+4476" + std::to_string(11034489 + i * 7919),
                      "+44161" + std::to_string(4960000 + i * 6007), i % 8 == 0, 20);
    c.source_ip = "203.0.113.50";
    Assessment a = p.on_invite(c);
    p.on_end(c);
    if (a.action == Action::kBlock && first_block < 0) {
      first_block = i;
      ASSERT_FALSE(a.reasons.empty());
      EXPECT_NE(a.reasons[0].find("caller IDs outside our ranges from our side"), std::string::npos)
          << a.reasons[0];
    }
  }
  EXPECT_GE(first_block, 9);
  EXPECT_LE(first_block, 20);
  // A switch: 200 subscribers of our ranges and a few with numbers ported in,
  // through one source, answered: nobody blocked.
  CallPatterns msc(uk_provider());
  for (int i = 0; i < 400; ++i) {
    const bool ported = i % 40 == 0;
    Call c = own_call(
        kT0 + 12 * 3600 + i * 2,
        ported ? "+4479" + std::to_string(10000000 + i) : "+447700" + std::to_string(900000 + i % 200),
        "+44161" + std::to_string(4960000 + i * 6007), i % 3 != 0, 90);
    c.source_ip = "203.0.113.60";
    EXPECT_NE(msc.on_invite(c).action, Action::kBlock) << i;
    msc.on_end(c);
  }
}

// A source sending many invalid caller IDs, a tenth of its calls or more,
// has them blocked; a carrier passing a few among many honest calls, not.
TEST(Calls, SourceOfManyInvalidCallerIdsIsBlocked) {
  CallPatterns p;
  int blocked = 0, tagged = 0;
  for (int i = 0; i < 60; ++i) {
    const bool bad = i % 3 == 0;  // a third of its calls
    Call c = call(kT0 + i * 10,
                  bad ? "+1" + std::to_string(1005550000 + i * 7) : "+1415555" + std::to_string(1000 + i),
                  "+1312555" + std::to_string(2000 + i * 13), "203.0.113.9");
    c.trunk = "wholesale-3";
    Assessment a = p.on_invite(c);
    if (bad) {
      blocked += a.action == Action::kBlock;
      tagged += a.action == Action::kTag;
    } else {
      EXPECT_EQ(a.action, Action::kAllow) << i;  // its valid caller IDs go through
    }
    p.on_end(c);
  }
  EXPECT_EQ(tagged, 9);  // the first nine: tagged
  EXPECT_EQ(blocked, 11);
  // A carrier: 2,000 honest calls in 10 minutes, 20 of them with N11
  // exchanges (1%): tagged, never blocked.
  CallPatterns carrier;
  for (int i = 0; i < 2000; ++i) {
    const bool odd = i % 100 == 0;
    Call c = call(kT0 + i * 3 / 10,
                  odd ? "+1919611" + std::to_string(1000 + i) : "+1919555" + std::to_string(1000 + i),
                  "+1312555" + std::to_string(1000 + (i * 7919) % 9000), "192.0.2.1");
    c.trunk = "tier1";
    EXPECT_NE(carrier.on_invite(c).action, Action::kBlock) << i;
    c.answered = true;
    c.duration_s = 120;
    carrier.on_end(c);
  }
}

// A transit trunk carrying a robocaller's invalid caller IDs (12-digit
// NANP numbers) and honest callers: the flood's own kind of defect is
// blocked; an honest caller's N11 exchange or area code starting with 1 in
// the same window (a different defect, few of them) is tagged, not blocked
// (blind7's terminating carrier: 403 honest callers with N11 exchanges were
// blocked when every defect counted as one).
TEST(Calls, InvalidCallerIdFloodIsJudgedPerKindOfDefect) {
  CallPatterns p;
  int n = 0;
  auto transit = [&n](int64_t t, std::string caller) {  // each to another subscriber
    Call c = call(t, std::move(caller), "+1919556" + std::to_string(1000 + 37 * n++), "203.0.113.20");
    c.trunk = "longhaul-b";
    return c;
  };
  std::vector<Action> flood;
  for (int i = 0; i < 60; ++i) {
    p.on_invite(transit(kT0 + i * 5, "+1919555" + std::to_string(2000 + i)));  // honest, valid
    flood.push_back(p.on_invite(transit(kT0 + i * 5 + 1, "+1" + std::to_string(54134734100 + i))).action);
    if (i % 4 == 0) {  // honest callers with numbers mangled other ways: 15 N11, 8 NPA 1xx
      EXPECT_EQ(p.on_invite(transit(kT0 + i * 5 + 2, "+1760411" + std::to_string(2000 + i))).action,
                Action::kTag)
          << i;
      if (i % 8 == 0) {
        EXPECT_EQ(p.on_invite(transit(kT0 + i * 5 + 3, "+1160555" + std::to_string(2000 + i))).action,
                  Action::kTag)
            << i;
      }
    }
  }
  // The 12-digit ones: tagged until ten are in the window, then blocked.
  EXPECT_EQ(std::count(flood.begin(), flood.begin() + 9, Action::kTag), 9);
  EXPECT_EQ(std::count(flood.begin() + 10, flood.end(), Action::kBlock), 50);
  EXPECT_TRUE(p.tallies_consistent());
}

// A flood at a hospital's line (TDoS: valid-looking, rotating caller IDs,
// most calls busy) from two carriers' SBCs: once 100 calls are in the window
// the flood sources' calls are blocked, but for a known caller (a
// conversation before) and a caller through another source (tagged). A
// crowd redialling a radio contest line (the same callers again) is no flood.
TEST(Calls, FloodAtOneNumberFromManyCallerIdsIsBlockedFromItsSources) {
  CallPatterns p;
  Call known = call(kT0, "+13365550177", "+19195550100", "192.0.2.7");
  p.on_invite(known);
  known.answered = true;
  known.duration_s = 300;
  p.on_end(known);
  std::vector<Action> got;
  for (int i = 0; i < 300; ++i) {
    Call c = call(kT0 + 100 + i, "+1" + std::to_string(2025550000 + i * 7919 % 9999999), "+19194634820",
                  i % 2 ? "198.51.100.10" : "203.0.113.5");
    got.push_back(p.on_invite(c).action);
    c.answered = i % 5 == 0;
    c.duration_s = c.answered ? 10 : 0;
    p.on_end(c);
    if (i == 200) {
      known.time = kT0 + 300;
      known.callee = "+19194634820";
      known.source_ip = "198.51.100.10";
      EXPECT_EQ(p.on_invite(known).action, Action::kTag);  // a known caller, through a flood source
      EXPECT_EQ(p.on_invite(call(kT0 + 300, "+13365550999", "+19194634820", "192.0.2.99")).action,
                Action::kTag);  // another source
    }
  }
  EXPECT_EQ(std::count(got.begin(), got.begin() + 99, Action::kBlock), 0);
  EXPECT_GE(std::count(got.begin() + 110, got.end(), Action::kBlock), 185);
  EXPECT_TRUE(p.tallies_consistent());
  CallPatterns radio;  // 60 listeners redialling a contest line, 5 times each
  for (int i = 0; i < 300; ++i) {
    Call c =
        call(kT0 + i, "+1" + std::to_string(2025550000 + (i % 60) * 7919), "+19195550150", "198.51.100.10");
    EXPECT_NE(radio.on_invite(c).action, Action::kBlock) << i;
    radio.on_end(c);
  }
}

// A TDoS flood whose calls are answered (white noise, as the FBI/DHS
// advisories describe) until the target's lines are all taken, then refused:
// half answered, the answered ones 25 s. Blocked from its sources; a
// hotline receiving as many distinct callers is not: answered by an IVR (90%,
// short) or by people (half answered, conversations).
TEST(Calls, FloodAnsweredWithNoiseUntilTheLinesAreTakenIsBlocked) {
  auto run = [](auto outcome) {
    CallPatterns p;
    std::vector<Action> got;
    for (int i = 0; i < 400; ++i) {
      Call c = call(kT0 + i, "+1" + std::to_string(2025550000 + i * 7919 % 9999999), "+19194634820",
                    i % 2 ? "198.51.100.10" : "203.0.113.5");
      got.push_back(p.on_invite(c).action);
      outcome(i, c);
      p.on_end(c);
    }
    EXPECT_TRUE(p.tallies_consistent());
    return std::count(got.begin(), got.end(), Action::kBlock);
  };
  EXPECT_GE(run([](int i, Call& c) {
              c.answered = i % 2 == 0;  // the lines seized, the rest busy
              c.duration_s = c.answered ? 20 + i % 11 : 0;
            }),
            250);
  EXPECT_EQ(run([](int i, Call& c) {
              c.answered = i % 10 != 0;  // an IVR answering nearly every call
              c.duration_s = c.answered ? 20 : 0;
            }),
            0);
  EXPECT_EQ(run([](int i, Call& c) {
              c.answered = i % 2 == 0;  // a staffed hotline: half reached, then they talk
              c.duration_s = c.answered ? 60 + i % 200 : 0;
            }),
            0);
}

// The known callers of the TDoS rule (answered conversations, kept past the
// window) survive a restart: after one, a flood source's call from a caller
// that talked before is tagged, as before it; without the state it is blocked.
TEST(Calls, KnownCallersOfTheFloodRuleSurviveARestart) {
  CallPatterns p;
  Call known = call(kT0, "+13365550177", "+19195550100", "192.0.2.7");
  p.on_invite(known);
  known.answered = true;
  known.duration_s = 300;
  p.on_end(known);
  const int64_t later = kT0 + 5000;  // the known caller's attempt has left the window
  const std::string saved = p.save_state(later);
  EXPECT_NE(saved.find("\"talks\":1"), std::string::npos) << saved;
  auto flood_then_known = [&](CallPatterns& q) {
    for (int i = 0; i < 150; ++i) {
      Call c = call(later + i, "+1" + std::to_string(2025550000 + i * 7919 % 9999999), "+19194634820",
                    "198.51.100.10");
      q.on_invite(c);
      q.on_end(c);  // unanswered
    }
    Call k = call(later + 160, "+13365550177", "+19194634820", "198.51.100.10");
    return q.on_invite(k).action;
  };
  CallPatterns restarted;
  size_t skipped = 99;
  EXPECT_EQ(restarted.load_state(saved, later, &skipped), 1u);
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(flood_then_known(restarted), Action::kTag);
  CallPatterns fresh;  // no state: the same caller is one of the flood's
  EXPECT_EQ(flood_then_known(fresh), Action::kBlock);
  // A bad count is a skipped line, not a crash.
  CallPatterns bad;
  EXPECT_EQ(bad.load_state(R"({"key":"caller:+1","kind":0,"attempts":[],"talks":-1})", later, &skipped), 0u);
  EXPECT_EQ(skipped, 1u);
}

// A flood of calls with invalid caller IDs at one number (TDoS), each
// from another source: blocked from the tenth; another number receiving
// two: tagged only.
TEST(Calls, FloodOfInvalidCallerIdsAtOneNumberIsBlocked) {
  CallPatterns p;
  std::vector<Action> got;
  for (int i = 0; i < 30; ++i) {
    Call c = call(kT0 + i * 4, "+1" + std::to_string(1005550000 + i * 7919), "+19195550123",
                  "198.51." + std::to_string(i) + ".1");
    c.trunk = "t" + std::to_string(i);
    got.push_back(p.on_invite(c).action);
  }
  EXPECT_EQ(std::count(got.begin(), got.begin() + 9, Action::kTag), 9);
  EXPECT_EQ(std::count(got.begin() + 9, got.end(), Action::kBlock), 21);
  EXPECT_EQ(p.on_invite(call(kT0 + 200, "+11005551234", "+19195550999", "192.0.2.200")).action, Action::kTag);
}

// A call centre on our side: 10-12 callees a minute, a low answer rate, but
// the answered calls are conversations: tagged, not blocked. A robocaller
// at the same rate whose answered calls are hang-ups is blocked.
TEST(Calls, CallCentreWithLowAnswerRateIsTaggedNotBlocked) {
  CallPatterns p;
  std::vector<Action> centre, robot;
  for (int i = 0; i < 120; ++i) {
    Call c = call(kT0 + i * 5, "+14155550160", "1312555" + std::to_string(1000 + (i * 7919) % 9000));
    centre.push_back(p.on_invite(c).action);
    c.answered = i % 6 == 0;  // 17% answered
    c.duration_s = c.answered ? 100 + i : 0;
    p.on_end(c);
    Call r = call(kT0 + i * 5, "+14155550161", "1313555" + std::to_string(1000 + (i * 7919) % 9000));
    robot.push_back(p.on_invite(r).action);
    r.answered = i % 6 == 0;
    r.duration_s = r.answered ? 3 : 0;  // hang-ups
    p.on_end(r);
  }
  EXPECT_EQ(std::count(centre.begin(), centre.end(), Action::kBlock), 0);
  EXPECT_GT(std::count(centre.begin(), centre.end(), Action::kTag), 50);
  EXPECT_GT(std::count(robot.begin(), robot.end(), Action::kBlock), 50);
}

// Toll fraud spread over a PBX's extensions: 30 extensions of one own number
// block, each calling 1-2 international numbers, from the PBX's address. No
// extension shows the pattern, nor any of its six addresses; the number block does. Other
// customers of the block calling abroad from elsewhere are not blocked.
TEST(Calls, TollFraudOverAPbxsExtensionsIsBlocked) {
  Options o;
  o.own_ranges = {"44161460", "447700"};
  CallPatterns p(o);
  int fraud_blocked = 0, fraud = 0;
  for (int i = 0; i < 60; ++i) {
    Call c = own_call(kT0 + 12 * 3600 + i * 9, "+44161460" + std::to_string(2000 + i % 30),
                      "+882" + std::to_string(1673350000 + i * 37), true, 400);
    c.source_ip = "198.51." + std::to_string(100 + i % 6) + ".20";  // six addresses: none blocks alone
    ++fraud;
    Assessment a = p.on_invite(c);
    fraud_blocked += a.action == Action::kBlock;
    p.on_end(c);
    if (i == 45) {
      // Another customer of the block, from its own address, calling abroad.
      Call other = own_call(kT0 + 12 * 3600 + i * 9, "+441614609999", "+33142345678", true, 300);
      other.source_ip = "192.0.2.77";
      EXPECT_NE(p.on_invite(other).action, Action::kBlock);
      p.on_end(other);
    }
  }
  EXPECT_GE(fraud_blocked, 30);
  // Withheld caller IDs from the PBX's address: the address alone shows it.
  CallPatterns q(o);
  int anon_blocked = 0;
  for (int i = 0; i < 40; ++i) {
    Call c =
        own_call(kT0 + 12 * 3600 + i * 9, "anonymous", "+239" + std::to_string(2983480 + i * 41), true, 400);
    c.source_ip = "203.0.113.21";
    anon_blocked += q.on_invite(c).action == Action::kBlock;
    q.on_end(c);
  }
  EXPECT_GE(anon_blocked, 20);
}

// Wangiri: one-ring calls from abroad to many of our subscribers, unanswered.
TEST(Calls, WangiriWaveIsTaggedAndItsRepeatCallersBlocked) {
  CallPatterns p(uk_provider());
  int tagged = 0, blocked = 0;
  for (int i = 0; i < 80; ++i) {
    // 20 numbers of one foreign range, each ringing 4 subscribers.
    Call c = call(kT0 + i * 6, "+2162519" + std::to_string(800 + i % 20),
                  "+447700" + std::to_string(900000 + i * 97), "80.45.186." + std::to_string(i % 3));
    c.trunk = "intl-3";
    Assessment a = p.on_invite(c);
    tagged += a.action == Action::kTag;
    blocked += a.action == Action::kBlock;
    if (a.action == Action::kBlock) {
      bool wave = false;
      for (const auto& r : a.reasons) wave = wave || r.find("one of the wave's numbers") != std::string::npos;
      EXPECT_TRUE(wave);
    }
    c.answered = false;
    p.on_end(c);
  }
  EXPECT_GT(blocked, 20);
  EXPECT_GT(tagged + blocked, 60);
  // Calls from abroad that people answer and talk on: no wave.
  CallPatterns q(uk_provider());
  for (int i = 0; i < 80; ++i) {
    Call c =
        call(kT0 + i * 6, "+3314234" + std::to_string(5000 + i), "+447700" + std::to_string(900000 + i * 97));
    EXPECT_EQ(q.on_invite(c).action, Action::kAllow) << i;
    c.answered = i % 4 != 0;
    c.duration_s = c.answered ? 240 : 0;
    q.on_end(c);
  }
}

// Neighbour spoofing: caller IDs made of the callee's leading digits, a
// wave from one source: tagged. A few neighbours calling: untouched.
TEST(Calls, NeighbourSpoofingWaveIsTagged) {
  Options o;
  o.own_ranges = {"447700"};  // the spoofed numbers are not ours
  CallPatterns p(o);
  int tagged = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string callee = "+4420775" + std::to_string(91000 + i * 211);
    const std::string caller = "+4420775" + std::to_string(60000 + i * 173);
    Call c = call(kT0 + i * 10, caller, callee, "45.50.33.151");
    c.trunk = "wholesale-5";
    Assessment a = p.on_invite(c);
    if (i >= 9) {
      EXPECT_NE(a.action, Action::kAllow) << i;
    }
    tagged += a.action == Action::kTag;
    EXPECT_NE(a.action, Action::kBlock) << i;
    EXPECT_EQ(a.spoofed, a.action == Action::kTag) << i;  // a sign for the STIR check (calls_api.h)
    c.answered = i % 3 != 0;                              // answered, and talked on: tagged, not blocked
    c.duration_s = c.answered ? 90 : 0;
    p.on_end(c);
  }
  EXPECT_GE(tagged, 30);
  // A wave nobody answers (or answers for a few seconds): a robocall
  // campaign's, its spoofed calls blocked from its 10th ended call on, but a
  // known caller's (a conversation before) tagged; without the rule, tagged.
  auto wave = [&](bool rule) {
    Options w = o;
    w.neighbour_block = rule;
    CallPatterns q(w);
    Call known = call(kT0 - 3000, "+442077567777", "+442071234567", "45.50.33.151");
    q.on_invite(known);
    known.answered = true;
    known.duration_s = 240;
    q.on_end(known);
    int blocked = 0;
    for (int i = 0; i < 40; ++i) {
      const std::string callee = "+4420775" + std::to_string(91000 + i * 211);
      Call c = call(kT0 + i * 10, i == 30 ? "+442077567777" : "+4420775" + std::to_string(60000 + i * 173),
                    callee, "45.50.33.151");
      c.trunk = "wholesale-5";
      Assessment a = q.on_invite(c);
      EXPECT_TRUE(a.spoofed || i < 9) << i;
      if (i == 30) {
        EXPECT_EQ(a.action, Action::kTag);
      } else {
        blocked += a.action == Action::kBlock;
      }
      c.answered = i % 8 == 0;
      c.duration_s = c.answered ? 8 : 0;
      q.on_end(c);
    }
    EXPECT_TRUE(q.tallies_consistent());
    return blocked;
  };
  EXPECT_GE(wave(true), 28);
  EXPECT_EQ(wave(false), 0);
  // One caller calling its four neighbours again and again: not a wave.
  CallPatterns r(o);
  for (int i = 0; i < 30; ++i) {
    Call c = call(kT0 + i * 10, "+442077560166", "+4420775" + std::to_string(91000 + 733 * (i % 4)),
                  "45.50.33.152");
    const Assessment a = r.on_invite(c);
    EXPECT_EQ(a.action, Action::kAllow) << i;
    EXPECT_FALSE(a.spoofed) << i;
    c.answered = true;
    c.duration_s = 7;
    r.on_end(c);
  }
  CallPatterns q(o);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(q.on_invite(call(kT0 + i * 60, "+4420775" + std::to_string(60000 + i),
                               "+4420775" + std::to_string(91000 + i)))
                  .action,
              Action::kAllow);
}

TEST(Calls, KeysStayBounded) {
  Options o;
  o.max_keys = 100;
  CallPatterns p(o);
  for (int i = 0; i < 1000; ++i)
    p.on_invite(call(kT0 + i, "1415555" + std::to_string(1000 + i), "13125550100"));
  EXPECT_LE(p.keys(), 100u);
}

// Each key's counts are kept as attempts come, end and leave the window
// (a trunk's judgement does not walk its 4,096 attempts): after every kind of
// call, out-of-order ends, the per-key cap, the window and a restart they
// equal a recount; and a trunk of 5,000 calls still judges the last ones.
TEST(Calls, RunningCountsEqualARecount) {
  Options o = uk_provider();
  CallPatterns p(o);
  uint64_t x = 88172645463325252ull;  // xorshift: a fixed, varied stream
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<Call> open;
  for (int i = 0; i < 6000; ++i) {
    const uint64_t r = next();
    const int64_t t = kT0 + i / 4;  // four calls a second: the window turns over
    static const char* kCallers[] = {"+442071234567", "+447700900123", "+21650123456",
                                     "+1202555010",   "+442079460000", "anonymous"};
    std::string caller = kCallers[r % 6];
    if (r % 7 == 0) caller = "+4420794" + std::to_string(60000 + r % 1000);          // many callers
    std::string callee = r % 5 == 0 ? "+9725" + std::to_string(1000000 + r % 50000)  // abroad
                                    : "+4420794" + std::to_string(60000 + (r >> 8) % 3000);
    Call c = call(t, caller, callee, "198.51.100." + std::to_string(r % 3));
    c.external = r % 3 != 0;
    c.trunk = r % 2 ? "ic-1" : "ic-2";
    p.on_invite(c);
    c.answered = r % 4 != 0;
    c.duration_s = c.answered ? static_cast<int64_t>((r >> 16) % 400) : 0;
    if (r % 11 == 0)
      open.push_back(c);  // ends later, out of order
    else
      p.on_end(c);
    if (open.size() > 20) {
      p.on_end(open[(r >> 20) % open.size()]);
      open.erase(open.begin() + static_cast<std::ptrdiff_t>((r >> 20) % open.size()));
    }
    if (i % 500 == 0) {
      ASSERT_TRUE(p.tallies_consistent()) << "after call " << i;
    }
  }
  for (const Call& c : open) p.on_end(c);
  EXPECT_TRUE(p.tallies_consistent());
  CallPatterns q(o);
  q.load_state(p.save_state(kT0 + 1500), kT0 + 1500);
  EXPECT_TRUE(q.tallies_consistent());
  // Past the per-key cap: one trunk, 5,000 calls in 100 s, the last 40 from
  // a source of invalid caller IDs.
  CallPatterns big;
  for (int i = 0; i < 5000; ++i) {
    Call c = call(kT0 + i / 50, "+4420794" + std::to_string(10000 + i), "+442079460001",
                  "203.0.113." + std::to_string(i % 200));
    big.on_invite(c);
  }
  Assessment last;
  for (int i = 0; i < 40; ++i)
    last = big.on_invite(call(kT0 + 100, "+44" + std::to_string(100 + i),
                              "+4420794" + std::to_string(70000 + i), "192.0.2.9"));
  EXPECT_EQ(last.action, Action::kBlock);
  EXPECT_TRUE(big.tallies_consistent());
}

TEST(Calls, CdrCsvWithHeader) {
  CdrReader r;
  EXPECT_FALSE(r.line("calldate,src,dst,billsec,disposition,channel,src_ip"));
  auto c = r.line("2026-12-07 00:00:05,+14155550123,\"+1 312 555 0100\",42,ANSWERED,carrier-a,198.51.100.7");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->time, kT0 + 5);
  EXPECT_EQ(c->callee, "+1 312 555 0100");
  EXPECT_TRUE(c->answered);
  EXPECT_EQ(c->duration_s, 42);
  EXPECT_EQ(c->source_ip, "198.51.100.7");
  c = r.line("1796601606,+14155550123,13125550101,0,NO ANSWER,carrier-a,");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->answered);
  EXPECT_FALSE(r.line("yesterday,+1,+2,0,ANSWERED,x,"));
  EXPECT_FALSE(r.line("\"unterminated,+1,+2"));
  EXPECT_EQ(r.skipped, 2u);
  CdrReader bad;
  EXPECT_FALSE(bad.line("a,b,c"));
  EXPECT_FALSE(bad.line("1,2,3"));
  EXPECT_EQ(bad.skipped, 2u);
}

TEST(Calls, AsteriskMasterCsv) {
  CdrReader r;
  r.format = CdrFormat::kAsterisk;
  auto c = r.line(
      "\"\",\"14155550123\",\"13125550100\",\"from-trunk\",\"\"\"Bob\"\" "
      "<14155550123>\",\"SIP/carrier-a-0000001f\","
      "\"SIP/100-00000020\",\"Dial\",\"SIP/100\",\"2026-12-07 00:00:05\",\"2026-12-07 00:00:09\","
      "\"2026-12-07 00:01:00\",55,51,\"ANSWERED\",\"DOCUMENTATION\",\"1796601605.31\",\"\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->caller, "14155550123");
  EXPECT_EQ(c->trunk, "SIP/carrier-a");
  EXPECT_EQ(c->duration_s, 51);
  EXPECT_TRUE(c->answered);
}

}  // namespace
}  // namespace rampart::channels::calls
