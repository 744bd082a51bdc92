// File: src/classify/model.cc
// Online learners, calibration and the model file (model.h).
#include "classify/model.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "classify/cues.h"
#include "classify/hash.h"
#include "core/strings.h"

namespace rampart::classify {

static_assert(std::endian::native == std::endian::little, "the model file is written little-endian");

std::string_view algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::kLogistic: return "lr";
    case Algorithm::kPassiveAggressive: return "pa";
    case Algorithm::kEnsemble: return "ens";
  }
  return "?";
}

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

template <class T>
void* HugePageAllocator<T>::huge_allocate(size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: without THP, small pages
#endif
  return p;
}

template <class T>
void HugePageAllocator<T>::huge_deallocate(void* p, size_t bytes) {
  if (bytes < kHugePage)
    ::operator delete(p);
  else
    std::free(p);
}

template struct HugePageAllocator<float>;
template struct HugePageAllocator<uint32_t>;

namespace {

bool parse_float(std::string_view v, float& out) {
  if (v.empty()) return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && std::isfinite(out);
}

}  // namespace

FeatureOptions default_feature_options(Channel channel) {
  FeatureOptions o;
  if (channel != Channel::kEmail) {
    o.ngram_min = 3;
    o.ngram_max = 5;
    o.raw_prefix = 0;
    o.text_prefix = 2000;
    o.max_text = 8192;
    o.shapes = true;
    o.stats = true;
  } else {
    o.text_prefix = 3000;
  }
  return o;
}

LearnerOptions default_learner_options(Channel channel) {
  LearnerOptions o;
  if (channel == Channel::kEmail) {
    o.adagrad = true;
    o.rate = 0.005f;
    o.thick = 0.05f;
  } else {
    // Short texts: a margin learner and a length-normalised logistic one,
    // averaged (README.md "SMS: the learner chosen on one half of the
    // corpus").
    o.algorithm = Algorithm::kEnsemble;
    o.c = 0.1f;
    o.rate = 16.0f;
    o.ppm = 2.0f;
    o.ppm_order = 3;
    o.prior = true;
  }
  return o;
}

