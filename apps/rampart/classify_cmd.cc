// rampart classify — train, score and evaluate the content classifier.
//
// SYNOPSIS
//   rampart classify train --model FILE --corpus FILE [--format trec|tsv]
//                          [--channel email|sms|im] [--params SPEC] [--seed N]
//                          [--limit N] [--calibrate FPR] [--json]
//   rampart classify score --model FILE MESSAGE [--json]
//   rampart classify eval  --corpus FILE [--format trec|tsv] [--channel email|sms|im]
//                          [--seed N] [--params SPEC] [--limit N] [--scores FILE]
//                          [--members FILE] [--features FILE] [--shuffle SEED] [--json]
//
// DESCRIPTION
//   train: learns every message of the corpus in order, into the model FILE
//   (continues an existing model, else creates one with the channel's
//   defaults and --params), optionally sets the threshold so that at most
//   FPR of the ham scored during training would be flagged, and saves the
//   model atomically.
//   score: prints P(spam) of MESSAGE (a raw email, or the text of an SMS/IM
//   for a model of that channel; "-" reads stdin) and the verdict.
//   eval: the TREC immediate-feedback protocol: each message of the corpus,
//   in the order given, is scored and only then learned with its true label,
//   starting from an empty model. Prints 1-ROCA%, lam% (at the threshold),
//   the false-positive rate at 99% of spam caught (a fraction) and the
//   classify-and-learn time (corpus reading excluded; wall seconds, CPU
//   seconds of the thread, and messages per CPU second). With --json:
//   {"n", "spam", "ham", "roca_pct", "lam_pct", "fpr_at_99_tpr", "seconds",
//   "cpu_seconds", "msgs_per_sec", "verdicts_per_sec", "params"}; verdicts_per_sec
//   is a second pass that only classifies every message with the final model
//   (the verdict path without learning), per CPU second. --scores FILE writes "score label" lines in
//   corpus order. --members FILE writes, in corpus order, what each message's score was made of
//   before it was learned: "label pa lr chars prior features" (label 1 spam, 0 ham; the four
//   log-odds parts of Model::members, which add up to the score's log-odds; the number of
//   distinct features), to study how the members rank the hard messages. It extracts each
//   message once more, inside the timed loop: msgs_per_sec is lower with it.
//   --features FILE writes, in the order run, "label index f1 f2 ..." per message: label 1 spam, 0
//   ham; its 0-based position in the corpus file (so a shuffled run can be matched to its text);
//   the distinct feature indices the learners saw, before it was learned. With --members, the
//   record to replay the linear learners offline exactly (bench/classify/replay.py). Like
//   --members it extracts each message once more, inside the timed loop.
//   --shuffle SEED runs the corpus in a random order instead of the order given (Fisher-Yates
//   over a 64-bit Mersenne Twister seeded with SEED: the same seed, the same order on every
//   build), to see how much a figure owes to one order (README.md).
//   --format defaults to trec; --channel to email for trec and sms for tsv.
//   --seed N seeds the feature hashing (the order is never changed).
//   --params SPEC overrides defaults: "algo=lr,rate=0.02,ngram=3-5,bits=22,..."
//   (src/classify/model.h, features.h).
//
// DIAGNOSTICS
//   Exit status 0 on success; 2 with one line on stderr for a bad argument or
//   an unreadable corpus or message; 1 when a model file is refused (corrupt,
//   other version) or cannot be written.
#if defined(HAVE_RAMPART_CLASSIFY)

#include <time.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "classify/corpus.h"
#include "classify/metrics.h"
#include "cli.h"

