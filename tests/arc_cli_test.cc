// File: tests/arc_cli_test.cc
// End-to-end tests of `rampart arc seal` / `rampart arc verify`: the real
// binary (RAMPART_BIN) runs all 17 ValiMail signing tests the way testarc.py
// drives a signer (message on stdin, key file, srv-id, selector, domain,
// headers, timestamp; keys from a zone file), its output fields compared with
// the expected AS/AMS/AAR (whitespace removed, ';'-split sets); each sealed
// message is verified again by the CLI; JSON output; bare-LF input; exit
// status 2 with one line on stderr for bad arguments.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "auth/dkim/test_util.h"

#ifndef ARC_SUITE_DIR
#define ARC_SUITE_DIR "tests/data/arc"
#endif

#include "support/cli.h"

namespace rampart {
namespace {

namespace fs = std::filesystem;
using dkim::testing::read_file;

using Cmd = testing::CliResult;

std::set<std::string> tag_set(const std::string& v) {
  std::string s;
  for (char c : v)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  std::set<std::string> out;
  size_t b = 0;
  for (;;) {
    const size_t e = s.find(';', b);
    out.insert(s.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

// The value of the first field named `name` (folds included) in `msg`.
std::string field(const std::string& msg, const std::string& name) {
  size_t p = 0;
  while (p < msg.size()) {
    size_t e = msg.find('\n', p);
    if (e == std::string::npos) e = msg.size();
    if (e == p || (e == p + 1 && msg[p] == '\r')) break;  // end of header
    if (msg.compare(p, name.size() + 1, name + ":") == 0) {
      size_t end = e;
      while (end + 1 < msg.size() && (msg[end + 1] == ' ' || msg[end + 1] == '\t')) {
        end = msg.find('\n', end + 1);
        if (end == std::string::npos) end = msg.size();
      }
      return msg.substr(p + name.size() + 1, end - p - name.size() - 1);
    }
    p = e + 1;
  }
  return {};
}

class CliArc : public testing::CliTest {
 protected:
  void SetUp() override { CliTest::SetUp(); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  // A zone file with the scenario's txt-records (255-octet strings).
  std::string zone(const YAML::Node& records) {
    std::string z;
    for (const auto& kv : records) {
      std::string text;
      for (char c : kv.second.as<std::string>())
        if (c != '\n' && c != '\r') text += c;
      z += kv.first.as<std::string>() + ". 300 IN TXT";
      for (size_t i = 0; i < text.size(); i += 255) z += " \"" + text.substr(i, 255) + "\"";
      z += "\n";
    }
    return write("zone", z);
  }
};

TEST_F(CliArc, SigningSuiteThroughTheCli) {
  const auto docs = YAML::LoadAllFromFile(ARC_SUITE_DIR "/arc-draft-sign-tests.yml");
  size_t total = 0, passed = 0;
  for (const auto& doc : docs) {
    const std::string zf = zone(doc["txt-records"]);
    const std::string key = write("key.pem", doc["privatekey"].as<std::string>());
    for (const auto& t : doc["tests"]) {
      const std::string name = t.first.as<std::string>();
      const YAML::Node& c = t.second;
      ++total;
      const std::string msg = write("msg.eml", c["message"].as<std::string>());
      Cmd r = run("arc seal --domain " + doc["domain"].as<std::string>() + " --selector " +
                      doc["sel"].as<std::string>() + " --key " + key + " --srv-id " +
                      c["srv-id"].as<std::string>() + " --headers " + c["sig-headers"].as<std::string>() +
                      " --timestamp " + c["t"].as<std::string>() + " --zone " + zf,
                  msg);
      ASSERT_EQ(r.status, 0) << name << ": " << r.err;
      const std::string want_as = c["AS"].as<std::string>(""), want_ams = c["AMS"].as<std::string>(""),
                        want_aar = c["AAR"].as<std::string>("");
      if (tag_set(want_as) == tag_set("")) {
        // No set expected: the input comes back unchanged, the reason on stderr.
        const bool ok = r.out == c["message"].as<std::string>() && !r.err.empty();
        EXPECT_TRUE(ok) << name << ": " << r.out.substr(0, 400);
        passed += ok;
        continue;
      }
      const bool ok = tag_set(field(r.out, "ARC-Seal")) == tag_set(want_as) &&
                      tag_set(field(r.out, "ARC-Message-Signature")) == tag_set(want_ams) &&
                      tag_set(field(r.out, "ARC-Authentication-Results")) == tag_set(want_aar);
      EXPECT_TRUE(ok) << name << ":\n" << r.out.substr(0, 1200);
      passed += ok;
      // The sealed output verifies (a cv=fail seal reports the failure).
      const std::string sealed = write("sealed.eml", r.out);
      Cmd v = run("arc verify --zone " + zf, sealed);
      ASSERT_EQ(v.status, 0) << v.err;
      const bool failed_seal = field(r.out, "ARC-Seal").find("cv=fail") != std::string::npos;
      EXPECT_EQ(v.out.rfind(failed_seal ? "arc=fail" : "arc=pass", 0), 0u) << name << ": " << v.out;
    }
  }
  std::printf("ARC signing suite through the CLI: %zu/%zu\n", passed, total);
  EXPECT_EQ(total, 17u);
  EXPECT_EQ(passed, 17u);
}

TEST_F(CliArc, VerifyJsonBareLfAndBadArguments) {
  const std::string pem = dkim::testing::generate_pem(dkim::KeyType::kRsa, 1024);
  auto key = dkim::load_private_key(pem);
  ASSERT_TRUE(key);
  const std::string kf = write("k.pem", pem);
  const std::string zf = write(
      "zone", "s1._domainkey.example.net. 300 IN TXT \"" + dkim::testing::key_record(*key).substr(0, 255) +
                  "\" \"" +
                  (dkim::testing::key_record(*key).size() > 255 ? dkim::testing::key_record(*key).substr(255)
                                                                : std::string()) +
                  "\"\n");
  const std::string lf_msg =
      write("lf.eml",
            "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=a@example.com\n"
            "From: a@example.com\nTo: b@example.net\nSubject: hi\n\nbody\n");
  Cmd s =
      run("arc seal --domain example.net --selector s1 --key " + kf + " --srv-id mx.example.net --zone " + zf,
          lf_msg);
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.out.find('\r'), std::string::npos);  // the input's line ends
  EXPECT_NE(s.out.find("ARC-Authentication-Results: i=1; mx.example.net; arc=none;\n  spf=pass"),
            std::string::npos)
      << s.out;
  const std::string sealed = write("sealed.eml", s.out);
  Cmd v = run("arc verify --json --zone " + zf, sealed);
  ASSERT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("{\"cv\": \"pass\", \"reason\": \"\", \"fail\": \"\", \"instances\": 1", 0), 0u)
      << v.out;
  v = run("arc verify --zone " + zf, lf_msg);
  EXPECT_EQ(v.out, "arc=none (no ARC header fields)\n");

  const std::vector<std::string> bads = {
      std::string("arc"),
      std::string("arc frob"),
      std::string("arc seal --domain example.net"),
      "arc seal --domain example.net --selector s1 --key /nonexistent --srv-id x",
      "arc seal --domain example.net --selector s1 --key " + kf + " --srv-id x --cv maybe",
      "arc seal --domain example.net --selector s1 --key " + kf + " --srv-id x --timestamp soon",
      std::string("arc verify --domain example.net"),
      std::string("arc verify --bogus"),
      std::string("arc seal --json"),
      std::string("arc verify --zone /nonexistent")};
  for (const std::string& bad : bads) {
    Cmd r = run(bad);
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
  }
}

}  // namespace
}  // namespace rampart