Status parse_params(std::string_view spec, FeatureOptions& fopt, LearnerOptions& lopt) {
  std::string rest;
  if (auto st = parse_feature_options(spec, fopt, &rest); !st) return st;
  for (std::string_view item : split(rest, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    bool ok = true;
    if (k == "algo") {
      if (v == "lr")
        lopt.algorithm = Algorithm::kLogistic;
      else if (v == "pa")
        lopt.algorithm = Algorithm::kPassiveAggressive;
      else if (v == "ens")
        lopt.algorithm = Algorithm::kEnsemble;
      else
        ok = false;
    } else if (k == "rate")
      ok = parse_float(v, lopt.rate) && lopt.rate > 0;
    else if (k == "thick")
      ok = parse_float(v, lopt.thick) && lopt.thick >= 0 && lopt.thick < 1;
    else if (k == "c")
      ok = parse_float(v, lopt.c) && lopt.c > 0;
    else if (k == "threshold")
      ok = parse_float(v, lopt.threshold) && lopt.threshold >= 0 && lopt.threshold <= 1;
    else if (k == "reps") {
      uint32_t r = 0;
      auto [q, e] = std::from_chars(v.data(), v.data() + v.size(), r);
      ok = e == std::errc() && q == v.data() + v.size() && r >= 1 && r <= 16;
      lopt.reps = r;
    } else if (k == "target")
      ok = parse_float(v, lopt.target) && lopt.target > 0 && lopt.target < 1;
    else if (k == "norm")
      ok = (v == "0" || v == "1") && ((lopt.normalize = v == "1"), true);
    else if (k == "ppm")
      ok = parse_float(v, lopt.ppm) && lopt.ppm >= 0 && lopt.ppm <= 1000;
    else if (k == "ppm_order") {
      auto [q, e] = std::from_chars(v.data(), v.data() + v.size(), lopt.ppm_order);
      ok = e == std::errc() && q == v.data() + v.size() && lopt.ppm_order <= CharModel::kMaxOrder;
    } else if (k == "ppm_bits") {
      auto [q, e] = std::from_chars(v.data(), v.data() + v.size(), lopt.ppm_bits);
      ok = e == std::errc() && q == v.data() + v.size() && lopt.ppm_bits >= 10 && lopt.ppm_bits <= 26;
    } else if (k == "ppm_d")
      ok = parse_float(v, lopt.ppm_d) && lopt.ppm_d >= 0 && lopt.ppm_d < 1;
    else if (k == "prior") {
      // 0: none; W > 0: the cue prior at weight W.
      float pw = 0;
      ok = parse_float(v, pw) && pw >= 0 && pw <= 100;
      lopt.prior = ok && pw > 0;
      if (lopt.prior) lopt.prior_weight = pw;
    } else if (k == "ada")
      ok = (v == "0" || v == "1") && ((lopt.adagrad = v == "1"), true);
    else
      return fail(Errc::kInvalidArgument, "unknown parameter '" + std::string(k) + "'");
    if (!ok) return fail(Errc::kInvalidArgument, "bad value for '" + std::string(k) + "': " + std::string(v));
  }
  return {};
}

Result<Model> Model::create(Channel channel, const FeatureOptions& fopt, const LearnerOptions& lopt) {
  if (auto st = validate(fopt); !st) return tl::unexpected(st.error());
  if (lopt.algorithm == Algorithm::kEnsemble && (lopt.adagrad || lopt.normalize || lopt.reps != 1))
    return fail(Errc::kInvalidArgument, "algo=ens takes neither ada, norm nor reps");
  if ((lopt.ppm > 0 || lopt.prior) && lopt.algorithm != Algorithm::kEnsemble)
    return fail(Errc::kInvalidArgument, "ppm and prior need algo=ens");
  if (!(lopt.prior_weight > 0 && lopt.prior_weight <= 100))
    return fail(Errc::kInvalidArgument, "the prior's weight must be in (0, 100]");
  if (!(lopt.ppm >= 0 && lopt.ppm <= 1000) || lopt.ppm_order > CharModel::kMaxOrder || lopt.ppm_bits < 10 ||
      lopt.ppm_bits > 26)
    return fail(Errc::kInvalidArgument, "ppm must be in 0..1000, ppm_order in 0..6, ppm_bits in 10..26");
  if (!(lopt.ppm_d >= 0 && lopt.ppm_d < 1) || (lopt.ppm_d > 0 && !(lopt.ppm > 0)))
    return fail(Errc::kInvalidArgument, "ppm_d must be in [0, 1) and needs ppm > 0");
  Model m;
  m.channel_ = channel;
  m.fopt_ = fopt;
  m.lopt_ = lopt;
  m.size_ = size_t{1} << fopt.bits;
  m.stride_ = lopt.adagrad || lopt.algorithm == Algorithm::kEnsemble ? 2 : 1;
  m.w_.assign(m.size_ * m.stride_, 0.0f);
  if (lopt.ppm > 0) m.chars_ = CharModel(lopt.ppm_order, lopt.ppm_bits, lopt.ppm_d);
  return m;
}

Model::LinearSums Model::linear_sums(std::span<const uint32_t> features) const {
  const float* w = w_.data();
  const size_t mask = size_ - 1;
  LinearSums r;
  for (uint32_t i : features) {
    const float* p = w + 2 * (i & mask);
    r.s += p[0];
    r.l += p[1];
  }
  if (!features.empty()) r.n = static_cast<double>(features.size());
  return r;
}

double Model::linear_margin(std::span<const uint32_t> features) const {
  const LinearSums r = linear_sums(features);
  return (4.0 * r.s + r.l / std::sqrt(r.n)) / 2;
}

double Model::prior_margin(std::string_view text) const {
  if (!lopt_.prior) return 0;
  return cue_prior(text) * lopt_.prior_weight * 100.0 / (100.0 + static_cast<double>(hams_ + spams_));
}

double Model::margin(std::span<const uint32_t> features, std::string_view text) const {
  if (lopt_.algorithm == Algorithm::kEnsemble) {
    const double m = linear_margin(features) + prior_margin(text);
    return lopt_.ppm > 0 ? m + lopt_.ppm * chars_.log_ratio(text) : m;
  }
  const float* w = w_.data();
  const size_t mask = size_ - 1;
  float s = 0;
  if (stride_ == 2) {
    for (uint32_t i : features) s += w[2 * (i & mask)];
  } else {
    for (uint32_t i : features) s += w[i & mask];
  }
  if (lopt_.normalize && !features.empty()) return s / std::sqrt(static_cast<double>(features.size()));
  return s;
}

double Model::to_score(double m) const {
  if (lopt_.algorithm == Algorithm::kPassiveAggressive) m *= 4;  // margin 1 -> 0.98 (the ensemble: log-odds)
  if (m > 40) return 1.0;
  if (m < -40) return 0.0;
  return 1.0 / (1.0 + std::exp(-m));
}

Model::Members Model::members(std::span<const uint32_t> features, std::string_view text) const {
  Members parts;
  if (lopt_.algorithm != Algorithm::kEnsemble) {
    parts.pa = margin(features, text);
    return parts;
  }
  // linear_margin()'s sums split into its two halves.
  const LinearSums r = linear_sums(features);
  parts.pa = 2.0 * r.s;
  parts.lr = r.l / std::sqrt(r.n) / 2;
  parts.prior = prior_margin(text);
  if (lopt_.ppm > 0) parts.chars = lopt_.ppm * chars_.log_ratio(text);
  return parts;
}

void Model::learn(std::span<const uint32_t> features, bool spam, std::string_view text) {
  learn_scored(features, spam, margin(features, text), text);
}

void Model::learn_scored(std::span<const uint32_t> features, bool spam, double m, std::string_view text) {
  if (lopt_.ppm > 0) chars_.learn(text, spam);
  learn_weights(features, spam, m);
}

double Model::margin_then_learn(std::span<const uint32_t> features, bool spam, std::string_view text) {
  if (lopt_.algorithm != Algorithm::kEnsemble) {
    const double m = margin(features);
    learn_weights(features, spam, m);
    return m;
  }
  double m = linear_margin(features) + prior_margin(text);
  if (lopt_.ppm > 0) {
    m += lopt_.ppm * chars_.log_ratio(text, char_slots_);
    chars_.learn(text, spam, char_slots_);
  }
  learn_weights(features, spam, m);
  return m;
}

void Model::learn_weights(std::span<const uint32_t> features, bool spam, double m) {
  const double p = to_score(m);
  const size_t bin = std::min(kCalibrationBins - 1, static_cast<size_t>(p * kCalibrationBins));
  auto& hist = spam ? spam_hist_ : ham_hist_;
  if (hist[bin] != UINT32_MAX) ++hist[bin];
  ++(spam ? spams_ : hams_);
  float* w = w_.data();
  const size_t mask = size_ - 1;
  if (features.empty()) return;
  if (lopt_.algorithm == Algorithm::kEnsemble) return learn_ensemble(features, spam);
  const double x = lopt_.normalize ? 1.0 / std::sqrt(static_cast<double>(features.size())) : 1.0;
  float step = 0;
  if (lopt_.algorithm == Algorithm::kLogistic) {
    double g = (spam ? 1.0 : 0.0) - p;
    if (std::fabs(g) < lopt_.thick) return;
    step_logistic(features, g, x);
    for (uint32_t r = 1; r < lopt_.reps; ++r) {
      g = (spam ? 1.0 : 0.0) - to_score(margin(features));
      if (std::fabs(g) <= lopt_.target) break;
      step_logistic(features, g, x);
    }
    return;
  } else {
    const double y = spam ? 1.0 : -1.0;
    const double loss = 1.0 - y * m;
    if (loss <= 0) return;
    step = static_cast<float>(
        y * std::min<double>(lopt_.c, loss / (x * x * static_cast<double>(features.size()))) * x);
  }
  for (uint32_t i : features) w[i & mask] += step;
}

// Each half learns from its own margin: passive-aggressive (PA-I, binary
// features) when its margin is below 1, logistic (features worth
// 1/sqrt(n)) always. The two weights of a feature share a cache line.
void Model::learn_ensemble(std::span<const uint32_t> features, bool spam) {
  float* w = w_.data();
  const size_t mask = size_ - 1;
  float pa = 0, lr = 0;
  for (uint32_t i : features) {
    const float* p = w + 2 * (i & mask);
    pa += p[0];
    lr += p[1];
  }
  const double n = static_cast<double>(features.size());
  const double x = 1.0 / std::sqrt(n);
  const double y = spam ? 1.0 : -1.0;
  const double loss = 1.0 - y * pa;
  const float pa_step = loss > 0 ? static_cast<float>(y * std::min<double>(lopt_.c, loss / n)) : 0.0f;
  const double mlr = std::clamp(static_cast<double>(lr) * x, -40.0, 40.0);
  const double g = (spam ? 1.0 : 0.0) - 1.0 / (1.0 + std::exp(-mlr));
  const auto lr_step = static_cast<float>(lopt_.rate * g * x);
  for (uint32_t i : features) {
    float* p = w + 2 * (i & mask);
    p[0] += pa_step;
    p[1] += lr_step;
  }
}

void Model::step_logistic(std::span<const uint32_t> features, double g, double x) {
  float* w = w_.data();
  const size_t mask = size_ - 1;
  if (stride_ == 2) {
    const auto gx = static_cast<float>(g * x);
    const float gg = gx * gx, r = lopt_.rate * gx;
    for (uint32_t i : features) {
      float* p = w + 2 * (i & mask);
      p[1] += gg;
      p[0] += r / std::sqrt(1.0f + p[1]);
    }
    return;
  }
  const auto step = static_cast<float>(lopt_.rate * g * x);
  for (uint32_t i : features) w[i & mask] += step;
}

void Model::calibrate(double max_fpr) {
  uint64_t total = 0;
  for (uint32_t c : ham_hist_) total += c;
  if (total == 0) return;
  // Highest-scoring bins first: the lowest bin edge whose ham tail stays
  // within max_fpr.
  uint64_t tail = 0;
  size_t edge = kCalibrationBins;
  for (size_t b = kCalibrationBins; b-- > 0;) {
    if (static_cast<double>(tail + ham_hist_[b]) > max_fpr * static_cast<double>(total)) break;
    tail += ham_hist_[b];
    edge = b;
  }
  lopt_.threshold = static_cast<float>(std::min<double>(1.0, static_cast<double>(edge) / kCalibrationBins));
}

size_t Model::nonzero_weights() const {
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) n += w_[i * stride_] != 0.0f;
  return n;
}

