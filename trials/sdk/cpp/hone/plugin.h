/* hone plugin ABI for C and C++: the three functions a tuner or assessor shared library
 * exports so that `tuner: {plugin: libmy_tuner.so}` (or `hone algo register --library`)
 * can load it with dlopen. Including this header checks the definitions against hone's
 * signatures and exports them even when the library hides its other symbols
 * (-fvisibility=hidden, as hone_add_plugin() in hone's CMake package sets).
 *
 *   #include <hone/plugin.h>
 *   void* hone_plugin_create(void) { return new MyTuner; }
 *   const char* hone_plugin_call(void* p, const char* request) {
 *     return static_cast<MyTuner*>(p)->Handle(request);   // one JSON reply
 *   }
 *   void hone_plugin_destroy(void* p) { delete static_cast<MyTuner*>(p); }
 *
 * The messages (init, suggest, update, assess, shutdown) are JSON objects, one request and
 * one reply per call; any reply may be {"error": "..."}, which fails the experiment with
 * that message. The reply string belongs to the plugin and must stay valid until the next
 * call on the same instance. hone calls an instance from one thread at a time.
 */
#ifndef HONE_PLUGIN_H_
#define HONE_PLUGIN_H_

#define HONE_PLUGIN_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* A new instance, one per experiment (NULL fails the experiment). */
HONE_PLUGIN_EXPORT void* hone_plugin_create(void);
/* One JSON request in, one JSON reply out (owned by the plugin). */
HONE_PLUGIN_EXPORT const char* hone_plugin_call(void* plugin, const char* request_json);
/* Frees an instance made by hone_plugin_create. */
HONE_PLUGIN_EXPORT void hone_plugin_destroy(void* plugin);

#ifdef __cplusplus
}
#endif

#endif /* HONE_PLUGIN_H_ */
