// File: src/auth/dmarc/report_read.h
// Reading DMARC aggregate reports (RFC 7489 section 7.2, appendix C) as
// providers really send them: a report mail with the XML as a gzip, zip or
// plain attachment (or as the whole body), read into the same
// AggregateReport that report.h writes.
//
//   std::vector<std::string> warnings;
//   auto reports = dmarc::read_report_message(raw_mail, &warnings);  // Result<vector<AggregateReport>>
//   auto one = dmarc::parse_aggregate_xml(xml, &warnings);             // Result<AggregateReport>
//   auto xml = dmarc::unpack_report(attachment_bytes);                 // gzip / zip / XML, by magic
//   std::string j = dmarc::aggregate_report_json(*one);                // for `rampart dmarc report`
//
// Tolerance (what real reports do, as parsedmarc's and Mail::DMARC's users
// report): any or no XML namespace (elements are matched by local name:
// appendix C's schema has none, DMARCbis has one, Microsoft's declares xsd
// and xsi); elements in any order; elements the schema does not know
// (DMARCbis np, testing, discovery_method) skipped; optional elements
// missing; empty reason/type elements; `<report_id>` in angle brackets;
// whitespace around values; gzip members followed by stray bytes (a CRLF
// after the stream); attachments typed application/octet-stream, or typed
// wrongly, recognised by their magic bytes; results outside the schema's
// words (SPF "unknown", "hardfail") mapped to the nearest result with a
// warning. XML that is not well-formed is read as far as libxml2's recovery
// goes, with a warning; XML without a <feedback> root is an error.
//
// Safety: libxml2 with no network (XML_PARSE_NONET), no DTD loading and no
// entity substitution (so no XXE and no entity expansion bombs); input and
// decompressed output capped (ReadLimits; a zip or gzip bomb stops at
// max_xml_bytes with kLimit); at most max_records rows read (the rest counted
// in a warning); at most max_attachments reports per message.
//
// DIAGNOSTICS: kParse for XML that yields no <feedback> element, a gzip or zip
// that does not decompress, a message without any report attachment; kLimit
// for a report larger than ReadLimits::max_xml_bytes once decompressed.
// Per-field problems (a bad IP, a count that is not a number, an unknown
// disposition) are warnings, and the row or field is skipped or defaulted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dmarc/report.h"
#include "core/result.h"

namespace rampart::dmarc {

struct ReadLimits {
  size_t max_xml_bytes = 64u << 20;         // one report's XML, decompressed
  size_t max_attachment_bytes = 64u << 20;  // one attachment, transfer-decoded (still compressed)
  size_t max_records = 1000000;             // <record> elements read per report
  size_t max_attachments = 16;              // reports read from one message
};

// XML text -> report. `warnings` (optional) collects what was tolerated.
Result<AggregateReport> parse_aggregate_xml(std::string_view xml,
                                            std::vector<std::string>* warnings = nullptr,
                                            const ReadLimits& limits = {});

// Attachment bytes (after transfer decoding) -> XML text: gzip (1f 8b), zip
// (PK\3\4: the first .xml member, else the first member) or XML as it is.
Result<std::string> unpack_report(std::string_view bytes, const ReadLimits& limits = {});

// A whole report mail (RFC 5322) -> every aggregate report attached to it.
Result<std::vector<AggregateReport>> read_report_message(std::string_view message,
                                                         std::vector<std::string>* warnings = nullptr,
                                                         const ReadLimits& limits = {});

// One report as a JSON object (metadata, policy_published, records).
std::string aggregate_report_json(const AggregateReport& r);

}  // namespace rampart::dmarc
