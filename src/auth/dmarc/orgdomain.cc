// orgdomain.cc — RFC 7489 3.2 Organizational Domains over libpsl.
#include "auth/dmarc/orgdomain.h"

#include <libpsl.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <vector>

#include "core/strings.h"
#include "mime/idna.h"

namespace rampart::dmarc {

struct PublicSuffixList::Ctx {
  psl_ctx_t* owned = nullptr;      // freed with psl_free
  const psl_ctx_t* ctx = nullptr;  // owned or psl_builtin()
  ~Ctx() {
    if (owned) psl_free(owned);
  }
};

namespace {

std::atomic<uint64_t> g_next_list{1};

// This thread's last answers, by hash of the name as asked: a slot holds the
// list's id, the name and its organizational domain.
struct OrgCache {
  static constexpr size_t kSlots = 512;
  static constexpr size_t kMaxName = 253;  // RFC 1035 2.3.4: longer names are not cached
  struct Slot {
    uint64_t list = 0;
    std::string name, org;
  };
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
  Slot& slot(std::string_view name) { return slots[std::hash<std::string_view>{}(name) % kSlots]; }
};

OrgCache& org_cache() {
  thread_local OrgCache cache;
  return cache;
}

}  // namespace

PublicSuffixList::PublicSuffixList(std::unique_ptr<Ctx> ctx, std::string source)
    : ctx_(std::move(ctx)), source_(std::move(source)), id_(g_next_list.fetch_add(1)) {}
PublicSuffixList::PublicSuffixList(PublicSuffixList&&) noexcept = default;
PublicSuffixList& PublicSuffixList::operator=(PublicSuffixList&&) noexcept = default;
PublicSuffixList::~PublicSuffixList() = default;

const PublicSuffixList& PublicSuffixList::system() {
  static const PublicSuffixList list = [] {
    auto c = std::make_unique<Ctx>();
    std::string source = std::string(kDebianPslPath);
    c->owned = psl_latest(source.c_str());
    c->ctx = c->owned;
    if (!c->ctx) {
      c->ctx = psl_builtin();
      source = c->ctx ? "builtin" : "none";
    }
    return PublicSuffixList(std::move(c), std::move(source));
  }();
  return list;
}

Result<PublicSuffixList> PublicSuffixList::from_file(const std::string& path) {
  auto c = std::make_unique<Ctx>();
  c->owned = psl_load_file(path.c_str());
  if (!c->owned) return fail(Errc::kIo, "cannot load public suffix list " + path);
  c->ctx = c->owned;
  return PublicSuffixList(std::move(c), path);
}

Result<PublicSuffixList> PublicSuffixList::from_text(std::string_view text) {
  std::string copy(text);
  FILE* fp = fmemopen(copy.data(), copy.size() ? copy.size() : 1, "r");
  if (!fp) return fail(Errc::kIo, "fmemopen failed");
  auto c = std::make_unique<Ctx>();
  c->owned = psl_load_fp(fp);
  std::fclose(fp);
  if (!c->owned) return fail(Errc::kParse, "invalid public suffix list");
  c->ctx = c->owned;
  return PublicSuffixList(std::move(c), "text");
}

bool PublicSuffixList::loaded() const { return ctx_ && ctx_->ctx; }

std::string normalize_domain(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  // RFC 8616 section 6: IDNs are compared and looked up as A-labels.
  if (auto a = mime::domain_to_ascii(domain)) return std::move(*a);
  return to_lower(domain);
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
  const bool cacheable = ctx_ && domain.size() <= OrgCache::kMaxName;
  OrgCache::Slot* slot = cacheable ? &org_cache().slot(domain) : nullptr;
  if (slot && slot->list == id_ && slot->name == domain) return slot->org;
  std::string org = organizational_domain_uncached(domain);
  if (slot) {
    slot->list = id_;
    slot->name.assign(domain);
    slot->org = org;
  }
  return org;
}

std::string PublicSuffixList::organizational_domain_uncached(std::string_view domain) const {
  std::string d = normalize_domain(domain);
  if (d.empty()) return d;
  if (d.find('\0') != std::string::npos) return d;
  if (loaded()) {
    const char* reg = psl_registrable_domain(ctx_->ctx, d.c_str());
    if (reg) return std::string(reg);
    return d;  // a public suffix itself (or unusable): its own org domain
  }
  // No list: the "*" rule alone -> last two labels.
  size_t last = d.rfind('.');
  if (last == std::string::npos || last == 0) return d;
  size_t prev = d.rfind('.', last - 1);
  return prev == std::string::npos ? d : d.substr(prev + 1);
}

bool PublicSuffixList::is_public_suffix(std::string_view domain) const {
  std::string d = normalize_domain(domain);
  if (d.empty() || d.find('\0') != std::string::npos) return false;
  if (loaded()) return psl_is_public_suffix2(ctx_->ctx, d.c_str(), PSL_TYPE_ANY) != 0;
  return d.find('.') == std::string::npos;
}

}  // namespace rampart::dmarc
