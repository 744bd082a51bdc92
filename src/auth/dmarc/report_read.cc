// File: src/auth/dmarc/report_read.cc
// Reading aggregate reports: libxml2 for the XML, zlib for gzip, libzip for
// zip, src/mime for the report mail. See report_read.h for the rules.
#include "auth/dmarc/report_read.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <memory>
#include <mutex>

#include "core/json.h"
#include "core/strings.h"
#include "mime/message.h"

namespace rampart::dmarc {
namespace {

using Node = xmlNode;

std::string_view local_name(const Node* n) {
  return n->name ? std::string_view(reinterpret_cast<const char*>(n->name)) : std::string_view();
}

bool named(const Node* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && local_name(n) == name;
}

// The text directly inside an element (text and CDATA children), trimmed.
std::string text_of(const Node* n) {
  std::string out;
  for (const Node* c = n->children; c; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      out += reinterpret_cast<const char*>(c->content);
  }
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(" \t\r\n");
  return out.substr(first, last - first + 1);
}

template <typename F>
void each_child(const Node* n, F&& f) {
  for (const Node* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) f(c);
}

const Node* child(const Node* n, std::string_view name) {
  for (const Node* c = n->children; c; c = c->next)
    if (named(c, name)) return c;
  return nullptr;
}

std::string child_text(const Node* n, std::string_view name) {
  const Node* c = child(n, name);
  return c ? text_of(c) : std::string();
}

void warn(std::vector<std::string>* w, std::string msg) {
  if (w && w->size() < 1000) w->push_back(std::move(msg));
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Policy read_policy(std::string_view what, const std::string& v, std::vector<std::string>* w) {
  const std::string l = to_lower(v);
  if (l == "none") return Policy::kNone;
  if (l == "quarantine") return Policy::kQuarantine;
  if (l == "reject") return Policy::kReject;
  warn(w, std::string(what) + ": unknown policy \"" + v + "\", read as none");
  return Policy::kNone;
}

Alignment read_alignment(std::string_view what, const std::string& v, std::vector<std::string>* w) {
  const std::string l = to_lower(v);
  if (l == "s") return Alignment::kStrict;
  if (!l.empty() && l != "r") warn(w, std::string(what) + ": unknown alignment \"" + v + "\", read as r");
  return Alignment::kRelaxed;
}

AuthResult read_result(std::string_view what, const std::string& v, std::vector<std::string>* w) {
  if (auto r = parse_auth_result(v)) return *r;
  const std::string l = to_lower(v);
  // RFC 4408's words and common misspellings seen in reports.
  if (l == "unknown") return AuthResult::kPermError;
  if (l == "error") return AuthResult::kTempError;
  if (l == "hardfail") return AuthResult::kFail;
  if (!l.empty()) warn(w, std::string(what) + ": unknown result \"" + v + "\", read as none");
  return AuthResult::kNone;
}

OverrideType read_override(const std::string& v, std::vector<std::string>* w) {
  const std::string l = to_lower(v);
  for (auto t : {OverrideType::kForwarded, OverrideType::kSampledOut, OverrideType::kTrustedForwarder,
                 OverrideType::kMailingList, OverrideType::kLocalPolicy, OverrideType::kOther})
    if (override_name(t) == l) return t;
  warn(w, "reason: unknown type \"" + v + "\", read as other");
  return OverrideType::kOther;
}

void read_metadata(const Node* n, AggregateReport& r, std::vector<std::string>* w) {
  r.reporter.org_name = child_text(n, "org_name");
  r.reporter.email = child_text(n, "email");
  r.reporter.extra_contact_info = child_text(n, "extra_contact_info");
  std::string id = child_text(n, "report_id");
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  r.report_id = std::move(id);
  if (const Node* dr = child(n, "date_range")) {
    if (!parse_number(child_text(dr, "begin"), r.begin)) warn(w, "date_range: begin is not a number");
    if (!parse_number(child_text(dr, "end"), r.end)) warn(w, "date_range: end is not a number");
  } else {
    warn(w, "report_metadata: no date_range");
  }
  each_child(n, [&](const Node* c) {
    if (named(c, "error")) r.errors.push_back(text_of(c));
  });
}

void read_policy_published(const Node* n, AggregateReport& r, std::vector<std::string>* w) {
  PolicyPublished& p = r.policy;
  p.domain = to_lower(child_text(n, "domain"));
  p.adkim = read_alignment("adkim", child_text(n, "adkim"), w);
  p.aspf = read_alignment("aspf", child_text(n, "aspf"), w);
  p.p = read_policy("p", child_text(n, "p"), w);
  const std::string sp = child_text(n, "sp");
  p.sp = sp.empty() ? p.p : read_policy("sp", sp, w);
  const std::string pct = child_text(n, "pct");
  unsigned v = 100;
  if (!pct.empty() && (!parse_number(pct, v) || v > 100)) {
    warn(w, "pct: \"" + pct + "\" is not 0-100, read as 100");
    v = 100;
  }
  p.pct = v;
  const std::string fo = child_text(n, "fo");
  if (!fo.empty()) p.fo = fo;
}

// Returns false when the record cannot be used (no source IP or count).
bool read_record(const Node* n, AggregateRow& row, std::vector<std::string>* w) {
  const Node* rown = child(n, "row");
  if (!rown) {
    warn(w, "record without row: skipped");
    return false;
  }
  const std::string ip = child_text(rown, "source_ip");
  auto addr = IpAddress::parse(ip);
  if (!addr) {
    warn(w, "record: source_ip \"" + ip + "\" is not an IP address: skipped");
    return false;
  }
  row.source_ip = *addr;
  const std::string count = child_text(rown, "count");
  if (!parse_number(count, row.count)) {
    warn(w, "record from " + ip + ": count \"" + count + "\" is not a number: skipped");
    return false;
  }
  if (const Node* pe = child(rown, "policy_evaluated")) {
    row.disposition = read_policy("disposition", child_text(pe, "disposition"), w);
    row.dkim_pass = to_lower(child_text(pe, "dkim")) == "pass";
    row.spf_pass = to_lower(child_text(pe, "spf")) == "pass";
    each_child(pe, [&](const Node* c) {
      if (!named(c, "reason")) return;
      const std::string type = child_text(c, "type");
      if (type.empty()) {
        warn(w, "record from " + ip + ": empty reason ignored");
        return;
      }
      row.reasons.push_back({read_override(type, w), child_text(c, "comment")});
    });
  } else {
    warn(w, "record from " + ip + ": no policy_evaluated");
  }
  // "identities" is how some reporters misspell it.
  const Node* ids = child(n, "identifiers");
  if (!ids) ids = child(n, "identities");
  if (ids) {
    row.envelope_to = to_lower(child_text(ids, "envelope_to"));
    row.envelope_from = to_lower(child_text(ids, "envelope_from"));
    row.header_from = to_lower(child_text(ids, "header_from"));
  }
  if (const Node* ar = child(n, "auth_results")) {
    bool have_spf = false;
    each_child(ar, [&](const Node* c) {
      if (named(c, "dkim")) {
        DkimInput d;
        d.domain = to_lower(child_text(c, "domain"));
        d.selector = child_text(c, "selector");
        d.result = read_result("dkim", child_text(c, "result"), w);
        d.human_result = child_text(c, "human_result");
        row.dkim.push_back(std::move(d));
      } else if (named(c, "spf")) {
        if (have_spf) {
          warn(w, "record from " + ip + ": more than one spf result, the first kept");
          return;
        }
        have_spf = true;
        row.spf.domain = to_lower(child_text(c, "domain"));
        row.spf.scope = to_lower(child_text(c, "scope")) == "helo" ? SpfScope::kHelo : SpfScope::kMailFrom;
        row.spf.result = read_result("spf", child_text(c, "result"), w);
      }
    });
  }
  return true;
}

const Node* find_feedback(const Node* root) {
  // The root, or (for reports wrapped in another element) a child of it.
  if (!root) return nullptr;
  if (named(root, "feedback")) return root;
  for (const Node* c = root->children; c; c = c->next)
    if (named(c, "feedback")) return c;
  return nullptr;
}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && to_lower(s.substr(s.size() - suffix.size())) == suffix;
}

Result<std::string> gunzip(std::string_view in, size_t cap) {
  z_stream s{};
  if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) return fail(Errc::kInternal, "gzip: inflateInit2 failed");
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT_MAX));
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    rc = inflate(&s, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&s);
      // Z_BUF_ERROR with no input left: the stream was cut short.
      return fail(Errc::kParse, std::string("gzip: ") + (s.msg ? s.msg : "truncated stream"));
    }
    out.append(buf, sizeof buf - s.avail_out);
    if (out.size() > cap) {
      inflateEnd(&s);
      return fail(Errc::kLimit,
                  "gzip: report larger than " + std::to_string(cap) + " bytes once decompressed");
    }
  }
  // Bytes after the end of the stream (a CRLF some senders add) are ignored.
  inflateEnd(&s);
  return out;
}

