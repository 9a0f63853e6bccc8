// How config keys are spelled. As in NNI, a key matches a known name ignoring case and
// underscores, so `trial_command`, `TrialCommand` and `trialCommand` are one key. Each
// section's map is rewritten with its known keys spelled canonically before it is read,
// so readers, stored configs and messages see only the canonical names.
//
//   ConfigNode m = CanonicalKeys(node, {"trialCommand", "trialConcurrency"}, "", diag);
//   m.Find("trialCommand");  // found whether the file said trial_command or trialCommand
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config_node.h"
#include "core/diagnostics.h"

namespace hone {

// `key` lowercased with its underscores dropped: "trial_command" -> "trialcommand".
std::string FoldKey(std::string_view key);

// The entry of `known` that `key` folds to, or nullptr.
const std::string* MatchKey(std::string_view key, const std::vector<std::string>& known);

// A copy of `map` whose keys that fold to a name in `known` are spelled as that name;
// other keys stay as written (so that "unknown key" errors show them as written). Two
// keys that fold to the same known name are an error at the later one, which is
// dropped. A node that is not a map comes back unchanged.
ConfigNode CanonicalKeys(const ConfigNode& map, const std::vector<std::string>& known, const std::string& path,
                         Diagnostics& diag);

// The name in `known` closest to `key` ignoring case and underscores, or "".
std::string DidYouMeanKey(const std::string& key, const std::vector<std::string>& known);

}  // namespace hone