namespace rampart::cli {
namespace {

using namespace rampart::classify;

double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Common {
  CorpusFormat format = CorpusFormat::kTrec;
  Channel channel = Channel::kEmail;
  FeatureOptions fopt;
  LearnerOptions lopt;
  size_t limit = 0;
};

// Parses --format, --channel, --seed, --params, --limit.
bool parse_common(Args& a, Common& c, int& rc) {
  if (auto f = a.get("format")) {
    auto r = parse_corpus_format(*f);
    if (!r) return rc = a.usage_error(r.error().message), false;
    c.format = *r;
  }
  c.channel = c.format == CorpusFormat::kTsv ? Channel::kSms : Channel::kEmail;
  if (auto ch = a.get("channel")) {
    auto r = parse_channel(*ch);
    if (!r) return rc = a.usage_error(r.error().message), false;
    c.channel = *r;
  }
  c.fopt = default_feature_options(c.channel);
  c.lopt = default_learner_options(c.channel);
  if (auto p = a.get("params")) {
    if (auto st = parse_params(*p, c.fopt, c.lopt); !st) return rc = a.usage_error(st.error().message), false;
  }
  if (auto s = a.get("seed")) {
    try {
      size_t used = 0;
      c.fopt.seed = std::stoull(*s, &used);
      if (used != s->size()) throw std::invalid_argument("");
    } catch (...) {
      return rc = a.usage_error("--seed needs a non-negative integer"), false;
    }
  }
  if (auto l = a.get("limit")) {
    try {
      size_t used = 0;
      c.limit = std::stoull(*l, &used);
      if (used != l->size()) throw std::invalid_argument("");
    } catch (...) {
      return rc = a.usage_error("--limit needs a non-negative integer"), false;
    }
  }
  return true;
}

int run_eval(Args& a) {
  if (!a.parse({"corpus", "format", "channel", "seed", "params", "limit", "scores", "members", "features",
                "shuffle"},
               {"json"}))
    return kUsage;
  if (!a.positional().empty()) return a.usage_error("unexpected argument '" + a.positional()[0] + "'");
  auto path = a.get("corpus");
  if (!path) return a.usage_error("--corpus is required");
  Common c;
  int rc = 0;
  if (!parse_common(a, c, rc)) return rc;
  auto corpus = read_corpus(*path, c.format, c.limit);
  if (!corpus) return a.usage_error(corpus.error().message);
  // position[i]: where the i-th message run sits in the corpus file.
  std::vector<size_t> position(corpus->size());
  for (size_t i = 0; i < position.size(); ++i) position[i] = i;
  if (auto s = a.get("shuffle")) {
    uint64_t seed = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), seed);
    if (ec != std::errc() || p != s->data() + s->size() || s->empty())
      return a.usage_error("--shuffle needs a non-negative integer");
    std::mt19937_64 rng(seed);
    for (size_t i = corpus->size(); i > 1; --i) {
      const size_t j = rng() % i;
      std::swap((*corpus)[i - 1], (*corpus)[j]);
      std::swap(position[i - 1], position[j]);
    }
  }
  auto cl = Classifier::create(c.channel, c.fopt, c.lopt);
  if (!cl) return a.usage_error(cl.error().message);

