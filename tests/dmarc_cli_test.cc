// `rampart dmarc report` end to end: real report mails (zip and gzip), bare
// reports, JSON output, and the exit status for input that holds no report.
#include <algorithm>
#include <fstream>

#include "support/cli.h"

namespace {

class CliDmarc : public rampart::testing::CliTest {};

const std::string kDir = "tests/data/dmarc/aggregate/";

TEST_F(CliDmarc, ReadsReportMailsAndBareReports) {
  auto r = run("dmarc report " + kDir + "google-zip.eml " + kDir + "mimecast-gzip.eml " + kDir +
               "zoho-element-order.xml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("report 949348866075514174 from google.com"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("92.53.116.102 1 disposition=reject dkim=fail spf=fail header_from=borschow.com"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("from Mimecast"), std::string::npos);
  EXPECT_NE(r.out.find("216.71.148.247 2 disposition=none"), std::string::npos);
}

TEST_F(CliDmarc, JsonLinePerReport) {
  auto r = run("dmarc report --json " + kDir + "twilight-zip.eml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("{\"report_metadata\": {\"org_name\": \"google.com\""), 0u) << r.out;
  EXPECT_NE(r.out.find("\"domain\": \"twlnet.com\""), std::string::npos);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST_F(CliDmarc, NoReportIsExitOneWithTheReason) {
  std::ofstream(path("plain.eml")) << "From: a@b.example\r\nSubject: hi\r\n\r\nno report here\r\n";
  auto r = run("dmarc report " + path("plain.eml"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no aggregate report"), std::string::npos) << r.err;
  EXPECT_EQ(run("dmarc report " + path("missing.eml")).status, 2);
  EXPECT_EQ(run("dmarc bogus").status, 2);
}

}  // namespace
