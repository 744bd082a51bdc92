// File: src/mime/message.h
// A whole Internet message: RFC 5322 headers, the MIME tree (RFC 2045-2049),
// and what a content filter reads from it: decoded text of each part (plain,
// or visible text of HTML) in UTF-8, attachments, URLs, defects.
//
//   std::string_view raw = ...;                    // must outlive `m`
//   mime::Message m = mime::Message::parse(raw);   // or parse(raw, limits)
//   m.subject();                                   // RFC 2047 decoded, UTF-8
//   for (const mime::TextPart& t : m.text_parts()) classify(t.text, t.html);
//   for (const mime::Attachment& a : m.attachments()) use(a.filename, a.content_type, a.size);
//   for (const mime::Url& u : m.urls()) lookup(u.host);
//   const mime::Part& root = m.root();             // root.headers is a HeaderSection
//   for (uint32_t c : root.children) m.parts()[c].content_type.mime_type();
//   std::string bytes = m.decode_body(m.parts()[3]);   // transfer decoding only
//   for (const mime::Defect& d : m.defects()) log(mime::defect_name(d.kind), d.offset);
//
// Structure: parts() holds every part in depth-first pre-order; parts()[0] is
// the message itself. A multipart's body is split at its delimiter lines
// (RFC 2046 5.1.1: "--" boundary at the start of a line, optional "--" to
// close, then only whitespace; the line break before a delimiter belongs to
// it), with preamble and epilogue kept. A nested part is split only inside
// its parent's range, so an outer delimiter always ends an inner part. A
// message/rfc822 (or message/global) part has one child, the encapsulated
// message; in multipart/digest a part without Content-Type is message/rfc822.
// Views (Part::raw, body, headers) point into `raw` -- zero-copy -- except
// under a message/rfc822 part that was base64/quoted-printable encoded, whose
// decoded bytes the Message owns (Part::in_decoded).
//
// Text: leaf parts of type text/plain and text/html (and multiparts read as
// text, below) that are not attachments (no "attachment" disposition, no
// file name) are decoded: transfer encoding, then charset (Content-Type
// charset, for HTML else <meta charset>) to UTF-8 (charset.h), line breaks
// made "\n", NULs removed; HTML goes through html_to_text. Other leaves are
// attachments, with their decoded size. URLs come from text (find_urls) and
// HTML links, normalised (url.h, IDNs as A-labels), de-duplicated, with the
// part they came from.
//
// What mail clients also show as attachments: uuencoded files inside plain
// text (uuencode.h; cut out of the text, listed with their names) and parts
// sent with Content-Transfer-Encoding x-uuencode; the files inside a TNEF
// part (application/ms-tnef, application/vnd.ms-tnef or winmail.dat; tnef.h),
// listed after the TNEF part itself. In a multipart/alternative the client
// shows the last alternative that holds text (RFC 2046 5.1.4); the others'
// text parts have shown = false. display_text() is that view.
//
// DIAGNOSTICS: parse() never fails and never throws. Everything odd becomes a
// Defect{kind, offset} (offset in `raw`; for parts inside a decoded buffer,
// the offset of the enclosing encoded part) and parsing goes on with the
// reading most mail software takes:
// - multipart without boundary, or no delimiter line in the body: the part is
//   a leaf read as text/plain (kMissingBoundary, kNoBoundaryFound);
// - no close delimiter: the last part runs to the end (kMissingCloseDelimiter);
// - invalid Content-Type: text/plain (kInvalidContentType); unknown transfer
//   encoding: read as 8bit, misspelt ones as what they spell (params.h);
//   base64/qp on a multipart: ignored (kMultipartEncoded);
// - a uuencoded file without "end" (kUuencodeUnterminated), a TNEF stream cut
//   short or not TNEF (kTnefMalformed), a URL host UTS #46 rejects
//   (kInvalidIdn): listed as far as they go;
// - bounds (MessageLimits): parts deeper than max_depth are leaves (kTooDeep);
//   after max_parts parts the rest of a multipart is dropped (kTooManyParts);
//   decoded text and decoded encapsulated messages together stop at
//   max_decoded_bytes (kDecodedTooLarge); at most max_urls URLs (kTooManyUrls);
//   at most max_defects defects stored (dropped_defects() counts the rest).
//   truncated() says whether any limit was hit.
// No recursion: an explicit stack drives the tree walk. Work is O(size x
// depth) for splitting (each level scans its own range once; depth <= 32)
// plus linear decoding; memory is bounded by the limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mime/decode.h"
#include "mime/header.h"
#include "mime/html.h"
#include "mime/params.h"
#include "mime/url.h"

