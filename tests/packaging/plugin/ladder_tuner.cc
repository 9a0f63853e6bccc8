// A test tuner: suggests x = 0.125, 0.25, 0.375, ... for the one parameter `x`, so that
// a test can tell its trials from any other tuner's. Built through find_package(hone).
#include <string>

#include <hone/plugin.h>
#include <nlohmann/json.hpp>

// Outside an anonymous namespace on purpose: hone_add_plugin() must hide it all the same.
struct Ladder {
  std::string Handle(const std::string& text) {
    nlohmann::json req = nlohmann::json::parse(text, nullptr, false);
    if (req.is_discarded()) return R"({"error":"request is not JSON"})";
    if (req.value("type", "") != "suggest") return "{}";
    nlohmann::json configs = nlohmann::json::array();
    for (int i = 0; i < req.value("count", 1); ++i) configs.push_back({{"x", 0.125 * next++}});
    return nlohmann::json{{"configs", configs}}.dump();
  }

  int next = 1;
  std::string reply;  // owned here until the next call
};

void* hone_plugin_create(void) { return new Ladder(); }

const char* hone_plugin_call(void* p, const char* request) {
  auto* ladder = static_cast<Ladder*>(p);
  ladder->reply = ladder->Handle(request ? request : "");
  return ladder->reply.c_str();
}

void hone_plugin_destroy(void* p) { delete static_cast<Ladder*>(p); }