Result<std::string> unzip(std::string_view in, size_t cap) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(in.data(), in.size(), 0, &err);
  if (!src) {
    zip_error_fini(&err);
    return fail(Errc::kInternal, "zip: cannot open buffer");
  }
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY, &err);
  if (!za) {
    std::string why = zip_error_strerror(&err);
    zip_source_free(src);
    zip_error_fini(&err);
    return fail(Errc::kParse, "zip: " + why);
  }
  zip_error_fini(&err);
  std::unique_ptr<zip_t, void (*)(zip_t*)> guard(za, [](zip_t* z) { zip_discard(z); });
  const zip_int64_t n = zip_get_num_entries(za, 0);
  if (n <= 0) return fail(Errc::kParse, "zip: no member");
  zip_uint64_t pick = 0;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(za, static_cast<zip_uint64_t>(i), 0);
    if (name && ends_with_ci(name, ".xml")) {
      pick = static_cast<zip_uint64_t>(i);
      break;
    }
  }
  zip_file_t* f = zip_fopen_index(za, pick, 0);
  if (!f) return fail(Errc::kParse, std::string("zip: ") + zip_strerror(za));
  std::string out;
  char buf[65536];
  for (;;) {
    const zip_int64_t got = zip_fread(f, buf, sizeof buf);
    if (got < 0) {
      std::string why = zip_file_strerror(f);
      zip_fclose(f);
      return fail(Errc::kParse, "zip: " + why);
    }
    if (got == 0) break;
    out.append(buf, static_cast<size_t>(got));
    if (out.size() > cap) {
      zip_fclose(f);
      return fail(Errc::kLimit,
                  "zip: report larger than " + std::to_string(cap) + " bytes once decompressed");
    }
  }
  zip_fclose(f);
  return out;
}

