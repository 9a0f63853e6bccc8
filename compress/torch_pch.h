// The precompiled header of every libtorch translation unit in hone.
#pragma once

#include <torch/script.h>
#include <torch/torch.h>
