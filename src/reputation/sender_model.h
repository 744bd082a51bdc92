// File: src/reputation/sender_model.h
// The sender model's weights (classify.h Feature order), fit by
//   reputation_sim --fit --lambda 1e-4 --weeks 3 --seed 1,2
// (291,720 snapshots; at P(bad) >= 0.9 it calls 0 of 75,421 good snapshots
// and 201,684 of 216,299 bad ones bad)
// (bench/reputation_sim.cc: L2-regularised logistic regression, Newton's
// method, on labelled snapshots of the simulated identities). Paste its
// output here to refit.
#pragma once

namespace rampart::reputation {

inline constexpr double kSenderModelBias = -4.0967;
inline constexpr double kSenderModelWeights[] = {
    0.6875,   // aligned
    -1.2255,  // dmarc_pass
    2.7306,   // auth_fail
    1.9792,   // bad_helo
    3.8513,   // no_fcrdns
    13.0663,  // bounces
    8.7338,   // complaints
    5.5823,   // traps
    6.1794,   // spam_verdicts
    -2.3108,  // one_click
    1.0816,   // network
};

}  // namespace rampart::reputation
