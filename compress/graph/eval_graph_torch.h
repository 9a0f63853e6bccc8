// The forward graph of a TorchScript module as compression reads it: submodule calls
// inlined and specialized to the module as it is (`training` false, plain attributes as
// their values, branches on them folded), so that eval-mode code is a straight line of
// ops. BuildLayerGraph names its nodes by this graph's values, and GraphProbe runs it, so
// that a LayerNode's value ("%input.5") is found in the probe by name.
#pragma once

#include <memory>
#include <string>

#include <torch/script.h>

namespace hone::compress {

std::shared_ptr<torch::jit::Graph> EvalGraph(torch::jit::Module& module);

// Replaces the body of `module`'s forward with `graph` (an EvalGraph, rewritten: the same
// inputs and one output), so that the module saves and runs with the rewritten code.
void InstallForwardGraph(torch::jit::Module& module, torch::jit::Graph& graph);

// The attribute path of a value read from `self` in such a graph ("layer1.b0.conv1.weight"),
// or "" when it is not read from `self`.
std::string AttrPath(const torch::jit::Value* v, const torch::jit::Value* self);

}  // namespace hone::compress