namespace rampart::mime {

struct MessageLimits {
  HeaderLimits headers;  // for every header section (the message's and each part's)
  size_t max_depth = 32;
  size_t max_parts = 1000;
  size_t max_decoded_bytes = 16 * 1024 * 1024;
  size_t max_urls = 1000;
  size_t max_defects = 1000;
  bool extract_text = true;  // false: structure only (no decoding, no URLs)
};

constexpr uint32_t kNoParent = 0xFFFFFFFF;

enum class PartKind : uint8_t { kLeaf, kMultipart, kMessage };

struct Part {
  PartKind kind = PartKind::kLeaf;
  uint32_t parent = kNoParent;
  uint32_t depth = 0;              // 0 for the message itself
  std::vector<uint32_t> children;  // indexes into Message::parts()
  HeaderSection headers;           // field offsets are relative to `raw`
  std::string_view raw;            // headers and body of the part
  std::string_view body;           // the body, still transfer-encoded
  std::string_view preamble;       // multipart: before the first delimiter
  std::string_view epilogue;       // multipart: after the close delimiter
  size_t offset = 0;               // of `raw` in the message (see in_decoded)
  bool in_decoded = false;         // views point into a buffer the Message owns
  bool read_as_text = false;       // a multipart that could not be split: its body is text/plain
  ContentType content_type;        // text/plain when absent
  TransferEncoding encoding = TransferEncoding::k7Bit;
  ContentDisposition disposition;
  std::string filename;  // Content-Disposition filename, else Content-Type name; UTF-8

  bool is_attachment() const;
};

struct TextPart {
  uint32_t part = 0;         // index into Message::parts()
  bool html = false;         // text came from HTML
  bool alternative = false;  // inside a multipart/alternative
  bool shown = true;         // a mail client shows it (false: an alternative it passes over)
  std::string charset;       // charset used to decode
  std::string text;          // UTF-8, "\n" line breaks
  size_t hidden_bytes = 0;   // HTML hidden by style (html.h)
};

enum class AttachmentSource : uint8_t {
  kPart,      // a MIME leaf part
  kUuencode,  // a uuencoded file inside a text part (or an x-uuencode part)
  kTnef,      // a file inside a TNEF (winmail.dat) part
};

struct Attachment {
  uint32_t part = 0;  // the part it is, or that holds it (uuencode, TNEF)
  AttachmentSource source = AttachmentSource::kPart;
  std::string filename;      // UTF-8, may be empty
  std::string content_type;  // "type/subtype", lower-case
  size_t size = 0;           // decoded size in bytes
  bool inline_disposition = false;
  bool shown = true;  // false: inside an alternative a client passes over
};

class Message {
 public:
  static Message parse(std::string_view raw, const MessageLimits& limits = {});

  Message(Message&&) = default;
  Message& operator=(Message&&) = default;
  Message(const Message&) = delete;  // views may point into owned buffers
  Message& operator=(const Message&) = delete;

  std::string_view raw() const { return raw_; }
  const HeaderSection& headers() const { return parts_[0].headers; }
  const Part& root() const { return parts_[0]; }
  const std::vector<Part>& parts() const { return parts_; }
  const std::vector<TextPart>& text_parts() const { return text_parts_; }
  const std::vector<Attachment>& attachments() const { return attachments_; }
  const std::vector<Url>& urls() const { return urls_; }
  const std::vector<Defect>& defects() const { return defects_; }
  bool has_defect(DefectKind k) const;
  size_t dropped_defects() const { return dropped_defects_; }
  bool truncated() const { return truncated_; }
  size_t decoded_bytes() const { return decoded_bytes_; }

  // Decoded Subject (RFC 2047), "" when absent.
  std::string subject() const;
  // A part's body with its transfer encoding undone (no charset conversion).
  std::string decode_body(const Part& part, size_t max_out = kNoLimit) const;
  // What a mail client displays, as text: the shown text parts (one of each
  // multipart/alternative, HTML as its visible text), each ending in "\n",
  // then one line per shown attachment with a name, "[attachment: name]"
  // (its name, never its bytes). At most max_out bytes, cut on a UTF-8
  // boundary.
  std::string display_text(size_t max_out = kNoLimit) const;

 private:
  Message() = default;
  void add_defect(DefectKind k, size_t offset);
  void add_defects(DefectSet set, size_t offset);
  void build_tree(const MessageLimits& limits);
  void extract(const MessageLimits& limits);
  void list_tnef(const Part& p, uint32_t idx, const MessageLimits& limits);
  void mark_shown();

  std::string_view raw_;
  std::vector<Part> parts_;
  std::vector<TextPart> text_parts_;
  std::vector<Attachment> attachments_;
  std::vector<Url> urls_;
  std::vector<Defect> defects_;
  std::vector<std::unique_ptr<std::string>> buffers_;  // decoded encapsulated messages
  size_t max_defects_ = 1000;
  size_t dropped_defects_ = 0;
  size_t decoded_bytes_ = 0;
  bool truncated_ = false;
};

// Same as Message::parse.
inline Message parse(std::string_view raw, const MessageLimits& limits = {}) {
  return Message::parse(raw, limits);
}

// The body of a multipart split at its delimiter lines (RFC 2046 5.1.1).
struct MultipartSplit {
  std::vector<std::string_view> parts;
  std::string_view preamble;
  std::string_view epilogue;
  bool found = false;   // at least one delimiter line
  bool closed = false;  // a close delimiter was found
  bool cut = false;     // max_parts reached
};
MultipartSplit split_multipart(std::string_view body, std::string_view boundary, size_t max_parts);

}  // namespace rampart::mime
