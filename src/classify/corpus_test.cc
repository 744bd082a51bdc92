// Tests of the corpus readers (corpus.h): TREC index with relative paths and
// an mbox From line, TSV, and errors naming the line.
#include "classify/corpus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rampart::classify {
namespace {

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rampart-corpus-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "msgs");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string put(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(CorpusTest, TrecIndexInOrder) {
  put("msgs/1", "From a@b Mon Jan 1 00:00:00 2024\nSubject: x\n\nbody1\n");
  put("msgs/2", "Subject: y\n\nbody2\n");
  const std::string idx =
      put("index", "spam msgs/1\r\n\nHAM msgs/2\nham " + (dir_ / "msgs/1").string() + "\n");
  auto c = read_corpus(idx, CorpusFormat::kTrec);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->size(), 3u);
  EXPECT_TRUE((*c)[0].spam);
  EXPECT_FALSE((*c)[1].spam);
  EXPECT_EQ((*c)[1].text, "Subject: y\n\nbody2\n");
  EXPECT_FALSE((*c)[2].spam);
  auto lim = read_corpus(idx, CorpusFormat::kTrec, 1);
  ASSERT_TRUE(lim);
  EXPECT_EQ(lim->size(), 1u);
  auto cut = read_corpus(idx, CorpusFormat::kTrec, 0, 5);
  ASSERT_TRUE(cut);
  EXPECT_EQ((*cut)[1].text, "Subje");
}

TEST_F(CorpusTest, Tsv) {
  const std::string f = put("sms", "ham\tOk lar...\nspam\tFREE entry\twith tab\n\n");
  auto c = read_corpus(f, CorpusFormat::kTsv);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].text, "Ok lar...");
  EXPECT_TRUE((*c)[1].spam);
  EXPECT_EQ((*c)[1].text, "FREE entry\twith tab");
}

TEST_F(CorpusTest, Errors) {
  auto r = read_corpus(put("bad", "ham\tok\nmaybe\thuh\n"), CorpusFormat::kTsv);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kParse);
  EXPECT_NE(r.error().message.find(":2:"), std::string::npos) << r.error().message;
  r = read_corpus(put("nosep", "hamonly\n"), CorpusFormat::kTsv);
  EXPECT_FALSE(r);
  r = read_corpus(put("missing", "spam msgs/nope\n"), CorpusFormat::kTrec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kIo);
  r = read_corpus((dir_ / "no-index").string(), CorpusFormat::kTrec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_FALSE(parse_corpus_format("csv"));
  EXPECT_EQ(*parse_corpus_format("tsv"), CorpusFormat::kTsv);
}

}  // namespace
}  // namespace rampart::classify
