#include "core/config.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

namespace rampart {

struct Config::State {
  toml::table root;
  std::string source;
  std::set<std::string, std::less<>> consumed;  // dotted paths, "a.b[0].c" for arrays of tables
  std::vector<std::string> errors;
  toml::table effective;
  std::map<std::string, std::string, std::less<>> origin;  // overridden paths -> "--milter"
};

namespace {

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date/time";
    default: return "nothing";
  }
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  return std::string(a) + "." + std::string(b);
}

std::string position(const std::string& source, const toml::source_region& r) {
  std::string s = source;
  if (r.begin.line) s += ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  return s;
}

// The table at a dotted path of `root`, created as needed; null when a
// segment is something else.
toml::table* make_path(toml::table& root, std::string_view path) {
  toml::table* t = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string seg(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    auto* next = t->get(seg);
    if (!next) next = &t->insert_or_assign(seg, toml::table{}).first->second;
    t = next->as_table();
    if (!t) return nullptr;
  }
  return t;
}

std::pair<std::string_view, std::string_view> split_last(std::string_view path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, dot), path.substr(dot + 1)};
}

template <typename V>
void put_effective(toml::table& eff, std::string_view path, V&& v) {
  auto [parent, key] = split_last(path);
  if (toml::table* t = make_path(eff, parent)) t->insert_or_assign(std::string(key), std::forward<V>(v));
}

bool prefix_read(const std::set<std::string, std::less<>>& consumed, const std::string& path) {
  for (const char sep : {'.', '['}) {
    const std::string p = path + sep;
    auto it = consumed.lower_bound(p);
    if (it != consumed.end() && it->compare(0, p.size(), p) == 0) return true;
  }
  return false;
}

}  // namespace

Result<Config> Config::parse(std::string_view text, std::string_view source) {
  Config c;
  c.st_ = std::make_shared<State>();
  c.st_->source = std::string(source);
  try {
    c.st_->root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return fail(Errc::kConfig, msg.str());
  }
  return c;
}

Result<Config> Config::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Errc::kIo, "cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

const std::string& Config::source() const { return st_->source; }
const toml::table& Config::table() const { return st_->root; }

Section Config::section(std::string_view path) const {
  const toml::table* t = path.empty() ? &st_->root : st_->root.at_path(path).as_table();
  if (!path.empty() && !t && st_->root.at_path(path)) {
    auto [parent, key] = split_last(path);
    section(parent).invalid(key, "expected a table");
  }
  st_->consumed.insert(std::string(path));
  if (t) st_->consumed.erase(std::string(path));  // a present table is checked key by key
  return Section(*this, std::string(path), t, make_path(st_->effective, path));
}

bool Config::has(std::string_view path) const {
  st_->consumed.insert(std::string(path));
  return static_cast<bool>(st_->root.at_path(path));
}

namespace {
// Legacy getters: the node, or null (absent or of the wrong type: recorded).
const toml::node* typed(Config::State& st, std::string_view path, bool (toml::node::*is)() const noexcept,
                        std::string_view want) {
  st.consumed.insert(std::string(path));
  const toml::node* n = st.root.at_path(path).node();
  if (!n) return nullptr;
  if ((n->*is)()) return n;
  st.errors.push_back(position(st.source, n->source()) + ": " + std::string(path) + ": expected " +
                      std::string(want) + ", got " + std::string(type_name(*n)));
  return nullptr;
}
}  // namespace

int64_t Config::get_int(std::string_view path, int64_t dflt) const {
  const toml::node* n = typed(*st_, path, &toml::node::is_integer, "an integer");
  const int64_t v = n ? *n->value<int64_t>() : dflt;
  put_effective(st_->effective, path, v);
  return v;
}

double Config::get_double(std::string_view path, double dflt) const {
  const toml::node* n = typed(*st_, path, &toml::node::is_number, "a number");
  const double v = n ? *n->value<double>() : dflt;
  put_effective(st_->effective, path, v);
  return v;
}

