#include "dns/zone.h"

#include <algorithm>

#include "dns/name.h"

namespace rampart::dns {

void Zone::add(std::string_view name, Record record) {
  std::string n = normalize_name(name);
  if (auto* s = std::get_if<std::string>(&record.data)) *s = normalize_name(*s);
  if (auto* m = std::get_if<Mx>(&record.data)) m->exchange = normalize_name(m->exchange);
  Node& node = touch(std::move(n));
  if (node.spelling.empty()) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    node.spelling = std::string(name);
  }
  node.records.push_back(std::move(record));
  ++records_;
}

void Zone::set_soa(Soa s) {
  s.name = normalize_name(s.name);
  s.mname = normalize_name(s.mname);
  s.rname = normalize_name(s.rname);
  touch(s.name);
  soa = std::move(s);
}

Zone::Node& Zone::touch(std::string n) {
  auto [it, inserted] = nodes_.try_emplace(std::move(n));
  Node& result = it->second;  // element references survive rehashing, iterators do not
  if (inserted) {
    std::string_view p = it->first;
    while (!(p = parent_name(p)).empty()) {
      if (!nodes_.try_emplace(std::string(p)).second) break;  // its ancestors exist already
    }
  }
  return result;
}

const Zone::Node* Zone::node(std::string_view lower_name) const {
  auto it = nodes_.find(lower_name);
  return it == nodes_.end() ? nullptr : &it->second;
}

const std::vector<Record>* Zone::find(std::string_view name) const {
  const Node* n = node(normalize_name(name));
  return n && !n->records.empty() ? &n->records : nullptr;
}

bool Zone::exists(std::string_view name) const { return node(normalize_name(name)) != nullptr; }

std::vector<std::string> Zone::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : nodes_)
    if (!v.records.empty()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

const Zone::Node* Zone::match(std::string_view name, bool* exists) const {
  if (const Node* n = node(name)) {
    *exists = true;
    return n;
  }
  // RFC 4592 4.1: find the closest encloser, then its wildcard child.
  char buf[kMaxNameText + 3];
  std::string_view encloser = name;
  while (!encloser.empty()) {
    encloser = parent_name(encloser);
    if (encloser.empty() || node(encloser)) break;
  }
  if (encloser.size() + 2 > sizeof(buf)) {
    *exists = false;
    return nullptr;
  }
  buf[0] = '*';
  size_t len = 1;
  if (!encloser.empty()) {
    buf[1] = '.';
    encloser.copy(buf + 2, encloser.size());
    len = encloser.size() + 2;
  }
  const Node* w = node(std::string_view(buf, len));
  *exists = w != nullptr;
  return w;
}

const std::string& Zone::spelling(const std::string& key) const {
  const Node* n = node(key);
  return n && !n->spelling.empty() ? n->spelling : key;
}

ZoneLookup Zone::lookup(std::string_view name, RRType type) const {
  ZoneLookup out;
  std::string current = normalize_name(name);
  for (int hop = 0;; ++hop) {
    bool exists = false;
    const Node* n = match(current, &exists);
    if (!exists) {
      out.status = Status::kNxDomain;
      out.final_name = current;
      return out;
    }
    const Record* cname = nullptr;
    for (const Record& r : n->records) {
      if (r.type == type || type == RRType::ANY) out.records.push_back(r);
      if (r.type == RRType::CNAME) cname = &r;
    }
    if (!out.records.empty() || !cname || type == RRType::CNAME) {
      out.status = out.records.empty() ? Status::kNoData : Status::kOk;
      out.final_name = spelling(current);
      return out;
    }
    if (hop >= kMaxCnameChain) {
      out.status = Status::kServFail;
      out.error = "CNAME chain too long at " + current;
      return out;
    }
    const std::string& target = *cname->name();
    for (const auto& c : out.cnames) {
      if (normalize_name(c.name) == target) {
        out.status = Status::kServFail;
        out.error = "CNAME loop at " + target;
        return out;
      }
    }
    if (target == current) {
      out.status = Status::kServFail;
      out.error = "CNAME loop at " + target;
      return out;
    }
    out.cnames.push_back(ResourceRecord{spelling(current), *cname});
    current = target;
  }
}

}  // namespace rampart::dns
