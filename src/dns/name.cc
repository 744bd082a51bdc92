#include "dns/name.h"

#include "core/strings.h"

namespace rampart::dns {

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name.size(), '\0');
  for (size_t i = 0; i < name.size(); ++i) out[i] = ascii_lower(name[i]);
  return out;
}

std::string_view normalize_into(std::string_view name, char* buf, size_t cap, bool* ok) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() > cap) {
    *ok = false;
    return {};
  }
  ascii_lower_copy(name.data(), name.size(), buf);
  *ok = true;
  return {buf, name.size()};
}

bool valid_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return true;
  if (name.size() > kMaxNameText) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (++label > kMaxLabel) {
      return false;
    }
  }
  return label != 0;
}

std::string_view parent_name(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return {};
  return name.substr(dot + 1);
}

}  // namespace rampart::dns
