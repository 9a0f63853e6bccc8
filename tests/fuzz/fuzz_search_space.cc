// Fuzzes the search-space parser (core/search_space.h) both ways it is fed: YAML or JSON
// text through ConfigNode::Parse and SearchSpace::Parse (a config's `searchSpace`), and
// JSON through SearchSpace::FromJson (a stored config, a tool handing a space over).
// Beyond "no crash": every draw of an accepted space lies inside it (Contains), and its
// NNI JSON form dumps and reads back as the same space.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "core/config_node.h"
#include "core/search_space.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using nlohmann::json;

std::string DumpOrFail(const json& value, const std::string& what, const std::string& text) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    hone::fuzz::Fail(what + " does not dump as JSON: " + e.what(), text);
  }
}

void CheckSpace(const hone::SearchSpace& space, const std::string& text) {
  (void)space.DiscreteSize();
  const json nni = space.ToJson();
  const std::string dumped = DumpOrFail(nni, "an accepted space", text);
  auto again = hone::SearchSpace::FromJson(json::parse(dumped));
  if (!again.ok()) hone::fuzz::Fail("an accepted space does not read back: " + again.status().message(), dumped);
  if (again->ToJson() != nni) hone::fuzz::Fail("an accepted space reads back as another space", dumped);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 4; ++i) {
    const json config = space.Sample(rng);
    std::string why;
    if (!space.Contains(config, &why))
      hone::fuzz::Fail("a draw lies outside its space: " + why, dumped + "\n  draw: " + config.dump(-1, ' ', false, json::error_handler_t::replace));
    DumpOrFail(config, "a draw", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  hone::Diagnostics diag;
  if (auto node = hone::ConfigNode::Parse(text, "space.yaml", diag)) {
    auto space = hone::SearchSpace::Parse(*node, "searchSpace", diag);
    if (space && !diag.has_errors()) CheckSpace(*space, text);
  }

  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) {
    auto space = hone::SearchSpace::FromJson(parsed);
    if (space.ok()) CheckSpace(*space, text);
  }
  return 0;
}
