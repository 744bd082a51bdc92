// File: src/auth/arc/seal.cc
// Sealing a message as an ARC intermediary (RFC 8617 5.1): the AAR from the
// intermediary's Authentication-Results, the AMS (a DKIM signature with i=
// and no v=), the AS over the ARC sets; see arc.h.
//
// The new fields follow the ValiMail signing suite's standard form: tags in
// alphabetical order, "; " between them, no other whitespace; folds are put
// only in place of the space after a ';', which relaxed canonicalization
// reads as that space, so the fields hash as if written on one line.
#include <openssl/err.h>

#include <string>
#include <vector>

#include "auth/arc/arc.h"
#include "auth/arc/sets.h"
#include "core/strings.h"

namespace rampart::arc {

namespace {

constexpr size_t kFoldAt = 78;

// Splits an Authentication-Results value at the ';' outside comments and
// quoted strings. Pieces have their line breaks removed and are trimmed.
std::vector<std::string> split_authres(std::string_view v) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  auto flush = [&] {
    out.emplace_back(trim(cur));
    cur.clear();
  };
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\r' || c == '\n') continue;
    if (quoted) {
      cur += c;
      if (c == '\\' && i + 1 < v.size()) {
        cur += v[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (depth > 0) {
      cur += c;
      if (c == '\\' && i + 1 < v.size()) {
        cur += v[++i];
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      }
      continue;
    }
    if (c == ';') {
      flush();
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '(') depth = 1;
    cur += c;
  }
  flush();
  return out;
}

// The authserv-id of a first A-R piece: its first token ("example.org 1 (c)").
std::string_view authserv_token(std::string_view piece) {
  size_t e = 0;
  while (e < piece.size() && !is_wsp(piece[e]) && piece[e] != '(') ++e;
  return piece.substr(0, e);
}

// The method keyword of a resinfo ("arc", "dkim" from "dkim/1=pass ...").
std::string_view method_of(std::string_view resinfo) {
  size_t e = 0;
  while (e < resinfo.size() && (is_alnum(resinfo[e]) || resinfo[e] == '-' || resinfo[e] == '_')) ++e;
  return resinfo.substr(0, e);
}

// The result keyword of a resinfo ("pass" from "arc = pass (x) ...").
std::string_view result_of(std::string_view resinfo) {
  const size_t eq = resinfo.find('=');
  if (eq == std::string_view::npos) return {};
  size_t b = eq + 1;
  while (b < resinfo.size() && is_wsp(resinfo[b])) ++b;
  size_t e = b;
  while (e < resinfo.size() && (is_alnum(resinfo[e]) || resinfo[e] == '-')) ++e;
  return resinfo.substr(b, e - b);
}

// The results of every Authentication-Results field of `authserv_id`, in
// message order (the suite's consolidation): "none" and empty pieces dropped.
std::vector<std::string> consolidated_results(const mime::HeaderSection& hs, std::string_view authserv_id) {
  std::vector<std::string> out;
  for (const mime::HeaderField& f : hs.fields()) {
    if (!f.is("Authentication-Results")) continue;
    std::vector<std::string> pieces = split_authres(f.value_raw);
    if (pieces.empty() || !iequals(authserv_token(pieces[0]), authserv_id)) continue;
    for (size_t i = 1; i < pieces.size(); ++i)
      if (!pieces[i].empty() && !iequals(pieces[i], "none")) out.push_back(std::move(pieces[i]));
  }
  return out;
}

bool valid_header_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n)
    if (static_cast<unsigned char>(c) <= 0x20 || c == ':' || c == ';' ||
        static_cast<unsigned char>(c) >= 0x7f)
      return false;
  return true;
}

// Joins "tag=value" pieces with "; ", folding in place of the space when the
// line would pass kFoldAt columns.
std::string join_tags(std::string_view name, const std::vector<std::string>& tags, const std::string& eol) {
  std::string f(name);
  f += ": ";
  size_t col = f.size();
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) {
      f += ';';
      ++col;
      if (col + 1 + tags[i].size() > kFoldAt) {
        f += eol;
        f += ' ';
        col = 1;
      } else {
        f += ' ';
        ++col;
      }
    }
    f += tags[i];
    col += tags[i].size();
  }
  return f;
}

