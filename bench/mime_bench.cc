// File: bench/mime_bench.cc
// Message parsing throughput (src/mime/message.h) on realistic mail: 1,000
// generated messages of 1-10 KB, most multipart/alternative with quoted-
// printable text and HTML (some base64), some with an attachment, in UTF-8,
// ISO-8859-1, windows-1252, KOI8-R and Shift_JIS. Prints MB/s (bytes_per_second)
// and microseconds per message (us_per_msg).
//
//   build/bench/mime_bench                       # all
//   build/bench/mime_bench --benchmark_filter=Full
//
// Benchmarks: Full (Message::parse: tree, decoding, charsets, HTML, URLs),
// StructureOnly (extract_text = false: headers and MIME tree only),
// HeaderOnly (HeaderSection::parse), HtmlToText (the HTML bodies alone).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mime/header.h"
#include "mime/html.h"
#include "mime/message.h"

namespace rampart::mime {
namespace {

struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s);
  }
  uint32_t below(uint32_t n) { return next() % n; }
};

const char* kWords[] = {"offer",    "account",  "meeting", "invoice",  "schedule",   "please",  "review",
                        "attached", "discount", "limited", "today",    "report",     "project", "thanks",
                        "update",   "customer", "order",   "shipping", "newsletter", "weekly"};

std::string qp_line(Rng& r, size_t len, bool latin) {
  std::string s;
  while (s.size() < len) {
    s += kWords[r.below(20)];
    if (latin && r.below(6) == 0) s += "=E9";
    s += ' ';
  }
  return s + "=\r\n";
}

std::string base64(const std::string& in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t col = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? a[v & 63] : '=';
    if ((col += 4) >= 76) {
      out += "\r\n";
      col = 0;
    }
  }
  return out + "\r\n";
}

std::string make_message(Rng& r, int id) {
  const size_t target = 1000 + r.below(9000);
  const char* charsets[] = {"utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis"};
  const char* cs = charsets[r.below(5)];
  const bool latin = cs[0] == 'i' || cs[0] == 'w';
  std::string m;
  m += "Received: from mail" + std::to_string(id) + ".example.net (mail.example.net [192.0.2." +
       std::to_string(id % 250) + "])\r\n\tby mx.example.org with ESMTPS id abc" + std::to_string(id) +
       "\r\n\tfor <user@example.org>; Mon, 1 Jan 2024 10:00:00 +0000\r\n";
  m += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=sel;\r\n"
       "\th=from:to:subject:date; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
       "\tb=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/"
       "LbvaHut\r\n";
  m += "From: =?UTF-8?B?TmV3c2xldHRlciDinJM=?= <news@shop" + std::to_string(id % 50) + ".example>\r\n";
  m += "To: user@example.org\r\nSubject: =?iso-8859-1?q?Offre_sp=E9ciale_" + std::to_string(id) + "?=\r\n";
  m += "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <" + std::to_string(id) + "@example.net>\r\n";
  m += "MIME-Version: 1.0\r\n";
  const bool attach = r.below(4) == 0;
  const std::string outer = "----=_Part_" + std::to_string(id) + "_outer";
  const std::string alt = "----=_Part_" + std::to_string(id) + "_alt";
  if (attach) m += "Content-Type: multipart/mixed; boundary=\"" + outer + "\"\r\n\r\n--" + outer + "\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + alt + "\"\r\n\r\n";
  m += "--" + alt + "\r\nContent-Type: text/plain; charset=" + std::string(cs) +
       "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  const size_t text_len = target * 3 / 10;
  size_t start = m.size();
  while (m.size() - start < text_len) m += qp_line(r, 60 + r.below(12), latin);
  m += "See https://shop" + std::to_string(id % 50) + ".example/deal?id=" + std::to_string(id) + "\r\n";
  m += "--" + alt + "\r\nContent-Type: text/html; charset=" + std::string(cs) + "\r\n";
  std::string html = "<html><head><style>p{margin:0}</style></head><body><table width=\"600\"><tr><td>";
  while (html.size() < target * 4 / 10) {
    html += "<p style=\"font-family:Arial\">";
    for (int w = 0; w < 12; ++w) {
      html += kWords[r.below(20)];
      html += ' ';
    }
    if (r.below(3) == 0)
      html += "<a href=\"https://track.example.com/c?u=" + std::to_string(r.below(100000)) +
              "&amp;x=1\">more</a>";
    html += "&nbsp;&mdash;</p>\r\n";
  }
  html += "<img src=\"https://img.example.com/p.gif\" width=1 height=1></td></tr></table></body></html>\r\n";
  if (r.below(3) == 0) {
    m += "Content-Transfer-Encoding: base64\r\n\r\n" + base64(html);
  } else {
    m += "Content-Transfer-Encoding: 8bit\r\n\r\n" + html;
  }
  m += "--" + alt + "--\r\n";
  if (attach) {
    m += "--" + outer +
         "\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: "
         "base64\r\n\r\n";
    std::string blob;
    while (blob.size() < target / 4) blob += static_cast<char>(r.next());
    m += base64(blob) + "--" + outer + "--\r\n";
  }
  return m;
}

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> c = [] {
    std::vector<std::string> v;
    Rng r;
    for (int i = 0; i < 1000; ++i) v.push_back(make_message(r, i));
    return v;
  }();
  return c;
}