bool Config::get_bool(std::string_view path, bool dflt) const {
  const toml::node* n = typed(*st_, path, &toml::node::is_boolean, "a boolean");
  const bool v = n ? *n->value<bool>() : dflt;
  put_effective(st_->effective, path, v);
  return v;
}

std::string Config::get_string(std::string_view path, std::string_view dflt) const {
  const toml::node* n = typed(*st_, path, &toml::node::is_string, "a string");
  std::string v = n ? *n->value<std::string>() : std::string(dflt);
  put_effective(st_->effective, path, v);
  return v;
}

std::vector<std::string> Config::get_strings(std::string_view path) const {
  std::vector<std::string> out;
  const toml::node* n = typed(*st_, path, &toml::node::is_array, "an array of strings");
  toml::array eff;
  if (n)
    for (auto& el : *n->as_array()) {
      if (auto s = el.value<std::string>()) {
        out.push_back(*s);
        eff.push_back(*s);
      } else {
        st_->errors.push_back(position(st_->source, el.source()) + ": " + std::string(path) +
                              ": expected strings, got " + std::string(type_name(el)));
      }
    }
  put_effective(st_->effective, path, std::move(eff));
  return out;
}

Result<std::string> Config::require_string(std::string_view path) const {
  st_->consumed.insert(std::string(path));
  auto node = st_->root.at_path(path);
  if (!node) return fail(Errc::kConfig, st_->source + ": missing key " + std::string(path));
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  return fail(Errc::kConfig, position(st_->source, node.node()->source()) + ": " + std::string(path) +
                                 ": expected a string");
}

Result<int64_t> Config::require_int(std::string_view path) const {
  st_->consumed.insert(std::string(path));
  auto node = st_->root.at_path(path);
  if (!node) return fail(Errc::kConfig, st_->source + ": missing key " + std::string(path));
  if (node.is_integer()) return *node.value<int64_t>();
  return fail(Errc::kConfig, position(st_->source, node.node()->source()) + ": " + std::string(path) +
                                 ": expected an integer");
}

void Config::set_string(std::string_view path, std::string_view value, std::string_view origin) {
  auto [parent, key] = split_last(path);
  if (toml::table* t = make_path(st_->root, parent))
    t->insert_or_assign(std::string(key), std::string(value));
  st_->origin[std::string(path)] = std::string(origin);
}

void Config::set_strings(std::string_view path, const std::vector<std::string>& values,
                         std::string_view origin) {
  toml::array arr;
  for (const auto& v : values) arr.push_back(v);
  auto [parent, key] = split_last(path);
  if (toml::table* t = make_path(st_->root, parent)) t->insert_or_assign(std::string(key), std::move(arr));
  st_->origin[std::string(path)] = std::string(origin);
}

size_t Config::error_count() const { return st_->errors.size(); }

Status Config::errors_since(size_t mark) const {
  if (st_->errors.size() <= mark) return {};
  std::string msg;
  for (size_t i = mark; i < st_->errors.size(); ++i) msg += (msg.empty() ? "" : "\n") + st_->errors[i];
  return fail(Errc::kConfig, msg);
}

Status Config::finish() const {
  std::vector<std::string> unknown;
  // Walks the file: a key is known when a reader read it (or something below it).
  auto walk = [&](auto& self, const toml::node& n, const std::string& path,
                  const toml::source_region& at) -> void {
    if (st_->consumed.count(path)) return;
    if (!prefix_read(st_->consumed, path)) {
      const char* what = n.is_table() || n.is_array_of_tables() ? ": unknown table" : ": unknown key";
      unknown.push_back(position(st_->source, at) + ": " + path + what);
      return;
    }
    if (const toml::table* t = n.as_table()) {
      for (const auto& [k, v] : *t) self(self, v, join(path, k.str()), k.source());
    } else if (n.is_array_of_tables()) {
      size_t i = 0;
      for (const auto& el : *n.as_array()) {
        self(self, el, path + "[" + std::to_string(i) + "]", el.source());
        ++i;
      }
    }
  };
  for (const auto& [k, v] : st_->root) walk(walk, v, std::string(k.str()), k.source());
  if (st_->errors.empty() && unknown.empty()) return {};
  std::string msg;
  for (const auto& e : st_->errors) msg += (msg.empty() ? "" : "\n") + e;
  for (const auto& e : unknown) msg += (msg.empty() ? "" : "\n") + e;
  return fail(Errc::kConfig, msg);
}