// The field with b= filled: `tags` has "b=" at `b_index`.
Result<std::string> sign_field(std::string_view name, std::vector<std::string> tags, size_t b_index,
                               const dkim::PrivateKey& key, dkim::Algorithm alg,
                               const std::string& input_prefix, dkim::Canon canon, const std::string& eol,
                               const mime::HeaderSection* hs,
                               const std::vector<std::string>* signed_headers) {
  // Hash input: the prefix (AS: the ARC sets; AMS: the signed fields), then
  // this field with an empty b=, on one line (relaxed folds read as spaces).
  const std::string unsigned_field = join_tags(name, tags, "\r\n");
  std::string input = input_prefix;
  if (hs && signed_headers) {
    dkim::header_hash_input(canon, *hs, *signed_headers, unsigned_field, input);
  } else {
    dkim::canonicalize_header(canon, unsigned_field, input, /*crlf=*/false);
  }
  auto sig = dkim::sign_data(key, alg, input);
  ERR_clear_error();
  if (!sig) return tl::unexpected(sig.error());
  tags[b_index] = "b=" + dkim::base64_encode(*sig);
  return join_tags(name, tags, eol) + eol;
}

}  // namespace

std::optional<Cv> stamped_cv(std::string_view message, std::string_view authserv_id) {
  std::string crlf;
  if (dkim::to_crlf(message, crlf)) message = crlf;
  const mime::HeaderSection hs = mime::HeaderSection::parse(message);
  std::optional<Cv> cv;
  int found = 0;
  for (const std::string& r : consolidated_results(hs, authserv_id)) {
    if (!iequals(method_of(r), "arc")) continue;
    ++found;
    cv = parse_cv(result_of(r)).value_or(Cv::kFail);
  }
  if (found > 1) return Cv::kFail;
  return cv;
}

