// End-to-end tests of `rampart classify`: eval (TREC index and TSV, JSON
// keys), train then score, a corrupt model refused (exit 1), bad arguments
// (exit 2). The corpus is generated here from word pools (no real mail).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace rampart {
namespace {

struct CmdResult {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<std::string> kSpamWords = {"free",  "winner", "prize",  "cash",  "offer", "viagra",
                                             "cheap", "click",  "urgent", "claim", "bonus", "loan"};
const std::vector<std::string> kHamWords = {"meeting", "lunch", "patch",  "review", "thanks", "tomorrow",
                                            "project", "build", "kernel", "notes",  "agenda", "release"};
const std::vector<std::string> kCommon = {"the", "a", "to", "and", "you", "for", "is", "of", "on", "we"};

std::string sentence(std::mt19937& rng, bool spam, int n) {
  const auto& pool = spam ? kSpamWords : kHamWords;
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += (rng() % 3 == 0) ? pool[rng() % pool.size()] : kCommon[rng() % kCommon.size()];
    s += ' ';
  }
  return s;
}

class CliClassify : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rampart-cls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "msgs");
    bin_ = std::getenv("RAMPART_BIN") ? std::getenv("RAMPART_BIN") : "build/apps/rampart/rampart";
    std::mt19937 rng(2024);
    std::ofstream idx(dir_ / "index"), tsv(dir_ / "sms.tsv");
    for (int i = 0; i < 300; ++i) {
      const bool spam = rng() % 3 == 0;
      const std::string name = "msgs/" + std::to_string(i);
      std::ofstream m(dir_ / name);
      if (i % 5 == 0) m << "From sender@example.org Mon Jan  1 00:00:00 2024\n";
      m << "From: " << (spam ? "deals@offers.example" : "colleague@work.example") << "\n"
        << "To: user@example.net\nSubject: " << sentence(rng, spam, 5) << "\n"
        << "Content-Type: text/plain; charset=utf-8\n\n"
        << sentence(rng, spam, 40) << "\n";
      idx << (spam ? "spam " : "ham ") << name << "\n";
      tsv << (spam ? "spam\t" : "ham\t") << sentence(rng, spam, 12) << "\n";
    }
    std::ofstream(dir_ / "one.eml") << "From: deals@offers.example\nSubject: free cash prize winner\n\n"
                                       "claim your free bonus cash offer now, urgent winner prize\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CmdResult run(const std::string& args) {
    const auto out = dir_ / "out", err = dir_ / "err";
    const std::string cmd = bin_ + " " + args + " >" + out.string() + " 2>" + err.string() + " </dev/null";
    CmdResult r;
    int s = std::system(cmd.c_str());
    r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  double field(const std::string& json, const std::string& key) {
    const size_t p = json.find("\"" + key + "\": ");
    EXPECT_NE(p, std::string::npos) << key << " in " << json;
    if (p == std::string::npos) return -1;
    return std::strtod(json.c_str() + p + key.size() + 4, nullptr);
  }

  std::filesystem::path dir_;
  std::string bin_;
};

TEST_F(CliClassify, EvalTrecJson) {
  CmdResult r = run("classify eval --corpus " + (dir_ / "index").string() + " --format trec --json --seed 3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(field(r.out, "n"), 300);
  EXPECT_EQ(field(r.out, "spam") + field(r.out, "ham"), 300);
  EXPECT_LT(field(r.out, "roca_pct"), 2.0) << r.out;  // separable word pools
  EXPECT_GE(field(r.out, "roca_pct"), 0.0);
  EXPECT_GT(field(r.out, "lam_pct"), 0.0);
  EXPECT_GE(field(r.out, "fpr_at_99_tpr"), 0.0);
  EXPECT_LE(field(r.out, "fpr_at_99_tpr"), 1.0);
  EXPECT_GE(field(r.out, "seconds"), 0.0);
  // Same seed, same figures; the text form too.
  CmdResult again = run("classify eval --corpus " + (dir_ / "index").string() + " --json --seed 3");
  EXPECT_EQ(field(again.out, "roca_pct"), field(r.out, "roca_pct"));
  CmdResult text = run("classify eval --corpus " + (dir_ / "index").string());
  ASSERT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("1-ROCA%"), std::string::npos);
}

