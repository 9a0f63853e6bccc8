// The space-specific parts of one-shot search (oneshot_search.h) on a supernet
// (supernet_torch.h): drawing paths, their log-probability and entropy under a
// controller, Gumbel samples and mutations, so that the strategies stay generic. A path
// is the one-hot weights (rows x operations) of a valid architecture of the space; draws
// use libtorch's global generator, which the search seeds.
//
//   at::Tensor path = SampledPath(net, logits);                 // ENAS: draw
//   at::Tensor lp = PathLogProb(net, logits, path);             // REINFORCE: -(r - b) * lp
//   Architecture child = MutateArchitecture(net, parent);       // SPOS's evolution
//
// nb201: every edge draws its operation (uniformly, or from softmax(logits) of its row).
// darts: each node draws its two distinct inputs and their operations. Uniformly: two
// distinct earlier nodes, each with a uniform operation. From a controller: the node's
// rows form one softmax over (edge, operation); the first pair is drawn from it, the
// second from it with the first edge's row left out; a path's probability sums the two
// orders. A Gumbel sample perturbs every row (softmax((alpha + g) / tau)) and keeps, per
// node, the two edges DARTS's rule picks on the perturbed weights (ArchitectureFromWeights
// without `none`); the other rows are zero, so those edges compute nothing.
#pragma once

#include <torch/torch.h>

#include "nas/oneshot/supernet_torch.h"

namespace hone::nas {

// A uniformly random architecture's path.
at::Tensor UniformPath(const Supernet& net);

// A path drawn from controller logits (rows x operations).
at::Tensor SampledPath(const Supernet& net, const at::Tensor& logits);

// log P(path) under `logits`, differentiable in `logits`.
at::Tensor PathLogProb(const Supernet& net, const at::Tensor& logits, const at::Tensor& path);

// The controller's entropy (darts: of each node's first draw), differentiable.
at::Tensor PathEntropy(const Supernet& net, const at::Tensor& logits);

// A straight-through Gumbel sample at temperature `tau`: one-hot in value, the gradient of
// softmax((alpha + g) / tau) on the kept rows.
at::Tensor GumbelPath(const Supernet& net, const at::Tensor& alpha, double tau);

// `arch` with one random change that keeps it valid: nb201 one edge's operation; darts
// one edge of one cell gets a new operation or a new input (distinct from the node's
// other input).
Architecture MutateArchitecture(const Supernet& net, const Architecture& arch);

}  // namespace hone::nas
