// File: bench/dkim_bench.cc
// NAME
//   dkim_bench - DKIM verification speed: rampart, the OpenSSL floor and
//   dkimpy side by side, on the same generated messages, in one run.
// SYNOPSIS
//   dkim_bench [--messages N] [--reps R] [--no-dkimpy] [--dir DIR]
// DESCRIPTION
//   Generates N messages (default 1000) of 1-10 KB (headers of a real
//   mailing: Received, From, To, Subject, Date, Message-ID, MIME; text or
//   multipart bodies), signs each once with RSA-2048 (rsa-sha256) and once
//   with ed25519 (ed25519-sha256), relaxed/relaxed and simple/simple
//   alternating, and verifies each set R times (default 5) with
//   dkim::Verifier over a dns::ZoneResolver (keys cached after the warm
//   pass). CPU time is CLOCK_PROCESS_CPUTIME_ID; one thread, so messages
//   per second per core = 1 / CPU per message.
//   The floor, measured on the same messages in the same run: SHA-256 over
//   all the message bytes plus one EVP verify (EVP_DigestVerify over the
//   message's header hash input, key already parsed) per message.
//   "parse" is rampart without crypto: header section, DKIM-Signature tags,
//   key record, canonicalized header hash input.
//   dkimpy (Debian python3-dkim) runs bench/dkim_bench.py over the same
//   files in one python process (/usr/bin/python3), R passes.
// DIAGNOSTICS
//   Exit 1 if any message fails to verify in rampart; 2 on bad arguments.
//   dkimpy missing: its rows say so (the rest still prints).
#include <openssl/evp.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/clock.h"
#include "dns/zone_resolver.h"

using namespace rampart;
using namespace rampart::dkim;