bool looks_like_xml(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  const auto i = s.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && s[i] == '<';
}

void append_kv(std::string& o, std::string_view k, std::string_view v, bool comma = true) {
  if (comma) o += ", ";
  append_json_string(o, k);
  o += ": ";
  append_json_string(o, v);
}

}  // namespace

Result<AggregateReport> parse_aggregate_xml(std::string_view xml, std::vector<std::string>* warnings,
                                            const ReadLimits& limits) {
  if (xml.size() > limits.max_xml_bytes || xml.size() > static_cast<size_t>(INT_MAX))
    return fail(Errc::kLimit, "report XML larger than " + std::to_string(limits.max_xml_bytes) + " bytes");
  init_libxml();
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return fail(Errc::kInternal, "libxml2: no parser context");
  // No XML_PARSE_NOENT (entities are not substituted) and no DTDLOAD: no XXE,
  // no expansion bombs. NONET: never a network fetch. RECOVER: read what a
  // broken report still holds.
  const int opts = XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "report.xml", nullptr, opts));
  if (!doc) return fail(Errc::kParse, "report is not XML");
  if (!ctxt->wellFormed) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string why = e && e->message ? e->message : "not well-formed";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    warn(warnings, "XML not well-formed (line " + std::to_string(e ? e->line : 0) + ": " + why +
                       "), read as far as it goes");
  }
  const Node* fb = find_feedback(xmlDocGetRootElement(doc.get()));
  if (!fb) return fail(Errc::kParse, "report has no <feedback> element");

  AggregateReport r;
  if (const Node* md = child(fb, "report_metadata"))
    read_metadata(md, r, warnings);
  else
    warn(warnings, "no report_metadata");
  if (const Node* pp = child(fb, "policy_published"))
    read_policy_published(pp, r, warnings);
  else
    warn(warnings, "no policy_published");
  size_t skipped = 0;
  each_child(fb, [&](const Node* c) {
    if (!named(c, "record")) return;
    if (r.rows.size() >= limits.max_records) {
      ++skipped;
      return;
    }
    AggregateRow row;
    if (read_record(c, row, warnings)) r.rows.push_back(std::move(row));
  });
  if (skipped)
    warn(warnings, std::to_string(skipped) + " records past the limit of " +
                       std::to_string(limits.max_records) + " not read");
  return r;
}

Result<std::string> unpack_report(std::string_view bytes, const ReadLimits& limits) {
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b)
    return gunzip(bytes, limits.max_xml_bytes);
  if (bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4)) return unzip(bytes, limits.max_xml_bytes);
  if (looks_like_xml(bytes)) {
    if (bytes.size() > limits.max_xml_bytes)
      return fail(Errc::kLimit, "report XML larger than " + std::to_string(limits.max_xml_bytes) + " bytes");
    return std::string(bytes);
  }
  return fail(Errc::kParse, "not a gzip, zip or XML report");
}

