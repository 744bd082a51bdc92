#include "core/config.h"

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace rampart {

Result<Config> Config::parse(std::string_view text, std::string_view source) {
  Config c;
  try {
    c.table_ = std::make_shared<toml::table>(toml::parse(text, source));
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

bool Config::has(std::string_view path) const { return static_cast<bool>(table_->at_path(path)); }

int64_t Config::get_int(std::string_view path, int64_t dflt) const {
  return table_->at_path(path).value<int64_t>().value_or(dflt);
}

double Config::get_double(std::string_view path, double dflt) const {
  return table_->at_path(path).value<double>().value_or(dflt);
}

bool Config::get_bool(std::string_view path, bool dflt) const {
  return table_->at_path(path).value<bool>().value_or(dflt);
}

std::string Config::get_string(std::string_view path, std::string_view dflt) const {
  return table_->at_path(path).value<std::string>().value_or(std::string(dflt));
}

std::vector<std::string> Config::get_strings(std::string_view path) const {
  std::vector<std::string> out;
  if (auto* arr = table_->at_path(path).as_array())
    for (auto& el : *arr)
      if (auto s = el.value<std::string>()) out.push_back(*s);
  return out;
}

Result<std::string> Config::require_string(std::string_view path) const {
  auto node = table_->at_path(path);
  if (!node) return fail(Errc::kConfig, "missing key " + std::string(path));
  if (auto s = node.value<std::string>()) return *s;
  return fail(Errc::kConfig, "key " + std::string(path) + " must be a string");
}

Result<int64_t> Config::require_int(std::string_view path) const {
  auto node = table_->at_path(path);
  if (!node) return fail(Errc::kConfig, "missing key " + std::string(path));
  if (auto v = node.value<int64_t>()) return *v;
  return fail(Errc::kConfig, "key " + std::string(path) + " must be an integer");
}

}  // namespace rampart
