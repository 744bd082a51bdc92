// Tests for html.h and url.h.
#include <string>

#include <gtest/gtest.h>

#include "mime/html.h"
#include "mime/url.h"

namespace rampart::mime {
namespace {

TEST(Html, VisibleText) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"<p>Hello <b>world</b></p>", "Hello world"},
      {"<html><head><title>T</title><style>p{color:red}</style></head><body>Hi</body></html>", "Hi"},
      {"a<script>var x = '<p>no</p>';</script>b", "ab"},
      {"a<SCRIPT type=x>alert(1)</ScRiPt >b", "ab"},
      {"<div>one</div><div>two</div>", "one\ntwo"},
      {"line<br>break<br/>again", "line\nbreak\nagain"},
      {"<p>a</p><p></p><p></p><p>b</p>", "a\n\nb"},
      {"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
      {"  lots   of\r\n\t space  ", "lots of space"},
      {"x<!-- comment <p>hidden</p> -->y", "xy"},
      {"<!DOCTYPE html><?xml x?>text", "text"},
      {"5 &lt; 6 &amp;&amp; 7 &gt; 3", "5 < 6 && 7 > 3"},
      {"&euro;10 &#8364;&#x20ac; &copy caf&eacute;",
       "\xE2\x82\xAC"
       "10 \xE2\x82\xAC\xE2\x82\xAC \xC2\xA9 caf\xC3\xA9"},
      {"&#150;&#0;&#xD800;&#99999999;", "\xE2\x80\x93\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"AT&T &unknown; &", "AT&T &unknown; &"},
      {"non&nbsp;breaking", "non breaking"},
      {"fr&shy;ee v&#8203;ia&zwnj;gra", "free viagra"},
      {"fr\xC2\xAD"
       "ee v\xE2\x80\x8Bia",
       "free via"},
      {"a < b and c > d", "a < b and c > d"},
      {"<p>visible<span style=\"display: none\">hidden <span>x</span> words</span> shown</p>",
       "visible shown"},
      {"<div style='font-size:0px'>tiny</div>ok<font style=\"font-size:10px\">big</font>", "okbig"},
      {"<div hidden>h</div>v", "v"},
      {"<div style=\"opacity:0.0\">o</div>v", "v"},
  };
  for (const Case& c : cases) EXPECT_EQ(html_to_text(c.in).text, c.out) << c.in;
}

TEST(Html, Links) {
  HtmlText h = html_to_text(
      "<a href=\"http://a.test/?x=1&amp;y=2\">click</a><img src=http://img.test/p.gif>"
      "<form action='https://f.test/post'></form><td background=\"http://bg.test/\"></td>"
      "<a href='mailto:x@y.test'>m</a>");
  ASSERT_EQ(h.links.size(), 5u);
  EXPECT_EQ(h.links[0].url, "http://a.test/?x=1&y=2");
  EXPECT_EQ(h.links[0].kind, HtmlLinkKind::kHref);
  EXPECT_EQ(h.links[1].url, "http://img.test/p.gif");
  EXPECT_EQ(h.links[1].kind, HtmlLinkKind::kSrc);
  EXPECT_EQ(h.links[2].kind, HtmlLinkKind::kAction);
  EXPECT_EQ(h.links[3].kind, HtmlLinkKind::kBackground);
  EXPECT_EQ(h.text, "click\nm");  // <form> is a block
}

TEST(Html, MetaCharset) {
  EXPECT_EQ(sniff_html_charset("<html><meta charset=\"Shift_JIS\">"), "shift_jis");
  EXPECT_EQ(sniff_html_charset("<META http-equiv=Content-Type content='text/html; charset=koi8-r'>"),
            "koi8-r");
  EXPECT_EQ(sniff_html_charset("<p>no meta</p>"), "");
}

// Pathological HTML: each must finish (linear scans); results checked loosely.
TEST(Html, PathologicalInputsAreLinear) {
  const size_t n = 2 * 1024 * 1024;
  std::string nested;
  for (size_t i = 0; nested.size() < n; ++i) nested += "<div><span>";
  EXPECT_TRUE(html_to_text(nested).text.empty());
  std::string unclosed_comment = "text<!--" + std::string(n, 'x');
  EXPECT_EQ(html_to_text(unclosed_comment).text, "text");
  std::string unclosed_tags;
  while (unclosed_tags.size() < n) unclosed_tags += "<a <b <c href='";
  (void)html_to_text(unclosed_tags);
  std::string scripts;
  while (scripts.size() < n) scripts += "<script>x</scrip";
  EXPECT_TRUE(html_to_text(scripts).text.empty());
  std::string lts(n, '<');
  EXPECT_EQ(html_to_text(lts).text.size(), n);
  std::string amps;
  while (amps.size() < n) amps += "&#x1111111111111111111&amp";
  (void)html_to_text(amps);
  std::string hidden;
  while (hidden.size() < n) hidden += "<div style=display:none><div>";
  EXPECT_TRUE(html_to_text(hidden).text.empty());
  std::string attrs = "<a";
  while (attrs.size() < n) attrs += " href=x";
  EXPECT_EQ(html_to_text(attrs + ">t").links.size(), HtmlLimits{}.max_links > 0 ? 1u : 0u);
}

TEST(Html, Limits) {
  HtmlLimits lim;
  lim.max_text = 10;
  lim.max_links = 2;
  HtmlText h = html_to_text(
      "<a href=http://a.test>0123456789abcdef</a><a href=http://b.test></a>"
      "<a href=http://c.test></a>",
      lim);
  EXPECT_EQ(h.text, "0123456789");
  EXPECT_TRUE(h.truncated);
}

TEST(Url, Normalize) {
  struct Case {
    const char* in;
    const char* url;
    const char* host;
  };
  const Case cases[] = {
      {"HTTP://User:pw@WWW.Example.COM.:80/a?b#c", "http://www.example.com/a?b#c", "www.example.com"},
      {"https://example.com:443", "https://example.com/", "example.com"},
      {"https://example.com:8443/x", "https://example.com:8443/x", "example.com"},
      {"www.example.org/path", "http://www.example.org/path", "www.example.org"},
      {"//cdn.example.net/x.js", "http://cdn.example.net/x.js", "cdn.example.net"},
      {"http:\\\\evil.test\\path", "http://evil.test\\path", "evil.test"},
      {"http://%77%77%77.example.com/", "http://www.example.com/", "www.example.com"},
      {"http://3232235777/", "http://192.168.1.1/", "192.168.1.1"},
      {"http://0xC0.0xA8.0x1.1/", "http://192.168.1.1/", "192.168.1.1"},
      {"http://0300.0250.1.1/", "http://192.168.1.1/", "192.168.1.1"},
      {"http://b\xC3\xBC"
       "cher.example/",
       "http://xn--bcher-kva.example/", "xn--bcher-kva.example"},
      {"http://XN--BCHER-KVA.example/", "http://xn--bcher-kva.example/", "xn--bcher-kva.example"},
      {"http://\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95/", "http://xn--fsqu00a.xn--0zwm56d/",
       "xn--fsqu00a.xn--0zwm56d"},
      {"http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/", "[2001:db8::1]"},
      {" http://exa\tmple.com/\r\n", "http://example.com/", "example.com"},
  };
  for (const Case& c : cases) {
    Url u;
    ASSERT_TRUE(normalize_url(c.in, u)) << c.in;
    EXPECT_EQ(u.url, c.url) << c.in;
    EXPECT_EQ(u.host, c.host) << c.in;
  }
  for (const char* bad : {"mailto:a@b.test", "javascript:alert(1)", "cid:part1", "#top", "/relative",
                          "http://", "http://exa mple.com/", "http://a..b/", "http://x.test:80a/"}) {
    Url u;
    EXPECT_FALSE(normalize_url(bad, u)) << bad;
  }
}

TEST(Url, FindInText) {
  std::vector<Url> found;
  EXPECT_TRUE(
      find_urls("Visit https://Shop.Example.com/deal?id=1. Or www.example.org, (see http://x.test/a_(b)) "
                "and example.net/path too; mail me@mail.example.com; file.txt e.g. i.e. version 1.2.3 "
                "hxxp://no.test bare.co.uk!",
                found, 100));
  std::vector<std::string> urls;
  for (const Url& u : found) urls.push_back(u.url);
  std::vector<std::string> want = {"https://shop.example.com/deal?id=1", "http://www.example.org/",
                                   "http://x.test/a_(b)", "http://example.net/path", "http://bare.co.uk/"};
  EXPECT_EQ(urls, want);
  found.clear();
  EXPECT_FALSE(find_urls("a.com b.com c.com", found, 2));
  EXPECT_EQ(found.size(), 2u);
}

TEST(Url, FindIsLinear) {
  std::string s;
  while (s.size() < 4 * 1024 * 1024) s += "a.a.a.a.a.a-";
  std::vector<Url> found;
  find_urls(s, found, 10);
  s.assign(4 * 1024 * 1024, ')');
  s = "http://x.test/" + s;
  found.clear();
  find_urls(s, found, 10);
  EXPECT_EQ(found.size(), 1u);
}

}  // namespace
}  // namespace rampart::mime
