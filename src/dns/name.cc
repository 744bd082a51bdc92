#include "dns/name.h"

#include "core/strings.h"

namespace rampart::dns {
namespace {

// True when the name needs no escape processing: no backslash, only
// octets that stand for themselves in canonical spelling.
bool plain(std::string_view name) {
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '\\') return false;
  }
  return true;
}

// Drops the one trailing dot of a fully qualified plain name; a name that
// ends in an empty label ("a..") keeps it, so it stays invalid.
std::string_view strip_root_dot(std::string_view name) {
  if (name.size() == 1 && name[0] == '.') return {};
  if (name.size() >= 2 && name.back() == '.' && name[name.size() - 2] != '.') name.remove_suffix(1);
  return name;
}

// Walks a presentation-form name: calls octet(c) for each label octet and
// dot() between labels. The trailing unescaped dot of a non-empty last label
// is dropped. A backslash that does not start a valid escape stands for
// itself.
template <typename Octet, typename Dot>
void walk(std::string_view name, Octet emit, Dot dot) {
  size_t n = name.size();
  bool label_empty = true;
  auto octet = [&](unsigned char c) {
    label_empty = false;
    emit(c);
  };
  for (size_t i = 0; i < n; ++i) {
    char c = name[i];
    if (c == '.') {
      if (i + 1 == n && !label_empty) return;  // trailing dot
      dot();
      label_empty = true;
      continue;
    } else if (c == '\\' && i + 1 < n) {
      if (i + 3 < n && is_digit(name[i + 1]) && is_digit(name[i + 2]) && is_digit(name[i + 3])) {
        unsigned v = unsigned(name[i + 1] - '0') * 100 + unsigned(name[i + 2] - '0') * 10 +
                     unsigned(name[i + 3] - '0');
        if (v <= 255) {
          octet(static_cast<unsigned char>(v));
          i += 3;
          continue;
        }
      }
      if (is_digit(name[i + 1])) {
        octet('\\');  // a bad \DDD: the backslash is an octet
        continue;
      }
      octet(static_cast<unsigned char>(name[i + 1]));
      ++i;
    } else {
      octet(static_cast<unsigned char>(c));
    }
  }
}

}  // namespace

void append_canonical_octet(std::string& out, unsigned char c) {
  if (c > 0x20 && c < 0x7F && c != '.' && c != '\\') {
    out.push_back(ascii_lower(static_cast<char>(c)));
    return;
  }
  out.push_back('\\');
  out.push_back(static_cast<char>('0' + c / 100));
  out.push_back(static_cast<char>('0' + (c / 10) % 10));
  out.push_back(static_cast<char>('0' + c % 10));
}

std::string normalize_name(std::string_view name) {
  if (plain(name)) {
    name = strip_root_dot(name);
    std::string out(name.size(), '\0');
    for (size_t i = 0; i < name.size(); ++i) out[i] = ascii_lower(name[i]);
    return out;
  }
  std::string out;
  out.reserve(name.size() + 8);
  walk(
      name, [&](unsigned char c) { append_canonical_octet(out, c); }, [&] { out.push_back('.'); });
  return out;
}

std::string_view normalize_into(std::string_view name, char* buf, size_t cap, bool* ok) {
  if (plain(name)) {
    name = strip_root_dot(name);
    if (name.size() > cap) {
      *ok = false;
      return {};
    }
    ascii_lower_copy(name.data(), name.size(), buf);
    *ok = true;
    return {buf, name.size()};
  }
  std::string out = normalize_name(name);
  if (out.size() > cap) {
    *ok = false;
    return {};
  }
  out.copy(buf, out.size());
  *ok = true;
  return {buf, out.size()};
}

bool valid_name(std::string_view name) {
  if (name.empty() || name == ".") return true;
  if (plain(name)) name = strip_root_dot(name);
  if (plain(name)) {
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
  return name_labels(name).has_value();
}

std::optional<std::vector<std::string>> name_labels(std::string_view name) {
  std::vector<std::string> labels;
  if (name.empty() || name == ".") return labels;
  labels.emplace_back();
  size_t total = 0;
  bool bad = false;
  walk(
      name,
      [&](unsigned char c) {
        labels.back().push_back(static_cast<char>(c));
        ++total;
      },
      [&] {
        if (labels.back().empty()) bad = true;
        labels.emplace_back();
        ++total;
      });
  if (bad || labels.back().empty() || total > kMaxNameText) return std::nullopt;
  for (const auto& l : labels)
    if (l.size() > kMaxLabel) return std::nullopt;
  return labels;
}

std::string text_to_name(std::string_view text) {
  if (text.find('\\') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 6);
  for (char c : text) {
    if (c == '\\')
      out += "\\092";
    else
      out.push_back(c);
  }
  return out;
}

std::string_view parent_name(std::string_view name) {
  // The first unescaped dot.
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;  // skips the escaped octet (or the first digit of \DDD: digits are never '.')
    } else if (name[i] == '.') {
      return name.substr(i + 1);
    }
  }
  return {};
}

}  // namespace rampart::dns
