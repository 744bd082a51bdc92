#!/usr/bin/perl
# mail_dmarc_read.pl FILE.xml — reads a DMARC aggregate report with the peer
# implementation Mail::DMARC (Debian libmail-dmarc-perl: its
# Mail::DMARC::Report::Receive node readers, the code dmarc_receive uses) and
# prints what it read as flat lines, the format report_read_test.cc prints for
# rampart's reading, so the two can be compared line for line.
use strict;
use warnings;
use Mail::DMARC::Report::Receive;
use XML::LibXML;

my $file = shift or die "usage: $0 FILE.xml\n";
open my $fh, '<', $file or die "$file: $!\n";
my $xml = do { local $/; <$fh> };
my $r   = Mail::DMARC::Report::Receive->new;
my $dom = XML::LibXML->load_xml(string => $xml);
$r->do_node_report_metadata($dom->findnodes('/feedback/report_metadata'));
$r->do_node_policy_published($dom->findnodes('/feedback/policy_published'));
$r->do_node_record($_) for $dom->findnodes('/feedback/record');

my $agg = $r->report->aggregate;
my $m   = $agg->metadata;
my $p   = $agg->policy_published;
my $v   = sub { my $x = shift; defined $x ? $x : '' };
print "meta org=", $v->($m->org_name), " email=", $v->($m->email), " id=", $v->($m->report_id),
  " begin=", $v->($m->begin), " end=", $v->($m->end), "\n";
print "policy domain=", $v->($p->domain), " p=", $v->($p->p), "\n";
for my $rec (@{ $agg->record || [] }) {
  my $row = $rec->row;
  my $ip  = $row->source_ip;
  print "rec ip=$ip count=", $row->count, " disposition=", $row->policy_evaluated->disposition,
    " dkim=", $row->policy_evaluated->dkim, " spf=", $row->policy_evaluated->spf,
    " header_from=", $v->($rec->identifiers->header_from), "\n";
  for my $d (@{ $rec->auth_results->dkim || [] }) {
    print "dkim ip=$ip domain=", $v->($d->{domain}), " selector=", $v->($d->{selector}),
      " result=", $v->($d->{result}), "\n";
  }
  for my $s (@{ $rec->auth_results->spf || [] }) {
    print "spf ip=$ip domain=", $v->($s->{domain}), " result=", $v->($s->{result}), "\n";
  }
}
