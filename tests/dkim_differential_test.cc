// File: tests/dkim_differential_test.cc
// DKIM differential test (issue 12): rampart against dkimpy (Debian
// python3-dkim, tests/dkim_interop.py) and OpenDKIM 2.11 (`opendkim -t`)
// over 160 messages that tests/dkim_interop_gen.py generates from a fixed
// seed (multipart, base64, long and 8-bit lines, trailing blank and
// whitespace-only lines, whitespace runs, folded and duplicate headers, empty
// bodies, bodies without a final CRLF, bare LF), in both directions:
//   rampart signs  -> dkimpy verifies every signature, OpenDKIM verifies
//   dkimpy signs   -> rampart verifies
//   OpenDKIM signs -> rampart verifies (and dkimpy, for the disagreements)
// Every message is signed with both algorithms (rsa-sha256, ed25519-sha256)
// and the four canonicalizations for dkimpy; each message also has a plan
// (algorithm and canonicalization by index, i= on every 5th, l= on every
// 6th, a second signature on every 4th) used with every peer. Every result
// is asserted; the only disagreements allowed are those where RFC 6376 shows
// the peer wrong, quoted at opendkim_*() below. The matrix is printed.
//
//   DKIM_INTEROP_DIR=/path/not/world/writable ./dkim_differential_test   (from the source tree)
//
// Keys reach rampart through the production path, libunbound
// (dns::UnboundResolver) asking a real DNS server on 127.0.0.1
// (tests/support DnsTestServer, UDP and TCP, kernel-chosen port); dkimpy
// through its dnsfunc and OpenDKIM through TestPublicKeys (as
// tests/dkim_interop_test.cc does).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "auth/dkim/dkim.h"
#include "auth/dkim/test_util.h"
#include "core/strings.h"
#include "dns/unbound_resolver.h"
#include "dns/zone_file.h"
#include "support/dns_test_server.h"
#include "support/shell.h"