std::string Config::effective_toml() const {
  std::ostringstream os;
  os << toml::toml_formatter{st_->effective,
                             toml::toml_formatter::default_flags & ~toml::format_flags::indentation}
     << "\n";
  return os.str();
}

// ---------------------------------------------------------------- Section

std::string Section::key_path(std::string_view key) const { return join(path_, key); }

std::string Section::where(std::string_view key) const {
  const std::string kp = key_path(key);
  auto& st = *cfg_->st_;
  if (auto o = st.origin.find(kp); o != st.origin.end()) return o->second + " (" + kp + ")";
  if (tbl_) {
    if (auto it = tbl_->find(key); it != tbl_->end())
      return position(st.source, it->first.source()) + ": " + kp;
    return position(st.source, tbl_->source()) + ": " + kp;
  }
  return st.source + ": " + kp;
}

void Section::consume(std::string_view key) const { cfg_->st_->consumed.insert(key_path(key)); }

void Section::invalid(std::string_view key, std::string_view message) {
  cfg_->st_->errors.push_back(where(key) + ": " + std::string(message));
}

bool Section::has(std::string_view key) const {
  consume(key);
  return tbl_ && tbl_->contains(key);
}

std::vector<std::string> Section::keys() const {
  std::vector<std::string> out;
  if (!tbl_) return out;
  std::vector<std::pair<toml::source_position, std::string>> ks;
  for (const auto& [k, v] : *tbl_) ks.emplace_back(k.source().begin, std::string(k.str()));
  std::stable_sort(ks.begin(), ks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& k : ks) out.push_back(std::move(k.second));
  return out;
}

namespace {
const toml::node* lookup(const toml::table* t, std::string_view key) { return t ? t->get(key) : nullptr; }
}  // namespace

void Section::effective(std::string_view key, std::string_view value) {
  if (eff_) eff_->insert_or_assign(std::string(key), std::string(value));
}
void Section::effective(std::string_view key, double value) {
  if (eff_) eff_->insert_or_assign(std::string(key), value);
}
void Section::effective(std::string_view key, int64_t value) {
  if (eff_) eff_->insert_or_assign(std::string(key), value);
}
void Section::effective(std::string_view key, bool value) {
  if (eff_) eff_->insert_or_assign(std::string(key), value);
}

bool Section::boolean(std::string_view key, bool dflt) {
  consume(key);
  bool v = dflt;
  if (const toml::node* n = lookup(tbl_, key)) {
    if (n->is_boolean()) {
      v = *n->value<bool>();
    } else {
      invalid(key, "expected a boolean (true or false), got " + std::string(type_name(*n)));
    }
  }
  effective(key, v);
  return v;
}

namespace {
std::string num_text(int64_t v) { return std::to_string(v); }
std::string num_text(double v) {
  std::ostringstream m;
  m << v;
  return m.str();
}

// An integer or a number within [min, max] (NaN and infinities are out).
template <typename T>
T ranged(Section& s, const toml::node* n, std::string_view key, T dflt, T min, T max) {
  constexpr bool kInt = std::is_same_v<T, int64_t>;
  T v = dflt;
  if (n) {
    if (kInt ? !n->is_integer() : !n->is_number()) {
      s.invalid(key, std::string(kInt ? "expected an integer" : "expected a number") + ", got " +
                         std::string(type_name(*n)));
    } else if (const T x = *n->value<T>(); !(x >= min && x <= max)) {
      s.invalid(key, num_text(x) + " is out of range [" + num_text(min) + ", " + num_text(max) + "]");
    } else {
      v = x;
    }
  }
  s.effective(key, v);
  return v;
}
}  // namespace