TEST_F(CliClassify, EvalTsvSmsAndIm) {
  for (const char* ch : {"sms", "im"}) {
    CmdResult r = run("classify eval --corpus " + (dir_ / "sms.tsv").string() + " --format tsv --channel " +
                      ch + " --json");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(field(r.out, "n"), 300);
    EXPECT_LT(field(r.out, "roca_pct"), 5.0) << r.out;
    EXPECT_NE(r.out.find("algo=ens"), std::string::npos) << r.out;  // the SMS/IM default
    EXPECT_GT(field(r.out, "verdicts_per_sec"), 0.0) << r.out;
    // Deterministic: the same corpus gives the same figures, and the scores
    // file is byte-identical.
    const std::string scores = (dir_ / "scores").string();
    CmdResult a = run("classify eval --corpus " + (dir_ / "sms.tsv").string() + " --format tsv --channel " +
                      ch + " --json --scores " + scores + "1");
    CmdResult b = run("classify eval --corpus " + (dir_ / "sms.tsv").string() + " --format tsv --channel " +
                      ch + " --json --scores " + scores + "2");
    ASSERT_EQ(a.status, 0);
    ASSERT_EQ(b.status, 0);
    EXPECT_EQ(field(a.out, "roca_pct"), field(b.out, "roca_pct"));
    EXPECT_EQ(field(a.out, "fpr_at_99_tpr"), field(b.out, "fpr_at_99_tpr"));
    const std::string s1 = slurp(scores + "1"), s2 = slurp(scores + "2");
    EXPECT_EQ(std::count(s1.begin(), s1.end(), '\n'), 300);
    EXPECT_EQ(s1, s2);
    // --members: the parts of each score before learning, in corpus order;
    // their sum is the score's log-odds, the label matches.
    const std::string members = (dir_ / "members").string();
    CmdResult c = run("classify eval --corpus " + (dir_ / "sms.tsv").string() + " --format tsv --channel " +
                      ch + " --json --members " + members);
    ASSERT_EQ(c.status, 0) << c.err;
    EXPECT_EQ(field(c.out, "roca_pct"), field(a.out, "roca_pct"));
    std::istringstream sc(s1), mem(slurp(members));
    int lines = 0, nonzero_chars = 0;
    double score = 0;
    std::string label;
    while (sc >> score >> label) {
      int spam = -1;
      double pa = 0, lr = 0, chars = 0, prior = 0;
      size_t features = 0;
      ASSERT_TRUE(mem >> spam >> pa >> lr >> chars >> prior >> features) << "line " << lines;
      EXPECT_EQ(spam, label == "spam" ? 1 : 0);
      EXPECT_GT(features, 0u);
      const double total = pa + lr + chars + prior;
      EXPECT_NEAR(1.0 / (1.0 + std::exp(-total)), score, 1e-6) << "line " << lines;
      nonzero_chars += chars != 0;
      ++lines;
    }
    EXPECT_EQ(lines, 300);
    EXPECT_GT(nonzero_chars, 250);
    EXPECT_FALSE(mem >> label);

    // --features: per message run, its label, its position in the corpus
    // file and its distinct feature indices (as many as --members counts);
    // in a shuffled run the positions are a permutation that points back to
    // the message's own line (its label there).
    std::vector<int> file_labels;
    {
      std::istringstream corpus(slurp((dir_ / "sms.tsv").string()));
      std::string row;
      while (std::getline(corpus, row)) file_labels.push_back(row.starts_with("spam\t") ? 1 : 0);
    }
    ASSERT_EQ(file_labels.size(), 300u);
    for (const char* order : {"", " --shuffle 7"}) {
      const std::string feats = (dir_ / "features").string(), mems = (dir_ / "members2").string();
      CmdResult f = run("classify eval --corpus " + (dir_ / "sms.tsv").string() + " --format tsv --channel " +
                        ch + " --json --members " + mems + " --features " + feats + order);
      ASSERT_EQ(f.status, 0) << f.err;
      std::istringstream fin(slurp(feats)), memin(slurp(mems));
      std::vector<bool> seen(300, false);
      std::string row;
      int n = 0;
      while (std::getline(fin, row)) {
        std::istringstream cols(row);
        int spam = -1;
        size_t pos = 0, count = 0, mcount = 0;
        uint32_t idx = 0;
        ASSERT_TRUE(cols >> spam >> pos) << row;
        while (cols >> idx) {
          EXPECT_LT(idx, 1u << 22);
          ++count;
        }
        double x = 0;
        int mspam = -1;
        ASSERT_TRUE(memin >> mspam >> x >> x >> x >> x >> mcount);
        ASSERT_LT(pos, 300u);
        EXPECT_FALSE(seen[pos]) << pos;
        seen[pos] = true;
        EXPECT_EQ(spam, file_labels[pos]) << row;
        EXPECT_EQ(spam, mspam);
        EXPECT_EQ(count, mcount);
        EXPECT_GT(count, 1u);
        if (*order == '\0') {
          EXPECT_EQ(pos, static_cast<size_t>(n));
        }
        ++n;
      }
      EXPECT_EQ(n, 300);
    }

    // --shuffle SEED: another order of the same messages, the same for the
    // same seed; each seed its own.
    auto shuffled = [&](const std::string& seed, const std::string& out) {
      CmdResult s = run("classify eval --corpus " + (dir_ / "sms.tsv").string() + " --format tsv --channel " +
                        ch + " --json --shuffle " + seed + " --scores " + out);
      EXPECT_EQ(s.status, 0) << s.err;
      EXPECT_EQ(field(s.out, "n"), 300);
      EXPECT_EQ(field(s.out, "spam"), field(a.out, "spam"));
      return slurp(out);
    };
    const std::string x1 = shuffled("1", scores + "x1"), x1b = shuffled("1", scores + "x1b"),
                      x2 = shuffled("2", scores + "x2");
    EXPECT_EQ(x1, x1b);
    EXPECT_NE(x1, x2);
    EXPECT_NE(x1, s1);
    auto labels = [](const std::string& file) {
      std::istringstream in(file);
      std::string value, name, all;
      while (in >> value >> name) all += name[0];
      return all;
    };
    std::string l1 = labels(x1), l0 = labels(s1);
    EXPECT_EQ(l1.size(), 300u);
    EXPECT_NE(l1, l0);  // 100 spam among 300: another order of the labels
    std::sort(l1.begin(), l1.end());
    std::sort(l0.begin(), l0.end());
    EXPECT_EQ(l1, l0);
  }
}

