#!/usr/bin/perl
# bench/classify/sa_bayes.pl -- SpamAssassin's Bayes classifier alone, TREC
# immediate feedback, in one process (SpamAssassin's start-up costs seconds).
#
#   perl sa_bayes.pl DIR < index      # index lines: "spam PATH" / "ham PATH" (absolute)
#
# Writes "score label" per message, in order: the Bayes probability before
# learning the message, then learns its true label (sa-learn's code path).
# Only the Bayes rule runs (no network tests, no other rules); Bayes answers
# from the first learned message (bayes_min_{ham,spam}_num 1), as in
# shared/docs/ANCHORS.md. DIR holds the Bayes database and the config.
use strict;
use warnings;
use Mail::SpamAssassin;

my $dir = shift or die "usage: sa_bayes.pl DIR < index\n";
mkdir $dir;
mkdir "$dir/rules";
open(my $cf, '>', "$dir/rules/bayes.cf") or die;
print $cf <<CF;
loadplugin Mail::SpamAssassin::Plugin::Check
loadplugin Mail::SpamAssassin::Plugin::Bayes
util_rb_2tld example.invalid
use_bayes 1
bayes_auto_learn 0
bayes_min_ham_num 1
bayes_min_spam_num 1
bayes_path $dir/bayes
bayes_learn_during_report 0
use_bayes_rules 1
body BAYES_ANY eval:check_bayes('0.00', '1.00')
score BAYES_ANY 0.001
CF
close $cf;
my $sa = Mail::SpamAssassin->new({
  rules_filename => "$dir/rules",
  site_rules_filename => "$dir/rules",
  userprefs_filename => "$dir/user_prefs",
  userstate_dir => $dir,
  local_tests_only => 1,
  dont_copy_prefs => 1,
});
$sa->init(1);
$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($label, $path) = split(/\s+/, $line, 2);
  next unless defined $path;
  open(my $fh, '<', $path) or die "cannot open $path\n";
  local $/;
  my $raw = <$fh>;
  close $fh;
  my $msg = $sa->parse($raw);
  my $status = $sa->check($msg);
  my $p = $status->{bayes_score};
  $p = 0.5 unless defined $p;
  $status->finish();
  $sa->learn($msg, undef, $label eq 'spam' ? 1 : 0, 0);
  $msg->finish();
  printf "%.9f %s\n", $p, $label;
}
$sa->finish_learner();