namespace rampart::dkim {
namespace {

namespace fs = std::filesystem;

constexpr int kSeed = 6376;
constexpr int kMessages = 160;

using rampart::testing::Proc;
using rampart::testing::run_cmd;

void write(const fs::path& p, const std::string& data) { rampart::testing::write_file(p, data); }

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  for (std::string_view l : rampart::split(s, '\n'))
    if (!l.empty()) out.emplace_back(l);
  return out;
}

bool opendkim_accepts(const fs::path& p) {
  for (fs::path cur = fs::absolute(p); !cur.empty(); cur = cur.parent_path()) {
    struct stat st {};
    if (::stat(cur.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) return false;
    if (cur == cur.root_path()) break;
  }
  return true;
}

fs::path work_dir() {
  const char* env = std::getenv("DKIM_INTEROP_DIR");
  fs::path want = env ? fs::path(env) : fs::current_path() / "build-dkim-differential";
  if (opendkim_accepts(want.parent_path())) return want;
  const std::string leaf = "rampart-dkim-differential-" + std::to_string(::getpid());
  const char* home = std::getenv("HOME");
  for (const char* base : {home, static_cast<const char*>("/run")})
    if (base && *base && opendkim_accepts(base) && ::access(base, W_OK) == 0) return fs::path(base) / leaf;
  return want;
}

const char* const kAlgs[] = {"rsa-sha256", "ed25519-sha256"};
const char* const kCanons[] = {"simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"};

Canon canon_part(const std::string& c, bool body) {
  const std::string part = body ? c.substr(c.find('/') + 1) : c.substr(0, c.find('/'));
  return part == "simple" ? Canon::kSimple : Canon::kRelaxed;
}

bool is_lf(const std::string& m) {
  const size_t lf = m.find('\n');
  return lf != std::string::npos && (lf == 0 || m[lf - 1] != '\r');
}

// The body (line ends read as CRLF) is non-empty and does not end in CRLF.
bool unterminated_body(const std::string& msg) {
  std::string crlf;
  std::string_view m = msg;
  if (to_crlf(msg, crlf)) m = crlf;
  const std::string_view body = mime::HeaderSection::parse(m).body();
  return !body.empty() && !(body.size() >= 2 && body.substr(body.size() - 2) == "\r\n");
}

// ---- Disagreements allowed, each where RFC 6376 shows the peer wrong.
//
// OpenDKIM 2.11 stops with "CRLF at end of body missing" (no signature made,
// none verified) when a relaxed body canonicalization meets a body that does
// not end in CRLF. RFC 6376 3.4.4 step b defines the result instead:
//   "Ignore all empty lines at the end of the message body. [...] If the
//    body is non-empty but does not end with a CRLF, a CRLF is added. (For
//    email, this is only possible when using extensions to SMTP or non-SMTP
//    transport mechanisms.)"
// (3.4.3 says the same for simple: "If there is no body or no trailing CRLF
// on the message body, a CRLF is added", and there OpenDKIM does add it.)
// One relaxed-body signature is enough: OpenDKIM then verifies none of the
// message's signatures.
bool opendkim_refuses(const std::string& msg, bool any_relaxed_body) {
  return any_relaxed_body && unterminated_body(msg);
}
// OpenDKIM 2.11 signs ed25519-sha256 with simple header canonicalization
// over a DKIM-Signature field other than the one it inserts, so its
// signature does not verify (dkimpy rejects it too, asserted below). RFC
// 6376 3.7: the hash covers "the DKIM-Signature header field that exists
// (verifying) or will be inserted (signing) in the message, with the value
// of the "b=" tag (including all surrounding whitespace) deleted".
bool opendkim_ed25519_simple_bug(const std::string& alg, const std::string& canon) {
  return alg == "ed25519-sha256" && canon.substr(0, canon.find('/')) == "simple";
}

// OpenDKIM, in -t test mode as in a milter, gets each header field as name
// and value with the whitespace after the colon removed and rebuilds it as
// "Name: value"; with simple header canonicalization it then hashes (and
// signs or verifies) a field other than the one in the message. RFC 6376
// 3.4.1: "Header fields MUST be presented to the signing or verification
// algorithm exactly as they are in the message being signed or verified. In
// particular, header field names MUST NOT be case folded and whitespace MUST
// NOT be changed." True when a field that `h` selects (bottom-up, 5.4.2)
// does not start its value with exactly one SP.
bool opendkim_rebuilds_fields(const std::string& msg, const std::string& header_canon,
                              const std::vector<std::string>& h) {
  if (header_canon != "simple") return false;
  std::string crlf;
  std::string_view m = msg;
  if (to_crlf(msg, crlf)) m = crlf;
  const mime::HeaderSection hs = mime::HeaderSection::parse(m);
  const HeaderIndex index(hs);
  std::map<std::string, size_t> used;
  for (const std::string& name : h) {
    const std::string lower = to_lower(name);
    const auto* pos = index.find(lower);
    size_t& n = used[lower];
    if (!pos || n >= pos->size()) continue;
    const std::string_view v = hs.fields()[(*pos)[pos->size() - 1 - n++]].value_raw;
    if (v.size() < 2 || v[0] != ' ' || v[1] == ' ' || v[1] == '\t' || v[1] == '\r' || v[1] == '\n')
      return true;
  }
  return false;
}
// OpenDKIM 2.11 with simple body canonicalization leaves out the CRLF that
// RFC 6376 3.4.3 adds to a body without one when the body is longer than
// its 4 KB read buffer (measured: 4,032 bytes get the CRLF, 5,002 do not):
//   "If there is no body or no trailing CRLF on the message body, a CRLF is
//    added."
bool opendkim_drops_final_crlf(const std::string& msg, const std::string& body_canon) {
  if (body_canon != "simple" || !unterminated_body(msg)) return false;
  std::string crlf;
  std::string_view m = msg;
  if (to_crlf(msg, crlf)) m = crlf;
  return mime::HeaderSection::parse(m).body().size() > 4096;
}

// The h= names of the topmost DKIM-Signature of `msg`.
std::vector<std::string> signed_names(const std::string& msg) {
  std::string crlf;
  std::string_view m = msg;
  if (to_crlf(msg, crlf)) m = crlf;
  const mime::HeaderSection hs = mime::HeaderSection::parse(m);
  const mime::HeaderField* f = hs.first("DKIM-Signature");
  if (!f) return {};
  auto sig = parse_signature(f->value_raw);
  return sig ? sig->signed_headers : std::vector<std::string>{};
}

struct Message {
  std::string name, features, bytes;
};

struct Plan {
  std::string alg, canon;
  std::string identity;  // i=, empty: none
  bool length = false;   // l=
  bool dual = false;     // a second signature: the other algorithm, the next canonicalization
  std::string alg2, canon2;
};

Plan plan_for(size_t i) {
  Plan p;
  p.alg = kAlgs[i % 2];
  p.canon = kCanons[(i / 2) % 4];
  if (i % 5 == 1) p.identity = "news@mail.example.com";
  p.length = i % 6 == 2;
  p.dual = i % 4 == 3;
  p.alg2 = kAlgs[(i + 1) % 2];
  p.canon2 = kCanons[(i / 2 + 1) % 4];
  return p;
}

struct Matrix {
  std::map<std::string, std::pair<int, int>> cells;  // label -> {as expected, total}
  void add(const std::string& key, bool ok) {
    auto& c = cells[key];
    c.first += ok ? 1 : 0;
    c.second += 1;
  }
};

class Differential : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = work_dir();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
    rsa_pem_ = testing::generate_pem(KeyType::kRsa, 2048);
    ed_pem_ = testing::generate_pem(KeyType::kEd25519);
    rsa_ = *load_private_key(rsa_pem_);
    ed_ = *load_private_key(ed_pem_);
    unsigned char seed[32];
    size_t n = sizeof seed;
    EVP_PKEY_get_raw_private_key(ed_.pkey.get(), seed, &n);
    write(dir_ / "rsa.pem", rsa_pem_);
    write(dir_ / "ed.pem", ed_pem_);
    write(dir_ / "ed.seed", base64_encode(std::string_view(reinterpret_cast<char*>(seed), n)) + "\n");
    for (const char* f : {"rsa.pem", "ed.pem", "ed.seed"})
      fs::permissions(dir_ / f, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    const std::string rsa_txt = testing::key_record(rsa_), ed_txt = testing::key_record(ed_);
    write(dir_ / "keys.tsv",
          "rsa._domainkey.example.com\t" + rsa_txt + "\ned._domainkey.example.com\t" + ed_txt + "\n");
    write(dir_ / "keys.opendkim",
          "rsa._domainkey.example.com " + rsa_txt + "\ned._domainkey.example.com " + ed_txt + "\n");
    write(dir_ / "verify.conf",
          "Mode v\nSyslog no\nTestPublicKeys " + (dir_ / "keys.opendkim").string() + "\n");
    // The keys as TXT records of 255-byte strings, served on 127.0.0.1.
    auto quoted = [](const std::string& t) {
      std::string q;
      for (size_t i = 0; i < t.size(); i += 255) q += " \"" + t.substr(i, 255) + "\"";
      return q;
    };
    auto zone = dns::parse_zone("rsa._domainkey.example.com. 300 IN TXT" + quoted(rsa_txt) +
                                "\ned._domainkey.example.com. 300 IN TXT" + quoted(ed_txt) + "\n");
    ASSERT_TRUE(zone) << zone.error().message;
    auto server = dns::DnsTestServer::start(std::move(*zone));
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    dns::UnboundOptions uo;
    uo.forwarders = {server_->forwarder()};
    auto resolver = dns::UnboundResolver::create(uo);
    ASSERT_TRUE(resolver) << resolver.error().message;
    dns_ = std::move(*resolver);

    Proc gen = run_cmd("/usr/bin/python3 tests/dkim_interop_gen.py " + std::to_string(kSeed) + " " +
                       std::to_string(kMessages) + " " + (dir_ / "gen").string() + " 2>&1");
    ASSERT_EQ(gen.rc, 0) << gen.out;
    for (const std::string& l : lines_of(testing::read_file((dir_ / "gen" / "manifest.tsv").string()))) {
      const size_t tab = l.find('\t');
      Message m;
      m.name = l.substr(0, tab);
      m.features = tab == std::string::npos ? "" : l.substr(tab + 1);
      m.bytes = testing::read_file((dir_ / "gen" / (m.name + ".eml")).string());
      messages_.push_back(std::move(m));
    }
  }
  static void TearDownTestSuite() {
    std::printf("\nDKIM differential matrix (as expected / total, %zu messages, seed %d):\n",
                messages_.size(), kSeed);
    for (const auto& [k, v] : matrix_.cells) std::printf("  %-72s %d/%d\n", k.c_str(), v.first, v.second);
    if (server_)
      std::printf(
          "  (rampart's key lookups went through libunbound: %zu UDP queries reached the DNS server on "
          "127.0.0.1, the rest from its cache)\n",
          server_->udp_queries());
    dns_.reset();
    server_.reset();
    if (dir_.filename().string().rfind("rampart-dkim-differential-", 0) == 0) fs::remove_all(dir_);
  }

  static std::vector<SignatureResult> rampart_verify(const std::string& msg) {
    SystemClock clock;
    Verifier v(*dns_, clock);
    return v.verify_sync(msg);
  }
  static const PrivateKey& key_for(const std::string& alg) { return alg == "rsa-sha256" ? rsa_ : ed_; }
  static std::string selector_for(const std::string& alg) { return alg == "rsa-sha256" ? "rsa" : "ed"; }

  // Runs dkimpy over `jobs` (tests/dkim_interop.py lines): one output line each.
  static std::vector<std::string> dkimpy(const std::string& jobs, const std::string& file) {
    write(dir_ / file, jobs);
    Proc py = run_cmd("/usr/bin/python3 tests/dkim_interop.py " + (dir_ / "keys.tsv").string() + " " +
                      (dir_ / file).string() + " 2>&1");
    EXPECT_EQ(py.rc, 0) << py.out;
    return lines_of(py.out);
  }

  static std::string rampart_sign(const std::string& msg, const std::string& alg, const std::string& canon,
                                  const std::string& identity = "", bool length = false) {
    SignOptions o;
    o.domain = "example.com";
    o.selector = selector_for(alg);
    o.header_canon = canon_part(canon, false);
    o.body_canon = canon_part(canon, true);
    o.identity = identity;
    o.body_length = length;
    o.timestamp = SystemClock().unix_seconds();
    o.eol = is_lf(msg) ? "\n" : "\r\n";
    auto f = sign(msg, key_for(alg), o);
    EXPECT_TRUE(f) << f.error().message;
    return f ? *f + msg : msg;
  }

  static inline fs::path dir_;
  static inline std::string rsa_pem_, ed_pem_;
  static inline PrivateKey rsa_, ed_;
  static inline std::unique_ptr<dns::DnsTestServer> server_;
  static inline std::unique_ptr<dns::UnboundResolver> dns_;
  static inline std::vector<Message> messages_;
  static inline Matrix matrix_;
};

TEST_F(Differential, GeneratedSetIsVaried) {
  ASSERT_EQ(messages_.size(), static_cast<size_t>(kMessages));
  std::map<std::string, int> seen;
  for (const Message& m : messages_)
    for (std::string_view f : rampart::split(m.features, ','))
      if (!f.empty()) ++seen[std::string(f)];
  for (const char* f : {"multipart", "base64", "long", "8bit", "trailing-blank", "trailing-ws", "ws-runs",
                        "folded", "dup-headers", "empty-body", "no-final-crlf", "bare-lf"})
    EXPECT_GE(seen[f], 5) << f;
}

// rampart signs: every message x both algorithms x four canonicalizations
// (dkimpy verifies each), and each message's plan (i=, l=, two signatures;
// dkimpy verifies every signature, OpenDKIM too, rampart too).
TEST_F(Differential, RampartSignsPeersVerify) {
  std::string jobs;
  std::vector<std::string> labels;
  for (const Message& m : messages_) {
    for (const char* alg : kAlgs) {
      for (const char* canon : kCanons) {
        const std::string file =
            (dir_ / ("r-" + m.name + "-" + alg + "-" + std::to_string(labels.size()) + ".eml")).string();
        write(file, rampart_sign(m.bytes, alg, canon));
        jobs += "verify\t" + file + "\n";
        labels.push_back(std::string(alg) + " " + canon + " " + m.name);
      }
    }
  }
  const auto out = dkimpy(jobs, "jobs-r-matrix.tsv");
  ASSERT_EQ(out.size(), labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(out[i], "pass") << "dkimpy on rampart-signed " << labels[i];
    auto parts = rampart::split(labels[i], ' ');
    matrix_.add("rampart -> dkimpy   " + std::string(parts[0]) + " " + std::string(parts[1]),
                out[i] == "pass");
  }

  // The plans.
  jobs.clear();
  std::vector<std::pair<size_t, std::string>> planned;  // message index, file
  for (size_t i = 0; i < messages_.size(); ++i) {
    const Plan p = plan_for(i);
    std::string signed_msg = rampart_sign(messages_[i].bytes, p.alg, p.canon, p.identity, p.length);
    if (p.dual) signed_msg = rampart_sign(signed_msg, p.alg2, p.canon2);
    const std::string file = (dir_ / ("rp-" + messages_[i].name + ".eml")).string();
    write(file, signed_msg);
    jobs += "verify-each\t" + file + "\n";
    planned.emplace_back(i, file);
    auto rs = rampart_verify(signed_msg);
    ASSERT_EQ(rs.size(), p.dual ? 2u : 1u) << messages_[i].name;
    for (const auto& r : rs) EXPECT_EQ(r.result, Verdict::kPass) << messages_[i].name << ": " << r.reason;
  }
  const auto each = dkimpy(jobs, "jobs-r-plan.tsv");
  ASSERT_EQ(each.size(), planned.size());
  for (size_t k = 0; k < planned.size(); ++k) {
    const size_t i = planned[k].first;
    const Plan p = plan_for(i);
    const std::string want = p.dual ? "pass pass" : "pass";
    EXPECT_EQ(each[k], want) << "dkimpy on rampart-signed plan " << messages_[i].name;
    const std::string kind = p.dual ? "two signatures" : !p.identity.empty() ? "i=" : p.length ? "l=" : "one";
    matrix_.add("rampart -> dkimpy   plan (" + kind + ")", each[k] == want);

    // OpenDKIM: one "dkim=pass" per verified signature in its A-R. Every
    // signature passes but those the RFC shows OpenDKIM wrong on.
    const std::string& file = planned[k].second;
    Proc od = run_cmd("opendkim -x " + (dir_ / "verify.conf").string() + " -vv -t " + file + " 2>&1");
    size_t passes = 0;
    for (size_t at = od.out.find("dkim=pass"); at != std::string::npos; at = od.out.find("dkim=pass", at + 1))
      ++passes;
    const std::string& msg = messages_[i].bytes;
    const std::vector<std::string> h = signed_names(testing::read_file(file));
    std::vector<std::pair<std::string, std::string>> sigs = {{p.alg, p.canon}};
    if (p.dual) sigs.emplace_back(p.alg2, p.canon2);
    size_t must_pass = 0;
    bool relaxed_body = false;
    std::string why;
    for (const auto& [alg, canon] : sigs) {
      const std::string hc = canon.substr(0, canon.find('/')), bc = canon.substr(canon.find('/') + 1);
      relaxed_body = relaxed_body || bc == "relaxed";
      if (opendkim_rebuilds_fields(msg, hc, h)) {
        why = "RFC 6376 3.4.1: header whitespace changed";
      } else if (opendkim_drops_final_crlf(msg, bc)) {
        why = "RFC 6376 3.4.3: final CRLF not added";
      } else {
        ++must_pass;
      }
    }
    if (opendkim_refuses(msg, relaxed_body)) {
      must_pass = 0;
      why = "RFC 6376 3.4.4: no final CRLF, relaxed body";
    }
    const bool ok = passes >= must_pass && passes <= sigs.size();
    EXPECT_TRUE(ok) << "opendkim verified " << passes << " of " << sigs.size() << " signatures, " << must_pass
                    << " expected, on " << file << "\n"
                    << od.out;
    if (must_pass < sigs.size()) {
      matrix_.add("rampart -> opendkim peer wrong (" + why + ")", ok);
    } else {
      matrix_.add("rampart -> opendkim plan (" + kind + ")", ok);
    }
  }
}

// dkimpy signs: every message x both algorithms x four canonicalizations,
// and each message's plan (i=, l=, a second signature); rampart verifies.
TEST_F(Differential, DkimpySignsRampartVerifies) {
  std::string jobs;
  struct Job {
    size_t msg;
    std::string label, out;
    int sigs;
  };
  std::vector<Job> done;
  for (size_t i = 0; i < messages_.size(); ++i) {
    const std::string in = (dir_ / "gen" / (messages_[i].name + ".eml")).string();
    for (const char* alg : kAlgs) {
      for (const char* canon : kCanons) {
        const std::string out = (dir_ / ("p-" + std::to_string(done.size()) + ".eml")).string();
        jobs += std::string("sign\t") + alg + "\t" + canon + "\texample.com\t" + selector_for(alg) + "\t" +
                (dir_ / (std::string(alg) == "rsa-sha256" ? "rsa.pem" : "ed.seed")).string() + "\t" + in +
                "\t" + out + "\n";
        done.push_back({i, std::string(alg) + " " + canon, out, 1});
      }
    }
    const Plan p = plan_for(i);
    const std::string out = (dir_ / ("pp-" + messages_[i].name + ".eml")).string();
    jobs += "sign\t" + p.alg + "\t" + p.canon + "\texample.com\t" + selector_for(p.alg) + "\t" +
            (dir_ / (p.alg == "rsa-sha256" ? "rsa.pem" : "ed.seed")).string() + "\t" + in + "\t" + out +
            "\t" + (p.identity.empty() ? "-" : p.identity) + "\t" + (p.length ? "1" : "0") + "\n";
    std::string kind = !p.identity.empty() ? "i=" : p.length ? "l=" : "one";
    if (p.dual) {
      const std::string out2 = (dir_ / ("pp2-" + messages_[i].name + ".eml")).string();
      jobs += "sign\t" + p.alg2 + "\t" + p.canon2 + "\texample.com\t" + selector_for(p.alg2) + "\t" +
              (dir_ / (p.alg2 == "rsa-sha256" ? "rsa.pem" : "ed.seed")).string() + "\t" + out + "\t" + out2 +
              "\n";
      done.push_back({i, "plan (" + kind + ", first of two)", out, 1});
      done.push_back({i, "plan (two signatures)", out2, 2});
    } else {
      done.push_back({i, "plan (" + kind + ")", out, 1});
    }
  }
  const auto lines = dkimpy(jobs, "jobs-p-sign.tsv");
  ASSERT_EQ(lines.size(), done.size());
  for (size_t k = 0; k < done.size(); ++k) {
    ASSERT_EQ(lines[k], "ok") << done[k].label << " " << messages_[done[k].msg].name;
    auto rs = rampart_verify(testing::read_file(done[k].out));
    bool pass = rs.size() == static_cast<size_t>(done[k].sigs);
    for (const auto& r : rs) pass = pass && r.result == Verdict::kPass;
    EXPECT_TRUE(pass) << "dkimpy-signed " << done[k].label << " " << messages_[done[k].msg].name << ": "
                      << (rs.empty() ? "no signature" : rs[0].reason);
    matrix_.add("dkimpy -> rampart   " + done[k].label, pass);
  }
}

// OpenDKIM signs (each message with its plan's algorithm and
// canonicalization); rampart verifies, dkimpy agrees with rampart.
TEST_F(Differential, OpendkimSignsRampartVerifies) {
  struct Signed {
    size_t msg;
    std::string alg, canon, file;
    bool rampart_pass;
    std::string why;  // an allowed disagreement: the RFC rule OpenDKIM breaks
  };
  std::vector<Signed> done;
  std::string jobs;
  for (size_t i = 0; i < messages_.size(); ++i) {
    const Plan p = plan_for(i);
    const fs::path in = dir_ / "gen" / (messages_[i].name + ".eml");
    const fs::path conf = dir_ / "sign.conf";
    write(conf, "Mode s\nSyslog no\nDomain example.com\nSelector " + selector_for(p.alg) + "\nKeyFile " +
                    (dir_ / (p.alg == "rsa-sha256" ? "rsa.pem" : "ed.pem")).string() + "\nCanonicalization " +
                    p.canon + "\nSignatureAlgorithm " + p.alg + "\n");
    Proc od = run_cmd("opendkim -x " + conf.string() + " -vvv -t " + in.string() + " 2>&1");
    const std::string tag = "hname='DKIM-Signature' hvalue='";
    const size_t at = od.out.find(tag);
    std::string value;
    if (at != std::string::npos) {
      const size_t e = od.out.find('\'', at + tag.size());
      if (e != std::string::npos) value = od.out.substr(at + tag.size(), e - at - tag.size());
    }
    const bool refuses = opendkim_refuses(messages_[i].bytes, canon_part(p.canon, true) == Canon::kRelaxed);
    if (refuses && value.empty()) {
      EXPECT_NE(od.out.find("CRLF at end of body missing"), std::string::npos) << od.out;
      matrix_.add("opendkim -> rampart peer wrong (RFC 6376 3.4.4: no final CRLF, relaxed body): refused",
                  true);
      continue;
    }
    ASSERT_FALSE(value.empty()) << "opendkim did not sign " << messages_[i].name << "\n" << od.out;
    const std::string eol = is_lf(messages_[i].bytes) ? "\n" : "\r\n";
    std::string field = "DKIM-Signature: ";
    for (char c : value) {
      if (c == '\n') {
        field += eol;
      } else {
        field.push_back(c);
      }
    }
    const std::string msg = field + eol + messages_[i].bytes;
    const std::string file = (dir_ / ("o-" + messages_[i].name + ".eml")).string();
    write(file, msg);
    jobs += "verify\t" + file + "\n";
    auto rs = rampart_verify(msg);
    const bool pass = rs.size() == 1 && rs[0].result == Verdict::kPass;
    std::string why;
    const std::string hc = p.canon.substr(0, p.canon.find('/')), bc = p.canon.substr(p.canon.find('/') + 1);
    if (refuses) {
      why = "RFC 6376 3.4.4: no final CRLF, relaxed body: signed another canonical form";
    } else if (opendkim_rebuilds_fields(messages_[i].bytes, hc, signed_names(msg))) {
      why = "RFC 6376 3.4.1: header whitespace changed";
    } else if (opendkim_drops_final_crlf(messages_[i].bytes, bc)) {
      why = "RFC 6376 3.4.3: final CRLF not added";
    } else if (opendkim_ed25519_simple_bug(p.alg, p.canon)) {
      why = "RFC 6376 3.7: ed25519 simple-header field not the one hashed";
    }
    done.push_back({i, p.alg, p.canon, file, pass, why});
    if (!why.empty()) continue;  // rampart must agree with dkimpy, checked below
    EXPECT_TRUE(pass) << "opendkim-signed " << messages_[i].name << " " << p.alg << " " << p.canon << ": "
                      << (rs.empty() ? "no signature" : rs[0].reason);
    matrix_.add("opendkim -> rampart " + p.alg + " " + p.canon, pass);
  }
  const auto lines = dkimpy(jobs, "jobs-o-verify.tsv");
  ASSERT_EQ(lines.size(), done.size());
  for (size_t k = 0; k < done.size(); ++k) {
    const Signed& d = done[k];
    EXPECT_EQ(d.rampart_pass, lines[k] == "pass") << "rampart and dkimpy disagree on OpenDKIM-signed "
                                                  << messages_[d.msg].name << " " << d.alg << " " << d.canon;
    if (!d.why.empty())
      matrix_.add("opendkim -> rampart peer wrong (" + d.why + "), dkimpy agrees with rampart",
                  d.rampart_pass == (lines[k] == "pass"));
    matrix_.add("opendkim -> dkimpy  (agreement with rampart)", d.rampart_pass == (lines[k] == "pass"));
  }
}

}  // namespace
}  // namespace rampart::dkim
