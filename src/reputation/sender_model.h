// File: src/reputation/sender_model.h
// The sender model's weights (classify.h Feature order), fit by
//   reputation_sim --fit --seed 1,2,3
// (bench/reputation_sim.cc: L2-regularised logistic regression, Newton's
// method, on labelled snapshots of the simulated identities). Paste its
// output here to refit.
#pragma once

namespace rampart::reputation {

inline constexpr double kSenderModelBias = 0.4898;
inline constexpr double kSenderModelWeights[] = {
    -1.2110,  // aligned
    -3.3116,  // dmarc_pass
    1.2499,   // auth_fail
    0.9345,   // bad_helo
    1.4131,   // no_fcrdns
    1.8358,   // bounces
    5.0421,   // complaints
    2.0165,   // traps
    2.3172,   // spam_verdicts
    -1.0985,  // one_click
    0.8569,   // network
};

}  // namespace rampart::reputation
