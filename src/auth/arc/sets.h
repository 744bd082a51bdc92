// File: src/auth/arc/sets.h
// Internal to src/auth/arc: the ARC fields of a header section grouped by
// instance, shared by the validator and the sealer.
//
//   ArcSets s = collect_sets(hs);
//   if (s.count == 0) -> no chain;  if (!s.error.empty()) -> structure failure
//   for (unsigned i = 1; i <= s.max_instance; ++i) s.slots[i].seal ...   // field indices
#pragma once

#include <array>
#include <string>
#include <vector>

#include "auth/arc/arc.h"
#include "mime/header.h"

namespace rampart::arc::detail {

struct Slot {
  std::vector<size_t> aar, ams, seal;  // indices into HeaderSection::fields()
  const std::vector<size_t>& of(FieldKind k) const {
    return k == FieldKind::kAar ? aar : (k == FieldKind::kAms ? ams : seal);
  }
  std::vector<size_t>& of(FieldKind k) {
    return k == FieldKind::kAar ? aar : (k == FieldKind::kAms ? ams : seal);
  }
};

struct ArcSets {
  std::vector<Slot> slots;  // slots[i] for instance i (slots[0] unused); size max_instance + 1
  unsigned max_instance = 0;
  size_t count = 0;   // ARC fields seen
  std::string error;  // the first field whose instance could not be read, or too many fields
};

ArcSets collect_sets(const mime::HeaderSection& hs);

std::string_view kind_name(FieldKind k);  // "ARC-Seal", ...

}  // namespace rampart::arc::detail
