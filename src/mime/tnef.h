// File: src/mime/tnef.h
// TNEF (Transport Neutral Encapsulation Format: winmail.dat,
// application/ms-tnef), as Outlook and Exchange send it: the names, types and
// sizes of the attachments inside, and the message class.
//
//   auto t = mime::parse_tnef(winmail_dat_bytes);
//   if (!t) log(t.error().message);            // "not a TNEF stream: ..."
//   for (const mime::TnefAttachment& a : t->attachments) list(a.name, a.mime_type, a.size);
//   if (!t->complete) log(t->problem);          // cut short: what was read is kept
//
// Format, from [MS-OXTNEF] (Microsoft Open Specifications) section 2.1.3: a
// 32-bit signature 0x223E9F78, a 16-bit legacy key, then attributes, each:
// level (1 byte: 1 message, 2 attachment), attribute ID (32 bits: type in the
// high half, ID in the low half), length (32 bits), data, checksum (16 bits,
// sum of the data bytes modulo 65536). All integers little-endian. Each
// attachment starts with attAttachRendData (ID 0x9002); attAttachTitle
// (0x8010) holds its 8-bit file name, attAttachData (0x800F) its bytes,
// attAttachment (0x9005) its MAPI properties: a 32-bit count, then per
// property a 16-bit type and 16-bit ID (named properties, ID >= 0x8000, add a
// 16-byte GUID, a 32-bit kind and a numeric ID or a length-prefixed UTF-16
// name), then the value: fixed types padded to 4 bytes (8 for 64-bit types,
// 16 for PT_CLSID); PT_STRING8, PT_UNICODE, PT_BINARY and PT_OBJECT, and every
// multi-valued type, a 32-bit count of values, each with a 32-bit length and
// its bytes padded to 4. Properties used: PidTagAttachLongFilename (0x3707),
// PidTagAttachFilename (0x3704), PidTagDisplayName (0x3001),
// PidTagAttachMimeTag (0x370E), PidTagAttachMethod (0x3705),
// PidTagAttachDataBinary / Object (0x3701). attOemCodepage (0x9007) gives the
// code page of 8-bit strings (default 1252).
//
// Names are UTF-8 (8-bit names through charset.h in the stream's code page,
// PT_UNICODE from UTF-16LE); the type is PidTagAttachMimeTag, else guessed
// from the extension (guess_mime_type), else application/octet-stream.
//
// DIAGNOSTICS: a stream without the signature is an error (Errc::kParse). Any
// other problem -- a length past the end, a property list that does not add
// up, an unknown property type, too many attachments -- stops reading and
// sets complete = false with `problem` saying what and at which offset; what
// was read before is kept. Bad checksums are counted, not fatal (some
// encoders get them wrong). Every length is checked against the bytes left
// before it is used; no recursion (embedded messages are listed, not opened);
// linear time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rampart::mime {

constexpr uint32_t kTnefSignature = 0x223E9F78;

struct TnefAttachment {
  std::string name;       // UTF-8; long file name, else 8.3 name / title, else display name
  std::string mime_type;  // lower-case "type/subtype"
  size_t size = 0;        // bytes of the attachment's data
  uint32_t method = 0;    // PidTagAttachMethod: 1 by value, 5 embedded message, 6 OLE (0: not given)
};

struct Tnef {
  std::string message_class;  // attMessageClass ("IPM.Note"), as written
  uint32_t codepage = 1252;   // attOemCodepage
  std::vector<TnefAttachment> attachments;
  size_t bad_checksums = 0;
  bool complete = true;
  std::string problem;  // when !complete
};

struct TnefLimits {
  size_t max_attachments = 256;
  size_t max_properties = 4096;  // per property list
};

Result<Tnef> parse_tnef(std::string_view data, const TnefLimits& limits = {});
// True when `data` starts with the TNEF signature.
bool is_tnef(std::string_view data);

// A MIME type for a file name's extension ("report.PDF" -> "application/pdf"),
// "application/octet-stream" when the extension is not in the table.
std::string_view guess_mime_type(std::string_view filename);

}  // namespace rampart::mime