  std::vector<Judged> judged;
  judged.reserve(corpus->size());
  // --members: each message's parts before it is learned (prequential).
  const auto members_path = a.get("members");
  std::vector<std::pair<Model::Members, size_t>> parts;
  if (members_path) parts.reserve(corpus->size());
  // --features: each message's feature indices before it is learned.
  const auto features_path = a.get("features");
  std::FILE* features_file = nullptr;
  if (features_path) {
    features_file = std::fopen(features_path->c_str(), "w");
    if (!features_file) return a.usage_error("cannot write " + *features_path);
  }
  std::string line;
  size_t run_index = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (const Example& e : *corpus) {
    if (members_path || features_file) {
      const Model::Members m = cl->members(e.text);  // extracts: last_features() is this message's
      if (members_path) parts.emplace_back(m, cl->last_features().size());
      if (features_file) {
        line = e.spam ? "1 " : "0 ";
        line += std::to_string(position[run_index]);
        for (uint32_t f : cl->last_features()) (line += ' ') += std::to_string(f);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), features_file);
      }
    }
    ++run_index;
    judged.push_back(Judged{cl->score_and_learn(e.text, e.spam), e.spam});
  }
  const double cpu = cpu_seconds() - c0;
  if (features_file && std::fclose(features_file) != 0)
    return a.usage_error("cannot write " + *features_path);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  size_t spam = 0;
  for (const Judged& j : judged) spam += j.spam;
  const size_t ham = judged.size() - spam;
  const double roca = one_minus_roca_pct(judged);
  const double lam = lam_pct(judged, cl->model().threshold());
  const double fpr = fpr_at_tpr(judged, 0.99);
  const double rate = cpu > 0 ? static_cast<double>(judged.size()) / cpu : 0;
  // The verdict path alone: classify every message again, no learning.
  const double v0 = cpu_seconds();
  double sink = 0;
  for (const Example& e : *corpus) sink += cl->classify(e.text).score;
  const double vcpu = cpu_seconds() - v0;
  const double vrate = vcpu > 0 && sink >= 0 ? static_cast<double>(corpus->size()) / vcpu : 0;
  if (auto s = a.get("scores")) {
    std::FILE* f = std::fopen(s->c_str(), "w");
    if (!f) return a.usage_error("cannot write " + *s);
    for (const Judged& j : judged) std::fprintf(f, "%.9g %s\n", j.score, j.spam ? "spam" : "ham");
    std::fclose(f);
  }
  if (members_path) {
    std::FILE* f = std::fopen(members_path->c_str(), "w");
    if (!f) return a.usage_error("cannot write " + *members_path);
    for (size_t i = 0; i < parts.size(); ++i) {
      const Model::Members& m = parts[i].first;
      std::fprintf(f, "%d %.9g %.9g %.9g %.9g %zu\n", judged[i].spam ? 1 : 0, m.pa, m.lr, m.chars, m.prior,
                   parts[i].second);
    }
    std::fclose(f);
  }
  const std::string params =
      std::string("channel=") + std::string(channel_name(c.channel)) +
      ",algo=" + std::string(algorithm_name(c.lopt.algorithm)) + ",rate=" + std::to_string(c.lopt.rate) +
      ",c=" + std::to_string(c.lopt.c) + ",ppm=" + std::to_string(c.lopt.ppm) +
      ",prior=" + (c.lopt.prior ? std::to_string(c.lopt.prior_weight) : "0") + "," + to_string(c.fopt);
  if (a.flag("json")) {
    std::printf(
        "{\"n\": %zu, \"spam\": %zu, \"ham\": %zu, \"roca_pct\": %.6f, \"lam_pct\": %.6f, "
        "\"fpr_at_99_tpr\": %.6f, \"seconds\": %.6f, \"cpu_seconds\": %.6f, \"msgs_per_sec\": %.1f, "
        "\"verdicts_per_sec\": %.1f, "
        "\"params\": \"%s\"}\n",
        judged.size(), spam, ham, roca, lam, fpr, secs, cpu, rate, vrate, json_escape(params).c_str());
  } else {
    std::printf("messages:       %zu (%zu spam, %zu ham)\n", judged.size(), spam, ham);
    std::printf("1-ROCA%%:        %.4f\n", roca);
    std::printf("lam%%:           %.4f (threshold %.3f)\n", lam, cl->model().threshold());
    std::printf("FPR at 99%% TPR: %.4f\n", fpr);
    std::printf("time:           %.3f s classify-and-learn (%.3f s CPU), %.0f msgs/s per core\n", secs, cpu,
                rate);
    std::printf("verdicts:       %.0f msgs/s per core (classify only, final model)\n", vrate);
    std::printf("params:         %s\n", params.c_str());
  }
  return 0;
}