// ---- the file ----

namespace {

class Writer {
 public:
  void bytes(const void* p, size_t n) { s_.append(static_cast<const char*>(p), n); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void f32(float v) { bytes(&v, 4); }
  std::string& str() { return s_; }

 private:
  std::string s_;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool bytes(void* p, size_t n) {
    if (n > s_.size() - pos_) return false;
    std::memcpy(p, s_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool u32(uint32_t& v) { return bytes(&v, 4); }
  bool u64(uint64_t& v) { return bytes(&v, 8); }
  bool f32(float& v) { return bytes(&v, 4); }
  size_t pos() const { return pos_; }
  void skip(size_t n) { pos_ += std::min(n, s_.size() - pos_); }
  size_t left() const { return s_.size() - pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

uint64_t checksum(std::string_view bytes) { return hash_bytes(bytes, 0x636b73756d, 0x72616d70617274ull); }

uint32_t flags_of(const FeatureOptions& o) {
  return (o.words ? 1u : 0u) | (o.bigrams ? 2u : 0u) | (o.headers ? 4u : 0u) | (o.urls ? 8u : 0u) |
         (o.structure ? 16u : 0u) | (o.shapes ? 32u : 0u) | (o.stats ? 64u : 0u);
}

Error corrupt(const std::string& why) { return Error{Errc::kParse, "model file refused: " + why}; }

}  // namespace

std::string Model::serialize() const {
  Writer w;
  w.bytes(kModelMagic, 8);
  w.u32(kModelVersion);
  w.u32(static_cast<uint32_t>(channel_));
  w.u32(static_cast<uint32_t>(lopt_.algorithm));
  w.f32(lopt_.rate);
  w.f32(lopt_.thick);
  w.f32(lopt_.c);
  w.f32(lopt_.threshold);
  // Flag 8: the prior's weight follows the character block (a file with
  // weight 1 is laid out as before it existed, and loads in older builds).
  const bool prior_weight = lopt_.prior && lopt_.prior_weight != 1.0f;
  // Flag 16: the character models' discount follows (after the prior's
  // weight, if any); a Witten-Bell file is laid out as before.
  const bool discount = lopt_.ppm > 0 && lopt_.ppm_d > 0;
  w.u32((lopt_.normalize ? 1u : 0u) | (lopt_.adagrad ? 2u : 0u) | (lopt_.prior ? 4u : 0u) |
        (prior_weight ? 8u : 0u) | (discount ? 16u : 0u));
  w.u32(lopt_.reps);
  w.f32(lopt_.target);
  w.u64(hams_);
  w.u64(spams_);
  w.u32(fopt_.bits);
  w.u64(fopt_.seed);
  for (uint32_t v :
       {fopt_.ngram_min, fopt_.ngram_max, fopt_.raw_prefix, fopt_.text_prefix, fopt_.max_text,
        fopt_.max_tokens, fopt_.max_token_len, fopt_.max_features, fopt_.max_message, flags_of(fopt_)})
    w.u32(v);
  for (uint32_t c : ham_hist_) w.u32(c);
  for (uint32_t c : spam_hist_) w.u32(c);
  w.u64(size_);
  w.str().reserve(w.str().size() + size_ * stride_ * sizeof(float) + 8);
  for (uint32_t k = 0; k < stride_; ++k)
    for (size_t i = 0; i < size_; ++i) w.f32(w_[i * stride_ + k]);
  if (lopt_.algorithm == Algorithm::kEnsemble) {
    // The ensemble's character-level models: weight, order, table bits (0:
    // none), the count pairs.
    w.f32(lopt_.ppm);
    w.u32(lopt_.ppm_order);
    w.u32(lopt_.ppm > 0 ? chars_.bits() : 0);
    if (lopt_.ppm > 0) w.bytes(chars_.table().data(), chars_.table().size() * sizeof(uint32_t));
  }
  if (prior_weight) w.f32(lopt_.prior_weight);
  if (discount) w.f32(lopt_.ppm_d);
  w.u64(checksum(w.str()));
  return std::move(w.str());
}

Result<Model> Model::deserialize(std::string_view bytes) {
  if (bytes.size() < 16)
    return tl::unexpected(corrupt("too short (" + std::to_string(bytes.size()) + " bytes)"));
  if (std::memcmp(bytes.data(), kModelMagic, 8) != 0)
    return tl::unexpected(corrupt("not a rampart classifier model (bad magic)"));
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  if (version != kModelVersion)
    return tl::unexpected(corrupt("version " + std::to_string(version) + ", this build reads version " +
                                  std::to_string(kModelVersion)));
  if (bytes.size() < 24) return tl::unexpected(corrupt("truncated"));
  uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (sum != checksum(bytes.substr(0, bytes.size() - 8)))
    return tl::unexpected(corrupt("checksum mismatch (corrupt or truncated)"));

  Reader r(bytes.substr(0, bytes.size() - 8));
  char magic[8];
  Model m;
  uint32_t channel = 0, algo = 0, flags = 0, lflags = 0;
  bool ok = r.bytes(magic, 8) && r.u32(version) && r.u32(channel) && r.u32(algo) && r.f32(m.lopt_.rate) &&
            r.f32(m.lopt_.thick) && r.f32(m.lopt_.c) && r.f32(m.lopt_.threshold) && r.u32(lflags) &&
            r.u32(m.lopt_.reps) && r.f32(m.lopt_.target) && r.u64(m.hams_) && r.u64(m.spams_) &&
            r.u32(m.fopt_.bits) && r.u64(m.fopt_.seed);
  FeatureOptions& f = m.fopt_;
  for (uint32_t* v : {&f.ngram_min, &f.ngram_max, &f.raw_prefix, &f.text_prefix, &f.max_text, &f.max_tokens,
                      &f.max_token_len, &f.max_features, &f.max_message, &flags})
    ok = ok && r.u32(*v);
  for (uint32_t& c : m.ham_hist_) ok = ok && r.u32(c);
  for (uint32_t& c : m.spam_hist_) ok = ok && r.u32(c);
  uint64_t count = 0;
  ok = ok && r.u64(count);
  if (!ok) return tl::unexpected(corrupt("truncated header"));
  if (channel > 2) return tl::unexpected(corrupt("unknown channel " + std::to_string(channel)));
  if (algo > 2) return tl::unexpected(corrupt("unknown algorithm " + std::to_string(algo)));
  m.channel_ = static_cast<Channel>(channel);
  m.lopt_.algorithm = static_cast<Algorithm>(algo);
  if (lflags > 31) return tl::unexpected(corrupt("unknown learner flags"));
  m.lopt_.normalize = lflags & 1;
  m.lopt_.adagrad = lflags & 2;
  m.lopt_.prior = lflags & 4;
  const bool prior_weight = lflags & 8;
  const bool discount = lflags & 16;
  if (prior_weight && !m.lopt_.prior) return tl::unexpected(corrupt("a prior weight without the prior"));
  f.words = flags & 1;
  f.bigrams = flags & 2;
  f.headers = flags & 4;
  f.urls = flags & 8;
  f.structure = flags & 16;
  f.shapes = flags & 32;
  f.stats = flags & 64;
  if (flags > 127) return tl::unexpected(corrupt("unknown feature flags"));
  if (auto st = validate(f); !st) return tl::unexpected(corrupt(st.error().message));
  if (!(m.lopt_.rate > 0) || !(m.lopt_.c > 0) || !(m.lopt_.thick >= 0 && m.lopt_.thick < 1) ||
      !(m.lopt_.threshold >= 0 && m.lopt_.threshold <= 1) || m.lopt_.reps < 1 || m.lopt_.reps > 16 ||
      !(m.lopt_.target > 0 && m.lopt_.target < 1))
    return tl::unexpected(corrupt("learner options out of range"));
  if (count != (uint64_t{1} << f.bits))
    return tl::unexpected(
        corrupt("weight count " + std::to_string(count) + " does not match bits=" + std::to_string(f.bits)));
  if (m.lopt_.algorithm == Algorithm::kEnsemble &&
      (m.lopt_.adagrad || m.lopt_.normalize || m.lopt_.reps != 1))
    return tl::unexpected(corrupt("ensemble with ada, norm or reps"));
  if (m.lopt_.prior && m.lopt_.algorithm != Algorithm::kEnsemble)
    return tl::unexpected(corrupt("cue prior without the ensemble"));
  const uint64_t arrays = m.lopt_.adagrad || m.lopt_.algorithm == Algorithm::kEnsemble ? 2 : 1;
  const uint64_t weight_bytes = arrays * count * sizeof(float);
  uint64_t chars_bytes = 0;
  uint32_t chars_bits = 0;
  if (m.lopt_.algorithm == Algorithm::kEnsemble) {
    // After the weights: f32 ppm, u32 order, u32 bits, then 2 << bits u32.
    if (r.left() < weight_bytes + 12) return tl::unexpected(corrupt("ensemble truncated"));
    std::string_view tail = bytes.substr(r.pos() + weight_bytes, 12);
    std::memcpy(&m.lopt_.ppm, tail.data(), 4);
    std::memcpy(&m.lopt_.ppm_order, tail.data() + 4, 4);
    std::memcpy(&chars_bits, tail.data() + 8, 4);
    if (!(m.lopt_.ppm >= 0 && m.lopt_.ppm <= 1000) || m.lopt_.ppm_order > CharModel::kMaxOrder)
      return tl::unexpected(corrupt("character model options out of range"));
    if ((m.lopt_.ppm > 0) != (chars_bits != 0) || (chars_bits != 0 && (chars_bits < 10 || chars_bits > 26)))
      return tl::unexpected(corrupt("character model table size out of range"));
    if (chars_bits != 0) m.lopt_.ppm_bits = chars_bits;
    chars_bytes = 12 + (chars_bits != 0 ? (uint64_t{2} << chars_bits) * sizeof(uint32_t) : 0);
  }
  if (discount && chars_bits == 0) return tl::unexpected(corrupt("a discount without character models"));
  const uint64_t prior_bytes = (prior_weight ? 4 : 0) + (discount ? 4 : 0);
  if (r.left() != weight_bytes + chars_bytes + prior_bytes)
    return tl::unexpected(corrupt("weights truncated or trailing bytes"));
  m.size_ = count;
  m.stride_ = static_cast<uint32_t>(arrays);
  m.w_.resize(count * arrays);
  for (uint32_t k = 0; k < m.stride_; ++k) {
    for (size_t i = 0; i < count; ++i) {
      float x = 0;
      r.f32(x);
      if (!std::isfinite(x) || (k == 1 && m.lopt_.adagrad && x < 0))
        return tl::unexpected(corrupt(k == 0 ? "non-finite weight" : "bad gradient accumulator"));
      m.w_[i * m.stride_ + k] = x;
    }
  }
  if (m.lopt_.algorithm == Algorithm::kEnsemble) {
    uint32_t skip[3];
    r.bytes(skip, 12);  // read above
  }
  std::string_view table;
  if (chars_bits != 0) {
    table = bytes.substr(r.pos(), (size_t{2} << chars_bits) * sizeof(uint32_t));
    r.skip(table.size());
  }
  if (prior_weight) {
    r.f32(m.lopt_.prior_weight);
    if (!(m.lopt_.prior_weight > 0 && m.lopt_.prior_weight <= 100))
      return tl::unexpected(corrupt("the prior's weight out of range"));
  }
  if (discount) {
    r.f32(m.lopt_.ppm_d);
    if (!(m.lopt_.ppm_d > 0 && m.lopt_.ppm_d < 1))
      return tl::unexpected(corrupt("the character models' discount out of range"));
  }
  if (chars_bits != 0) {
    m.chars_ = CharModel(m.lopt_.ppm_order, chars_bits, m.lopt_.ppm_d);
    std::memcpy(m.chars_.table().data(), table.data(), table.size());
    m.chars_.saturate();
  }
  return m;
}

Status Model::save(const std::string& path) const {
  const std::string bytes = serialize();
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(Errc::kIo, "cannot write " + tmp + ": " + why);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(Errc::kIo, "cannot sync " + tmp + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(Errc::kIo, "cannot rename " + tmp + " to " + path + ": " + why);
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<Model> Model::load(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::kIo, "cannot open model " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (int64_t{1} << 30)) {
    ::close(fd);
    return fail(Errc::kParse, "model " + path + ": not a regular file of at most 1 GiB");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(off);
  auto m = deserialize(bytes);
  if (!m) return fail(m.error().code, path + ": " + m.error().message);
  return m;
}

}  // namespace rampart::classify