void report(benchmark::State& state, size_t bytes, size_t msgs) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["us_per_msg"] = benchmark::Counter(
      static_cast<double>(msgs) * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["msg_per_s"] = benchmark::Counter(static_cast<double>(msgs), benchmark::Counter::kIsRate);
}

void BM_Full(benchmark::State& state) {
  const auto& c = corpus();
  size_t i = 0, bytes = 0, msgs = 0, texts = 0;
  for (auto _ : state) {
    const std::string& raw = c[i++ % c.size()];
    Message m = Message::parse(raw);
    texts += m.text_parts().size();
    benchmark::DoNotOptimize(m.urls().data());
    bytes += raw.size();
    ++msgs;
  }
  report(state, bytes, msgs);
  state.counters["text_parts_per_msg"] = static_cast<double>(texts) / static_cast<double>(msgs);
}
BENCHMARK(BM_Full);

void BM_StructureOnly(benchmark::State& state) {
  const auto& c = corpus();
  MessageLimits lim;
  lim.extract_text = false;
  size_t i = 0, bytes = 0, msgs = 0;
  for (auto _ : state) {
    const std::string& raw = c[i++ % c.size()];
    Message m = Message::parse(raw, lim);
    benchmark::DoNotOptimize(m.parts().data());
    bytes += raw.size();
    ++msgs;
  }
  report(state, bytes, msgs);
}
BENCHMARK(BM_StructureOnly);

void BM_HeaderOnly(benchmark::State& state) {
  const auto& c = corpus();
  size_t i = 0, bytes = 0, msgs = 0;
  for (auto _ : state) {
    const std::string& raw = c[i++ % c.size()];
    HeaderSection h = HeaderSection::parse(raw);
    benchmark::DoNotOptimize(h.fields().data());
    bytes += raw.size();
    ++msgs;
  }
  report(state, bytes, msgs);
}
BENCHMARK(BM_HeaderOnly);

void BM_HtmlToText(benchmark::State& state) {
  std::vector<std::string> htmls;
  for (const std::string& raw : corpus()) {
    Message m = Message::parse(raw);
    for (const Part& p : m.parts())
      if (p.content_type.is("text", "html")) htmls.push_back(m.decode_body(p));
  }
  size_t i = 0, bytes = 0, msgs = 0;
  for (auto _ : state) {
    const std::string& h = htmls[i++ % htmls.size()];
    HtmlText t = html_to_text(h);
    benchmark::DoNotOptimize(t.text.data());
    bytes += h.size();
    ++msgs;
  }
  report(state, bytes, msgs);
}
BENCHMARK(BM_HtmlToText);

}  // namespace
}  // namespace rampart::mime

BENCHMARK_MAIN();