namespace {

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const char* kWords[] = {"the",      "meeting", "schedule",     "invoice", "attached", "please",   "review",
                        "quarter",  "results", "newsletter",   "offer",   "customer", "account",  "update",
                        "shipping", "order",   "confirmation", "team",    "project",  "deadline", "thanks",
                        "regards",  "weekly",  "report",       "pricing", "details",  "support",  "ticket"};

std::string text_lines(std::mt19937& rng, size_t bytes) {
  std::string out;
  std::string line;
  while (out.size() < bytes) {
    line.clear();
    const size_t len = 40 + rng() % 36;
    while (line.size() < len) {
      if (!line.empty()) line += ' ';
      line += kWords[rng() % (sizeof kWords / sizeof kWords[0])];
    }
    out += line + "\r\n";
    if (rng() % 9 == 0) out += "\r\n";
  }
  return out;
}

std::string make_message(std::mt19937& rng, size_t i) {
  const size_t target = 1000 + rng() % 9000;  // 1-10 KB
  std::string h;
  for (int r = 0; r < 3; ++r)
    h += "Received: from mx" + std::to_string(r) + ".example.net (mx" + std::to_string(r) +
         ".example.net [192.0.2." + std::to_string(10 + r) +
         "])\r\n\tby mail.example.com with ESMTPS id 4Abc" + std::to_string(i) +
         "\r\n\tfor <user@example.com>; Mon, 13 Nov 2023 10:00:0" + std::to_string(r) + " +0000\r\n";
  h += "From: \"Example News\" <news@example.com>\r\n";
  h += "To: user" + std::to_string(i) + "@example.org\r\n";
  h += "Subject: Weekly report " + std::to_string(i) + "\r\n";
  h += "Date: Mon, 13 Nov 2023 10:00:00 +0000\r\n";
  h += "Message-ID: <" + std::to_string(i) + ".bench@example.com>\r\n";
  h += "MIME-Version: 1.0\r\n";
  std::string body;
  if (i % 3 == 0) {
    h += "Content-Type: multipart/alternative; boundary=\"=_b" + std::to_string(i) + "\"\r\n";
    const std::string b = "--=_b" + std::to_string(i);
    const std::string text = text_lines(rng, target / 2);
    body = b + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + b +
           "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n" +
           text_lines(rng, target / 2) + "</body></html>\r\n" + b + "--\r\n";
  } else {
    h += "Content-Type: text/plain; charset=utf-8\r\n";
    body = text_lines(rng, target - h.size());
  }
  return h + "\r\n" + body;
}

struct Set {
  std::string name;
  std::vector<std::string> msgs;
  std::vector<std::string> header_inputs;  // for the floor
  PrivateKey key;
  Algorithm alg;
};

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1000;
  int reps = 5;
  bool dkimpy = true;
  std::string dir = "/tmp/rampart-dkim-bench";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--messages" && i + 1 < argc) {
      n = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--no-dkimpy") {
      dkimpy = false;
    } else {
      std::fprintf(stderr, "dkim_bench: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (n == 0 || reps <= 0) {
    std::fprintf(stderr, "dkim_bench: --messages and --reps must be positive\n");
    return 2;
  }

  dns::ZoneResolver dns;
  std::vector<Set> sets(2);
  sets[0].name = "rsa-sha256 (RSA-2048)";
  sets[0].key = *load_private_key(testing::generate_pem(KeyType::kRsa, 2048));
  sets[0].alg = Algorithm::kRsaSha256;
  sets[1].name = "ed25519-sha256";
  sets[1].key = *load_private_key(testing::generate_pem(KeyType::kEd25519));
  sets[1].alg = Algorithm::kEd25519Sha256;
  const char* selectors[] = {"rsa", "ed"};
  std::string keys_tsv;
  std::string key_txt[2];
  for (int s = 0; s < 2; ++s) {
    const std::string txt = testing::key_record(sets[s].key);
    key_txt[s] = txt;
    dns.add(std::string(selectors[s]) + "._domainkey.example.com", testing::txt_record(txt));
    keys_tsv += std::string(selectors[s]) + "._domainkey.example.com\t" + txt + "\n";
  }

  std::mt19937 rng(20231113);
  size_t total_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::string m = make_message(rng, i);
    total_bytes += m.size();
    for (int s = 0; s < 2; ++s) {
      SignOptions o;
      o.domain = "example.com";
      o.selector = selectors[s];
      o.timestamp = 1700000000;
      o.header_canon = o.body_canon = (i % 2) ? Canon::kSimple : Canon::kRelaxed;
      auto f = sign(m, sets[s].key, o);
      if (!f) {
        std::fprintf(stderr, "dkim_bench: sign: %s\n", f.error().message.c_str());
        return 1;
      }
      sets[s].msgs.push_back(*f + m);
      // The header hash input of that signature, for the floor.
      const std::string& sm = sets[s].msgs.back();
      auto hs = mime::HeaderSection::parse(sm);
      auto sig = parse_signature(hs.fields()[0].value_raw);
      auto stripped = strip_b_value(hs.fields()[0].raw);
      std::string in;
      header_hash_input(sig->header_canon, hs, sig->signed_headers, *stripped, in);
      sets[s].header_inputs.push_back(in);
    }
  }
  std::printf(
      "DKIM verify benchmark: %zu messages per algorithm, %.0f bytes average, %d timed passes, 1 thread\n", n,
      static_cast<double>(total_bytes) / static_cast<double>(n), reps);
  std::printf("%-24s %-34s %12s %14s %10s\n", "algorithm", "verifier", "CPU us/msg", "msgs/s/core",
              "x floor");

  FakeClock clock(1700000000);
  int rc = 0;
  for (Set& s : sets) {
    // Floor: SHA-256 over every byte of the message + one EVP verify.
    auto pub_b64 = public_key_record_value(s.key);
    auto pub = parse_public_key(s.key.type, *dkim::base64_decode(*pub_b64));
    std::vector<std::string> sigs;
    for (const std::string& m : s.msgs) {
      auto hs = mime::HeaderSection::parse(m);
      sigs.push_back(parse_signature(hs.fields()[0].value_raw)->signature);
    }
    const EVP_MD* sha256 = EVP_sha256();
    unsigned char md[32];
    unsigned int mdlen = 0;
    size_t floor_ok = 0;
    double t0 = cpu_now();
    for (int r = 0; r < reps; ++r) {
      for (size_t i = 0; i < s.msgs.size(); ++i) {
        EVP_Digest(s.msgs[i].data(), s.msgs[i].size(), md, &mdlen, sha256, nullptr);
        auto ok = verify_data(*pub, s.alg, s.header_inputs[i], sigs[i]);
        floor_ok += ok && *ok;
      }
    }
    const double floor_us = (cpu_now() - t0) * 1e6 / static_cast<double>(reps * s.msgs.size());

    // rampart: parse only (no crypto).
    t0 = cpu_now();
    size_t parsed = 0;
    std::string in;
    for (int r = 0; r < reps; ++r) {
      for (const std::string& m : s.msgs) {
        auto hs = mime::HeaderSection::parse(m);
        for (const auto& f : hs.fields()) {
          if (!f.is("DKIM-Signature")) continue;
          auto sig = parse_signature(f.value_raw);
          auto stripped = strip_b_value(f.raw);
          auto key = parse_key_record(key_txt[&s - &sets[0]]);
          in.clear();
          header_hash_input(sig->header_canon, hs, sig->signed_headers, *stripped, in);
          parsed += sig && key ? 1 : 0;
        }
      }
    }
    const double parse_us = (cpu_now() - t0) * 1e6 / static_cast<double>(reps * s.msgs.size());

    // rampart: full verification, keys cached after the warm pass.
    Verifier v(dns, clock);
    size_t passed = 0;
    for (const std::string& m : s.msgs) {
      auto rs = v.verify_sync(m);
      passed += rs.size() == 1 && rs[0].result == Verdict::kPass;
    }
    t0 = cpu_now();
    for (int r = 0; r < reps; ++r)
      for (const std::string& m : s.msgs) v.verify(m, [](std::vector<SignatureResult>) {});
    const double us = (cpu_now() - t0) * 1e6 / static_cast<double>(reps * s.msgs.size());
    if (passed != s.msgs.size() || floor_ok != reps * s.msgs.size() || parsed != reps * s.msgs.size()) {
      std::fprintf(stderr, "dkim_bench: %s: %zu/%zu verified, floor %zu, parsed %zu\n", s.name.c_str(),
                   passed, s.msgs.size(), floor_ok, parsed);
      rc = 1;
    }
    std::printf("%-24s %-34s %12.2f %14.0f %10s\n", s.name.c_str(), "OpenSSL floor (SHA-256 + 1 verify)",
                floor_us, 1e6 / floor_us, "1.00");
    std::printf("%-24s %-34s %12.2f %14.0f %10.2f\n", s.name.c_str(), "rampart dkim::Verifier", us, 1e6 / us,
                us / floor_us);
    std::printf("%-24s %-34s %12.2f %14.0f %10.2f\n", s.name.c_str(), "rampart parse only (no crypto)",
                parse_us, 1e6 / parse_us, parse_us / floor_us);

    if (dkimpy) {
      namespace fs = std::filesystem;
      const fs::path d = fs::path(dir) / selectors[&s - &sets[0]];
      fs::remove_all(d);
      fs::create_directories(d);
      for (size_t i = 0; i < s.msgs.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%06zu.eml", i);
        std::ofstream(d / name, std::ios::binary) << s.msgs[i];
      }
      std::ofstream(fs::path(dir) / "keys.tsv") << keys_tsv;
      const int py_reps = reps > 2 ? 2 : reps;
      const std::string cmd = "/usr/bin/python3 " + std::string(RAMPART_SOURCE_DIR) +
                              "/bench/dkim_bench.py " + d.string() + " " +
                              (fs::path(dir) / "keys.tsv").string() + " " + std::to_string(py_reps) + " 2>&1";
      FILE* p = popen(cmd.c_str(), "r");
      std::string out;
      char buf[512];
      while (p && std::fgets(buf, sizeof buf, p)) out += buf;
      const int st = p ? pclose(p) : -1;
      double cpu = 0;
      size_t msgs = 0, ok = 0;
      if (st == 0 &&
          std::sscanf(out.c_str(), "dkimpy messages=%zu passed=%zu cpu_s=%lf", &msgs, &ok, &cpu) == 3 &&
          msgs > 0) {
        const double py_us = cpu * 1e6 / static_cast<double>(msgs);
        std::printf("%-24s %-34s %12.2f %14.0f %10.2f   (%zu/%zu pass)\n", s.name.c_str(),
                    "dkimpy 1.1.4 in process", py_us, 1e6 / py_us, py_us / floor_us, ok, s.msgs.size());
      } else {
        std::printf("%-24s %-34s %s\n", s.name.c_str(), "dkimpy", ("not run: " + out).c_str());
      }
    }
  }
  std::printf(
      "key cache: d2i/raw key parses happen once per key; CPU includes parsing, canonicalization, hashing\n");
  return rc;
}