// The SMS default on the real SMS Spam Collection (bench/data), TREC
// protocol in file order: the figures of src/classify/README.md within a
// small margin, so a change that costs accuracy fails here; main's earlier
// learner, still selectable, stays behind.
TEST_F(CliClassify, SmsSpamCollectionFigures) {
  const char* corpus = std::getenv("RAMPART_SMS_CORPUS");
  ASSERT_NE(corpus, nullptr) << "RAMPART_SMS_CORPUS is set by tests/classify.cmake";
  ASSERT_TRUE(std::filesystem::exists(corpus)) << corpus;
  CmdResult r = run(std::string("classify eval --corpus ") + corpus + " --format tsv --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(field(r.out, "n"), 5574);
  EXPECT_EQ(field(r.out, "spam"), 747);
  EXPECT_LT(field(r.out, "roca_pct"), 0.36) << r.out;       // measured 0.340
  EXPECT_LT(field(r.out, "fpr_at_99_tpr"), 0.07) << r.out;  // measured 0.0667
  EXPECT_LT(field(r.out, "lam_pct"), 0.9) << r.out;         // measured 0.763
  // Without the cold-start prior (cues.h): more ham flagged at 99% (0.0735).
  CmdResult no_prior =
      run(std::string("classify eval --corpus ") + corpus + " --format tsv --json --params prior=0");
  ASSERT_EQ(no_prior.status, 0) << no_prior.err;
  EXPECT_GT(field(no_prior.out, "fpr_at_99_tpr"), field(r.out, "fpr_at_99_tpr")) << no_prior.out;
  EXPECT_GT(field(no_prior.out, "lam_pct"), field(r.out, "lam_pct")) << no_prior.out;
  CmdResult old = run(std::string("classify eval --corpus ") + corpus +
                      " --format tsv --json --params algo=pa,c=0.03,ppm=0,prior=0,shapes=0,stats=0");
  ASSERT_EQ(old.status, 0) << old.err;
  EXPECT_GT(field(old.out, "roca_pct"), 0.8) << old.out;  // main's 0.892
  EXPECT_GT(field(old.out, "fpr_at_99_tpr"), 0.12) << old.out;
}

TEST_F(CliClassify, TrainScoreAndCorruptModel) {
  const std::string model = (dir_ / "p.model").string();
  CmdResult t = run("classify train --model " + model + " --corpus " + (dir_ / "index").string() +
                    " --params bits=18 --calibrate 0.01");
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("created"), std::string::npos) << t.out;
  CmdResult s = run("classify score --model " + model + " " + (dir_ / "one.eml").string() + " --json");
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.out.find("\"spam\": true"), std::string::npos) << s.out;
  EXPECT_GT(field(s.out, "score"), 0.5);
  // Training again continues the model.
  CmdResult t2 =
      run("classify train --model " + model + " --corpus " + (dir_ / "index").string() + " --json");
  ASSERT_EQ(t2.status, 0) << t2.err;
  EXPECT_EQ(field(t2.out, "hams") + field(t2.out, "spams"), 600);

  // A corrupt model is refused with a clear error, exit 1.
  {
    std::fstream f(model, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x7f');
  }
  CmdResult bad = run("classify score --model " + model + " " + (dir_ / "one.eml").string());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("checksum"), std::string::npos) << bad.err;
  CmdResult bad_train = run("classify train --model " + model + " --corpus " + (dir_ / "index").string());
  EXPECT_EQ(bad_train.status, 1);
}

TEST_F(CliClassify, UsageErrors) {
  for (const std::string& args :
       {std::string("classify"), std::string("classify frobnicate"), std::string("classify eval"),
        "classify eval --corpus " + (dir_ / "index").string() + " --format csv",
        "classify eval --corpus " + (dir_ / "index").string() + " --shuffle x",
        "classify eval --corpus " + (dir_ / "index").string() + " --shuffle -1",
        "classify eval --corpus " + (dir_ / "index").string() + " --channel fax",
        "classify eval --corpus " + (dir_ / "index").string() + " --seed x",
        "classify eval --corpus " + (dir_ / "index").string() + " --params bits=99",
        "classify eval --corpus " + (dir_ / "nope").string(), std::string("classify score --model x"),
        std::string("classify train --model x"),
        "classify eval --corpus " + (dir_ / "index").string() + " --bogus"}) {
    CmdResult r = run(args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.out;
    EXPECT_NE(r.err.find("rampart classify"), std::string::npos) << args << ": " << r.err;
  }
}

}  // namespace
}  // namespace rampart