int64_t Section::integer(std::string_view key, int64_t dflt, int64_t min, int64_t max) {
  consume(key);
  return ranged(*this, lookup(tbl_, key), key, dflt, min, max);
}

double Section::number(std::string_view key, double dflt, double min, double max) {
  consume(key);
  return ranged(*this, lookup(tbl_, key), key, dflt, min, max);
}

std::string Section::string(std::string_view key, std::string_view dflt) {
  consume(key);
  std::string v(dflt);
  if (const toml::node* n = lookup(tbl_, key)) {
    if (n->is_string()) {
      v = *n->value<std::string>();
    } else {
      invalid(key, "expected a string, got " + std::string(type_name(*n)));
    }
  }
  effective(key, v);
  return v;
}

std::string Section::choice(std::string_view key, std::string_view dflt,
                            std::initializer_list<std::string_view> allowed) {
  std::string v = string(key, dflt);
  for (auto a : allowed)
    if (a == v) return v;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  invalid(key, "\"" + v + "\" is not one of " + list);
  effective(key, dflt);
  return std::string(dflt);
}

std::vector<std::string> Section::strings(std::string_view key) {
  consume(key);
  std::vector<std::string> out;
  toml::array eff;
  if (const toml::node* n = lookup(tbl_, key)) {
    if (const toml::array* arr = n->as_array()) {
      for (const auto& el : *arr) {
        if (el.is_string()) {
          out.push_back(*el.value<std::string>());
          eff.push_back(out.back());
        } else {
          invalid(key, "expected an array of strings, found " + std::string(type_name(el)) + " in it");
        }
      }
    } else {
      invalid(key, "expected an array of strings, got " + std::string(type_name(*n)));
    }
  }
  if (eff_) eff_->insert_or_assign(std::string(key), std::move(eff));
  return out;
}

Section Section::table(std::string_view key) {
  consume(key);
  const toml::node* n = lookup(tbl_, key);
  const toml::table* t = n ? n->as_table() : nullptr;
  if (n && !t) invalid(key, "expected a table, got " + std::string(type_name(*n)));
  if (t) cfg_->st_->consumed.erase(key_path(key));  // checked key by key
  toml::table* eff = nullptr;
  if (eff_) {
    auto* e = eff_->get(key);
    if (!e || !e->is_table()) e = &eff_->insert_or_assign(std::string(key), toml::table{}).first->second;
    eff = e->as_table();
  }
  return Section(*cfg_, key_path(key), t, eff);
}

std::vector<Section> Section::tables(std::string_view key) {
  consume(key);
  std::vector<Section> out;
  const toml::node* n = lookup(tbl_, key);
  if (!n) return out;
  const toml::array* arr = n->as_array();
  if (!arr || !n->is_array_of_tables()) {
    if (!(arr && arr->empty())) invalid(key, "expected an array of tables ([[" + key_path(key) + "]])");
    return out;
  }
  cfg_->st_->consumed.erase(key_path(key));  // checked element by element
  toml::array* eff = nullptr;
  if (eff_) eff = eff_->insert_or_assign(std::string(key), toml::array{}).first->second.as_array();
  size_t i = 0;
  for (const auto& el : *arr) {
    toml::table* e = nullptr;
    if (eff) {
      eff->push_back(toml::table{});
      e = eff->back().as_table();
    }
    out.push_back(Section(*cfg_, key_path(key) + "[" + std::to_string(i++) + "]", el.as_table(), e));
  }
  return out;
}

}  // namespace rampart
