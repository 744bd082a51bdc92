// File: src/dns/await.h
// Awaiting DNS answers from coroutines (core/task.h) over the asynchronous
// Resolver: the one place that bridges callbacks and co_await.
//
//   Task<Verdict> check(dns::Resolver& r, std::string name) {
//     dns::AnswerPtr a = co_await dns::Lookup(r, name, dns::RRType::TXT);
//     std::vector<dns::AnswerPtr> keys;
//     co_await dns::LookupAll(r, names, dns::RRType::TXT, keys);  // in parallel
//     ...
//   }
//
// Lookup completes without suspending when the resolver already has the
// answer (Resolver::lookup_now, a cache hit) or answers synchronously;
// otherwise the coroutine resumes from the resolver's callback. `name` (and
// `names`) must stay alive until the await completes: pass locals of the
// awaiting coroutine, never temporaries.
#pragma once

#include <coroutine>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.h"

namespace rampart::dns {

class Lookup {
 public:
  Lookup(Resolver& r, std::string_view name, RRType type) : resolver_(r), name_(name), type_(type) {}

  bool await_ready() {
    answer_ = resolver_.lookup_now(name_, type_);
    return answer_ != nullptr;
  }
  bool await_suspend(std::coroutine_handle<> h) {
    handle_ = h;
    resolver_.resolve(name_, type_, [this](AnswerPtr a) {
      answer_ = std::move(a);
      done_ = true;
      if (suspended_) handle_.resume();
    });
    if (done_) return false;  // answered inside resolve(): carry on without suspending
    suspended_ = true;
    return true;
  }
  AnswerPtr await_resume() noexcept { return std::move(answer_); }

 private:
  Resolver& resolver_;
  std::string_view name_;
  RRType type_;
  AnswerPtr answer_;
  std::coroutine_handle<> handle_;
  bool suspended_ = false;
  bool done_ = false;
};

// Starts one lookup per name at once; resumes when the last answer is in.
// answers[i] belongs to names[i].
class LookupAll {
 public:
  LookupAll(Resolver& r, const std::vector<std::string>& names, RRType type, std::vector<AnswerPtr>& answers)
      : resolver_(r), names_(names), type_(type), answers_(answers) {}

  bool await_ready() const noexcept { return names_.empty(); }
  bool await_suspend(std::coroutine_handle<> h) {
    handle_ = h;
    answers_.assign(names_.size(), nullptr);
    remaining_ = names_.size();
    for (size_t i = 0; i < names_.size(); ++i) {
      resolver_.resolve(names_[i], type_, [this, i](AnswerPtr a) {
        answers_[i] = std::move(a);
        if (--remaining_ == 0 && suspended_) handle_.resume();
      });
    }
    if (remaining_ == 0) return false;
    suspended_ = true;
    return true;
  }
  void await_resume() noexcept {}

 private:
  Resolver& resolver_;
  const std::vector<std::string>& names_;
  RRType type_;
  std::vector<AnswerPtr>& answers_;
  size_t remaining_ = 0;
  std::coroutine_handle<> handle_;
  bool suspended_ = false;
};

}  // namespace rampart::dns
