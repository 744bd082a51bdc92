// File: src/reputation/sender_model.h
// The sender model's weights (classify.h Feature order), fit by
//   reputation_sim --fit --lambda 1e-4 --weeks 3 --seed 1,2
// (291,720 snapshots; at P(bad) >= 0.9 it calls 18 of 75,421 good snapshots
// and 205,713 of 216,299 bad ones bad)
// (bench/reputation_sim.cc: L2-regularised logistic regression, Newton's
// method, on labelled snapshots of the simulated identities). Paste its
// output here to refit.
#pragma once

namespace rampart::reputation {

inline constexpr double kSenderModelBias = -4.2459;
inline constexpr double kSenderModelWeights[] = {
    0.1944,   // aligned
    -1.3977,  // dmarc_pass
    2.7331,   // auth_fail
    2.4785,   // bad_helo
    3.7809,   // no_fcrdns
    10.6666,  // bounces
    8.6499,   // complaints
    4.8632,   // traps
    5.5290,   // spam_verdicts
    -1.7545,  // one_click
    1.2349,   // network
};

}  // namespace rampart::reputation
