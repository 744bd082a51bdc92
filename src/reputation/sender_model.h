// File: src/reputation/sender_model.h
// The sender model's weights (classify.h Feature order), fit on two of the
// simulator's worlds (enterprise held out) by
//   for w in isp_inbound mailbox_provider; do
//     reputation_sim --fit --weeks 3 --seed 11 --population $w --samples-out $w-11.csv
//     reputation_sim --fit --weeks 3 --seed 12 --population $w --no-verdicts --samples-out $w-12.csv
//   done
//   cat *-1[12].csv > all.csv && reputation_sim --fit --samples-in all.csv --lambda 1e-4
// (847,613 snapshots; at P(bad) >= 0.9 it calls 235 of 590,450 good
// snapshots and 204,349 of 257,163 bad ones bad; the free fit gave aligned,
// dmarc_pass and one_click positive weights, the base rates of worlds where
// most unauthenticated senders are small and harmless: they are pinned at
// 0, see weight_sign() in bench/reputation_sim.cc)
// (L2-regularised logistic regression, Newton's method with sign
// constraints, on labelled snapshots of the simulated identities). Paste
// its output here to refit.
#pragma once

namespace rampart::reputation {

inline constexpr double kSenderModelBias = -4.1503;
inline constexpr double kSenderModelWeights[] = {
    0.0000,   // aligned
    0.0000,   // dmarc_pass
    3.4533,   // auth_fail
    1.9680,   // bad_helo
    1.6323,   // no_fcrdns
    16.7159,  // bounces
    4.6604,   // complaints
    6.6601,   // traps
    10.1328,  // spam_verdicts
    0.0000,   // one_click
    1.4258,   // network
};

}  // namespace rampart::reputation
