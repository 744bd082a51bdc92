// File: tests/support/spf_suite.h
// Reads the openspf conformance suites (rfc7208-tests.yml, rfc4408-tests.yml
// from Debian's python3-spf) into scenarios: the zone data as a dns::Zone plus
// the (name, type) pairs that must time out, and the test cases. The zone is
// what pyspf's testspf.py serves: SPF records are also served as TXT when the
// name has no TXT entry at all; "NONE" marks a type as present but empty;
// TIMEOUT makes every type the name does not list time out. The same
// scenarios feed the fake resolver (spf_conformance_test) and a real DNS
// server on loopback (spf_dns_conformance_test).
//
//   auto suite = testing::load_spf_suite(dir + "/rfc7208-tests.yml");  // Result<vector>
//   for (auto& sc : *suite) for (auto& tc : sc.cases) ...
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/ip.h"
#include "core/result.h"
#include "dns/name.h"
#include "dns/zone.h"

namespace rampart::testing {

struct SpfCase {
  std::string id, spec, host, helo, mailfrom, receiver;
  std::vector<std::string> results;        // any of these passes
  std::optional<std::string> explanation;  // when the suite names one
};

struct SpfScenario {
  std::string description;
  dns::Zone zone;
  std::set<std::pair<std::string, dns::RRType>> timeouts;
  std::vector<SpfCase> cases;
};

// YAML names and targets are raw text: only their dots have meaning.
inline std::string spf_suite_name(const std::string& text) { return dns::text_to_name(text); }

inline Result<void> load_spf_zone(const YAML::Node& zonedata, SpfScenario& sc) {
  using dns::Record;
  using dns::RRType;
  for (const auto& entry : zonedata) {
    const std::string name = spf_suite_name(entry.first.as<std::string>());
    bool has_txt = false, timeout = false;
    std::set<RRType> present;
    std::vector<Record> spf_as_txt;
    for (const auto& rr : entry.second) {
      if (rr.IsScalar() && rr.as<std::string>() == "TIMEOUT") {
        timeout = true;
        continue;
      }
      for (const auto& kv : rr) {
        const std::string type = kv.first.as<std::string>();
        const YAML::Node& v = kv.second;
        Record r;
        r.ttl = 300;
        if (type == "TXT" || type == "SPF") {
          dns::Txt txt;
          if (v.IsSequence()) {
            for (const auto& s : v) txt.strings.push_back(s.as<std::string>());
          } else {
            txt.strings.push_back(v.as<std::string>());
          }
          const RRType t = type == "TXT" ? RRType::TXT : RRType::SPF;
          if (t == RRType::TXT) has_txt = true;  // even "NONE": no TXT copied from SPF
          if (txt.strings.size() == 1 && txt.strings[0] == "NONE") continue;
          present.insert(t);
          r.type = t;
          r.data = txt;
          if (t == RRType::SPF) {
            Record copy = r;
            copy.type = RRType::TXT;
            spf_as_txt.push_back(copy);
          }
        } else if (type == "A" || type == "AAAA") {
          auto ip = IpAddress::parse(v.as<std::string>());
          if (!ip) return fail(Errc::kParse, "bad address at " + name + ": " + v.as<std::string>());
          r.type = type == "A" ? RRType::A : RRType::AAAA;
          r.data = *ip;
          present.insert(r.type);
        } else if (type == "MX") {
          dns::Mx mx;
          mx.preference = static_cast<uint16_t>(v[0].as<int>());
          mx.exchange = spf_suite_name(v[1].as<std::string>());
          r.type = RRType::MX;
          r.data = mx;
          present.insert(r.type);
        } else if (type == "PTR" || type == "CNAME") {
          r.type = type == "PTR" ? RRType::PTR : RRType::CNAME;
          r.data = spf_suite_name(v.as<std::string>());
          present.insert(r.type);
        } else {
          return fail(Errc::kParse, "unknown zonedata type " + type + " at " + name);
        }
        sc.zone.add(name, r);
      }
    }
    if (!has_txt) {
      for (auto& r : spf_as_txt) sc.zone.add(name, r);
      if (!spf_as_txt.empty()) present.insert(RRType::TXT);
    }
    if (timeout) {
      for (RRType t :
           {RRType::A, RRType::AAAA, RRType::MX, RRType::TXT, RRType::PTR, RRType::SPF, RRType::CNAME})
        if (!present.count(t)) sc.timeouts.emplace(name, t);
    }
  }
  return {};
}

inline Result<std::vector<SpfScenario>> load_spf_suite(const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAllFromFile(file);
  } catch (const std::exception& e) {
    return fail(Errc::kIo, "cannot read " + file + ": " + e.what());
  }
  std::vector<SpfScenario> out;
  try {
    for (const auto& doc : docs) {
      if (!doc["tests"]) continue;
      SpfScenario sc;
      sc.description = doc["description"].as<std::string>("");
      if (doc["zonedata"])
        if (auto z = load_spf_zone(doc["zonedata"], sc); !z) return tl::unexpected(z.error());
      for (const auto& t : doc["tests"]) {
        SpfCase c;
        const YAML::Node& tc = t.second;
        c.id = t.first.as<std::string>();
        c.spec = tc["spec"].as<std::string>("?");
        c.host = tc["host"].as<std::string>();
        c.helo = tc["helo"] ? tc["helo"].as<std::string>() : "";
        c.mailfrom = tc["mailfrom"] ? tc["mailfrom"].as<std::string>() : "";
        if (tc["receiver"]) c.receiver = tc["receiver"].as<std::string>();
        if (tc["result"].IsSequence()) {
          for (const auto& r : tc["result"]) c.results.push_back(r.as<std::string>());
        } else {
          c.results.push_back(tc["result"].as<std::string>());
        }
        if (tc["explanation"]) c.explanation = tc["explanation"].as<std::string>();
        sc.cases.push_back(std::move(c));
      }
      out.push_back(std::move(sc));
    }
  } catch (const std::exception& e) {
    return fail(Errc::kParse, file + ": " + e.what());
  }
  return out;
}

// Whether `result` (and `explanation`, when the case names one) is what the
// case allows; otherwise *why says what differs.
inline bool spf_case_passes(const SpfCase& c, const std::string& result, const std::string& explanation,
                            std::string* why) {
  bool ok = false;
  for (const auto& r : c.results) ok = ok || r == result;
  if (!ok) {
    *why = "result " + result + ", want";
    for (const auto& r : c.results) *why += " " + r;
    return false;
  }
  if (c.explanation && *c.explanation != explanation) {
    *why = "explanation '" + explanation + "', want '" + *c.explanation + "'";
    return false;
  }
  return true;
}

}  // namespace rampart::testing
