// The in-process transport: a shared library exporting the C ABI of plugin_protocol.h.
#include <dlfcn.h>

#include "tuners/plugin/plugin_channel.h"
#include "tuners/plugin/plugin_protocol.h"

namespace hone::plugin {
namespace {

using CreateFn = void* (*)();
using CallFn = const char* (*)(void*, const char*);
using DestroyFn = void (*)(void*);

class LibraryChannel : public PluginChannel {
 public:
  LibraryChannel(void* handle, CallFn call, DestroyFn destroy, void* instance)
      : handle_(handle), call_(call), destroy_(destroy), instance_(instance) {}
  ~LibraryChannel() override {
    if (destroy_) destroy_(instance_);
    dlclose(handle_);
  }

  StatusOr<nlohmann::json> Call(const nlohmann::json& request) override {
    std::string text = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const char* reply = call_(instance_, text.c_str());
    if (!reply) return Internal("returned no reply (NULL)");
    return ParseReply(reply);
  }

 private:
  void* handle_;
  CallFn call_;
  DestroyFn destroy_;
  void* instance_;
};

}  // namespace

StatusOr<std::unique_ptr<PluginChannel>> OpenLibraryChannel(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return IoError("cannot load library: " + std::string(why ? why : "unknown error"));
  }
  auto call = reinterpret_cast<CallFn>(dlsym(handle, "hone_plugin_call"));
  if (!call) {
    dlclose(handle);
    return IoError("library does not export hone_plugin_call");
  }
  auto create = reinterpret_cast<CreateFn>(dlsym(handle, "hone_plugin_create"));
  auto destroy = reinterpret_cast<DestroyFn>(dlsym(handle, "hone_plugin_destroy"));
  void* instance = create ? create() : nullptr;
  return std::unique_ptr<PluginChannel>(new LibraryChannel(handle, call, destroy, instance));
}

}  // namespace hone::plugin