int run_train(Args& a) {
  if (!a.parse({"model", "corpus", "format", "channel", "seed", "params", "limit", "calibrate"}, {"json"}))
    return kUsage;
  if (!a.positional().empty()) return a.usage_error("unexpected argument '" + a.positional()[0] + "'");
  auto model_path = a.get("model");
  auto path = a.get("corpus");
  if (!model_path || !path) return a.usage_error("--model and --corpus are required");
  Common c;
  int rc = 0;
  if (!parse_common(a, c, rc)) return rc;
  double max_fpr = -1;
  if (auto f = a.get("calibrate")) {
    char* end = nullptr;
    max_fpr = std::strtod(f->c_str(), &end);
    if (end == f->c_str() || *end != '\0' || !(max_fpr >= 0 && max_fpr < 1))
      return a.usage_error("--calibrate needs a fraction in [0, 1)");
  }
  auto corpus = read_corpus(*path, c.format, c.limit);
  if (!corpus) return a.usage_error(corpus.error().message);

  Result<Classifier> cl = fail(Errc::kInternal, "");
  std::error_code ec;
  const bool existing = std::filesystem::exists(*model_path, ec);
  if (existing) {
    cl = Classifier::open(*model_path);
    if (!cl) {
      std::fprintf(stderr, "rampart classify: %s\n", cl.error().message.c_str());
      return 1;
    }
    if (a.get("channel") && cl->model().channel() != c.channel)
      return a.usage_error("model " + *model_path + " is for channel " +
                           std::string(channel_name(cl->model().channel())));
  } else {
    cl = Classifier::create(c.channel, c.fopt, c.lopt);
    if (!cl) return a.usage_error(cl.error().message);
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (const Example& e : *corpus) cl->score_and_learn(e.text, e.spam);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (max_fpr >= 0) cl->model().calibrate(max_fpr);
  if (auto st = cl->save(*model_path); !st) {
    std::fprintf(stderr, "rampart classify: %s\n", st.error().message.c_str());
    return 1;
  }
  const Model& m = cl->model();
  if (a.flag("json")) {
    std::printf(
        "{\"model\": \"%s\", \"channel\": \"%s\", \"learned\": %zu, \"hams\": %llu, \"spams\": %llu, "
        "\"threshold\": %.4f, \"seconds\": %.6f}\n",
        json_escape(*model_path).c_str(), std::string(channel_name(m.channel())).c_str(), corpus->size(),
        static_cast<unsigned long long>(m.hams()), static_cast<unsigned long long>(m.spams()), m.threshold(),
        secs);
  } else {
    std::printf("%s model %s: learned %zu messages (%llu ham, %llu spam in all), threshold %.4f, %.3f s\n",
                existing ? "updated" : "created", model_path->c_str(), corpus->size(),
                static_cast<unsigned long long>(m.hams()), static_cast<unsigned long long>(m.spams()),
                m.threshold(), secs);
  }
  return 0;
}

int run_score(Args& a) {
  if (!a.parse({"model"}, {"json"})) return kUsage;
  auto model_path = a.get("model");
  if (!model_path) return a.usage_error("--model is required");
  if (a.positional().size() != 1) return a.usage_error("expected one MESSAGE file (or -)");
  const std::string& file = a.positional()[0];
  auto cl = Classifier::open(*model_path);
  if (!cl) {
    std::fprintf(stderr, "rampart classify: %s\n", cl.error().message.c_str());
    return 1;
  }
  auto text = read_file_prefix(file == "-" ? "/dev/stdin" : file, 64u << 20);
  if (!text) return a.usage_error(text.error().message);
  const Verdict v = cl->classify(*text);
  if (a.flag("json")) {
    std::printf("{\"score\": %.6f, \"spam\": %s, \"threshold\": %.4f}\n", v.score, v.spam ? "true" : "false",
                cl->model().threshold());
  } else {
    std::printf("%s %.6f\n", v.spam ? "spam" : "ham", v.score);
  }
  return 0;
}

int run_classify(Args& a) {
  const auto& raw = a.raw();
  if (raw.empty()) return a.usage_error("expected train, score or eval");
  const std::string verb = raw[0];
  Args sub("classify " + verb, std::vector<std::string>(raw.begin() + 1, raw.end()));
  if (verb == "eval") return run_eval(sub);
  if (verb == "train") return run_train(sub);
  if (verb == "score") return run_score(sub);
  return a.usage_error("unknown subcommand '" + verb + "' (train, score or eval)");
}

Registrar reg("classify", "content classifier: train, score, eval (TREC protocol)", run_classify);

}  // namespace
}  // namespace rampart::cli

#endif  // HAVE_RAMPART_CLASSIFY