Result<std::vector<AggregateReport>> read_report_message(std::string_view message,
                                                         std::vector<std::string>* warnings,
                                                         const ReadLimits& limits) {
  mime::MessageLimits ml;
  ml.extract_text = false;
  const mime::Message m = mime::Message::parse(message, ml);
  std::vector<AggregateReport> out;
  std::string first_error;
  for (const mime::Part& p : m.parts()) {
    if (p.kind != mime::PartKind::kLeaf) continue;
    if (out.size() >= limits.max_attachments) {
      warn(warnings, "more than " + std::to_string(limits.max_attachments) + " reports in one message");
      break;
    }
    // Compressed reports are recognised by their bytes whatever the part is
    // labelled (application/octet-stream, or typed wrongly); XML in a text
    // part only when it is a report.
    const std::string body = m.decode_body(p, limits.max_attachment_bytes);
    auto xml = unpack_report(body, limits);
    if (!xml) {
      const std::string type = p.content_type.mime_type();
      const bool report_like = type.find("zip") != std::string::npos ||
                               type.find("xml") != std::string::npos || ends_with_ci(p.filename, ".gz") ||
                               ends_with_ci(p.filename, ".zip") || ends_with_ci(p.filename, ".xml");
      if (report_like) {
        warn(warnings, "attachment \"" + p.filename + "\": " + xml.error().message);
        if (first_error.empty()) first_error = xml.error().message;
      }
      continue;
    }
    if (xml->find("feedback") == std::string::npos) continue;  // some other XML
    auto rep = parse_aggregate_xml(*xml, warnings, limits);
    if (!rep) {
      warn(warnings, "attachment \"" + p.filename + "\": " + rep.error().message);
      if (first_error.empty()) first_error = rep.error().message;
      continue;
    }
    out.push_back(std::move(*rep));
  }
  if (out.empty())
    return fail(Errc::kParse, first_error.empty() ? "no aggregate report in the message"
                                                  : "no readable aggregate report: " + first_error);
  return out;
}

std::string aggregate_report_json(const AggregateReport& r) {
  std::string o = "{\"report_metadata\": {";
  append_kv(o, "org_name", r.reporter.org_name, false);
  append_kv(o, "email", r.reporter.email);
  append_kv(o, "extra_contact_info", r.reporter.extra_contact_info);
  append_kv(o, "report_id", r.report_id);
  o += ", \"begin\": " + std::to_string(r.begin) + ", \"end\": " + std::to_string(r.end) + ", \"errors\": [";
  for (size_t i = 0; i < r.errors.size(); ++i) {
    if (i) o += ", ";
    append_json_string(o, r.errors[i]);
  }
  o += "]}, \"policy_published\": {";
  append_kv(o, "domain", r.policy.domain, false);
  append_kv(o, "adkim", alignment_name(r.policy.adkim));
  append_kv(o, "aspf", alignment_name(r.policy.aspf));
  append_kv(o, "p", policy_name(r.policy.p));
  append_kv(o, "sp", policy_name(r.policy.sp));
  o += ", \"pct\": " + std::to_string(r.policy.pct);
  append_kv(o, "fo", r.policy.fo);
  o += "}, \"records\": [";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const AggregateRow& row = r.rows[i];
    if (i) o += ", ";
    o += "{";
    append_kv(o, "source_ip", row.source_ip.to_string(), false);
    o += ", \"count\": " + std::to_string(row.count);
    append_kv(o, "disposition", policy_name(row.disposition));
    append_kv(o, "dkim", row.dkim_pass ? "pass" : "fail");
    append_kv(o, "spf", row.spf_pass ? "pass" : "fail");
    o += ", \"reasons\": [";
    for (size_t j = 0; j < row.reasons.size(); ++j) {
      if (j) o += ", ";
      o += "{";
      append_kv(o, "type", override_name(row.reasons[j].type), false);
      append_kv(o, "comment", row.reasons[j].comment);
      o += "}";
    }
    o += "]";
    append_kv(o, "envelope_to", row.envelope_to);
    append_kv(o, "envelope_from", row.envelope_from);
    append_kv(o, "header_from", row.header_from);
    o += ", \"auth_results\": {\"dkim\": [";
    for (size_t j = 0; j < row.dkim.size(); ++j) {
      if (j) o += ", ";
      o += "{";
      append_kv(o, "domain", row.dkim[j].domain, false);
      append_kv(o, "selector", row.dkim[j].selector);
      append_kv(o, "result", auth_result_name(row.dkim[j].result));
      append_kv(o, "human_result", row.dkim[j].human_result);
      o += "}";
    }
    o += "], \"spf\": {";
    append_kv(o, "domain", row.spf.domain, false);
    append_kv(o, "scope", spf_scope_name(row.spf.scope));
    append_kv(o, "result", auth_result_name(row.spf.result));
    o += "}}}";
  }
  o += "]}";
  return o;
}

}  // namespace rampart::dmarc