Result<SealOutput> seal(std::string_view message, const dkim::PrivateKey& key, const SealOptions& o, Cv cv) {
  if (!key.pkey) return fail(Errc::kInvalidArgument, "no signing key");
  if (cv == Cv::kTempError)
    return fail(Errc::kTemporary, "the chain could not be validated (temporary DNS failure): seal later");
  const std::string domain = to_lower(o.domain);
  if (!dkim::plausible_domain(domain))
    return fail(Errc::kInvalidArgument, "domain '" + o.domain + "' is not valid");
  if (!dkim::plausible_domain(o.selector))
    return fail(Errc::kInvalidArgument, "selector '" + o.selector + "' is not valid");
  if (o.authserv_id.empty()) return fail(Errc::kInvalidArgument, "an authserv-id is required");
  for (char c : o.authserv_id)
    if (static_cast<unsigned char>(c) <= 0x20 || c == ';' || c == '(' || c == '"' ||
        static_cast<unsigned char>(c) >= 0x7f)
      return fail(Errc::kInvalidArgument, "authserv-id '" + o.authserv_id + "' is not a token");
  if (o.eol != "\r\n" && o.eol != "\n") return fail(Errc::kInvalidArgument, "eol must be CRLF or LF");
  if (o.timestamp && *o.timestamp < 0) return fail(Errc::kInvalidArgument, "timestamp must not be negative");
  for (char c : o.authentication_results)
    if (c == '\r' || c == '\n' || c == '\0')
      return fail(Errc::kInvalidArgument, "authentication results must be one line");
  const dkim::Algorithm alg =
      key.type == dkim::KeyType::kEd25519 ? dkim::Algorithm::kEd25519Sha256 : dkim::Algorithm::kRsaSha256;

  std::string crlf;
  std::string_view msg = message;
  if (dkim::to_crlf(message, crlf)) msg = crlf;
  const mime::HeaderSection hs = mime::HeaderSection::parse(msg, dkim::unlimited_headers(msg));
  const auto& fields = hs.fields();

  std::vector<std::string> names;
  if (o.headers.empty()) {
    for (const std::string& h : dkim::default_signed_headers())
      if (hs.first(h)) names.push_back(h);
  } else {
    for (const std::string& h : o.headers) {
      std::string_view t = trim(h);
      if (t.empty()) continue;
      if (!valid_header_name(t)) return fail(Errc::kInvalidArgument, "header name '" + h + "' is not valid");
      names.push_back(to_lower(t));
      if (names.back() == "arc-seal")
        return fail(Errc::kInvalidArgument, "the AMS must not sign ARC-Seal (RFC 8617 4.1.2)");
    }
  }

  if (names.size() > dkim::kMaxSignedHeaders)
    return fail(Errc::kInvalidArgument, "more than " + std::to_string(dkim::kMaxSignedHeaders) +
                                            " header names (validators would not evaluate the AMS)");

  SealOutput out;
  const detail::ArcSets sets = detail::collect_sets(hs);
  const unsigned prev = sets.max_instance;
  if (prev > 0) {
    for (size_t idx : sets.slots[prev].seal) {
      auto tl = dkim::parse_tag_list(fields[idx].value_raw);
      const dkim::Tag* t = tl ? tl->find("cv") : nullptr;
      if (t && parse_cv(t->value) == Cv::kFail) {
        out.reason = "the chain already failed (ARC-Seal i=" + std::to_string(prev) +
                     " cv=fail): no set added (RFC 8617 5.1)";
        return out;
      }
    }
  }
  if (prev >= kMaxInstance) {
    out.reason = "the chain already has " + std::to_string(kMaxInstance) + " sets: no set added";
    return out;
  }
  const unsigned instance = prev + 1;
  if (instance == 1) {
    cv = Cv::kNone;
  } else if (cv == Cv::kNone) {
    return fail(Errc::kInvalidArgument,
                "cv=none with an existing chain of " + std::to_string(prev) + " sets");
  }
  out.instance = instance;
  out.cv = cv;
  const std::string inst = std::to_string(instance);

  // AAR: "i=N; authserv-id; results", one result a line.
  std::vector<std::string> results;
  if (!o.authentication_results.empty()) {
    for (std::string& r : split_authres(o.authentication_results))
      if (!r.empty()) results.push_back(std::move(r));
  } else {
    results = consolidated_results(hs, o.authserv_id);
  }
  bool has_arc = false;
  for (const std::string& r : results) has_arc = has_arc || iequals(method_of(r), "arc");
  if (!has_arc) results.insert(results.begin(), "arc=" + std::string(cv_name(cv)));
  out.aar = "ARC-Authentication-Results: i=" + inst + "; " + o.authserv_id;
  for (size_t i = 0; i < results.size(); ++i) {
    out.aar += i == 0 ? "; " : ";" + o.eol + "  ";
    out.aar += results[i];
  }
  out.aar += o.eol;

  // AMS over the message with the new AAR on top.
  std::string aar_crlf = out.aar;
  if (o.eol == "\n") dkim::to_crlf(out.aar, aar_crlf);
  const std::string with_aar = aar_crlf + std::string(msg);
  const mime::HeaderSection hs2 = mime::HeaderSection::parse(with_aar, dkim::unlimited_headers(with_aar));
  auto bh = dkim::body_hash(o.body_canon, dkim::algorithm_hash(alg), hs2.body());
  if (!bh) return tl::unexpected(bh.error());
  std::string h;
  for (size_t i = 0; i < names.size(); ++i) h += (i ? ":" : "") + names[i];
  std::vector<std::string> ams_tags = {"a=" + std::string(dkim::algorithm_name(alg)),
                                       "b=",
                                       "bh=" + dkim::base64_encode(bh->digest),
                                       "c=" + std::string(dkim::canon_name(o.header_canon)) + "/" +
                                           std::string(dkim::canon_name(o.body_canon)),
                                       "d=" + domain,
                                       "h=" + h,
                                       "i=" + inst,
                                       "s=" + o.selector};
  if (o.timestamp) ams_tags.push_back("t=" + std::to_string(*o.timestamp));
  auto ams = sign_field("ARC-Message-Signature", ams_tags, 1, key, alg, std::string(), o.header_canon, o.eol,
                        &hs2, &names);
  if (!ams) return tl::unexpected(ams.error());
  out.ams = std::move(*ams);

  // AS over the sets 1..N-1 (not when the chain failed: then only the new
  // set, RFC 8617 5.1.1), the new AAR and AMS, then itself.
  std::string input;
  if (cv != Cv::kFail) {
    for (unsigned j = 1; j < instance; ++j) {
      const detail::Slot& s = sets.slots[j];
      for (FieldKind k : {FieldKind::kAar, FieldKind::kAms, FieldKind::kSeal})
        if (!s.of(k).empty())
          dkim::canonicalize_header(dkim::Canon::kRelaxed, fields[s.of(k).front()].raw, input);
    }
  }
  std::string ams_crlf = out.ams;
  if (o.eol == "\n") dkim::to_crlf(out.ams, ams_crlf);
  dkim::canonicalize_header(dkim::Canon::kRelaxed, trim(aar_crlf), input);
  dkim::canonicalize_header(dkim::Canon::kRelaxed, trim(ams_crlf), input);
  std::vector<std::string> as_tags = {"a=" + std::string(dkim::algorithm_name(alg)),
                                      "b=",
                                      "cv=" + std::string(cv_name(cv)),
                                      "d=" + domain,
                                      "i=" + inst,
                                      "s=" + o.selector};
  if (o.timestamp) as_tags.push_back("t=" + std::to_string(*o.timestamp));
  auto as =
      sign_field("ARC-Seal", as_tags, 1, key, alg, input, dkim::Canon::kRelaxed, o.eol, nullptr, nullptr);
  if (!as) return tl::unexpected(as.error());
  out.seal = std::move(*as);
  out.added = true;
  return out;
}

}  // namespace rampart::arc
