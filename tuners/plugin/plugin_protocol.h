// The plugin protocol: how hone talks to a tuner or assessor written in any language.
// One JSON request, one JSON reply, strictly alternating; the same messages travel over
// both transports (a shared library in-process, or a command's stdin/stdout).
//
// Requests (hone -> plugin) and replies (plugin -> hone):
//   {"type":"init","kind":"tuner"|"assessor","search_space":{NNI format},"class_args":{...},
//    "seed":N,"optimize_mode":"maximize"|"minimize"}              -> {}
//   {"type":"suggest","count":N}     -> {"configs":[{...},...]}  (fewer than N, even none,
//                                       is fine) or {"exhausted":true} when nothing is left
//   {"type":"update","completed":[trial...],"active":[trial...]} -> {}
//   {"type":"assess","trial":trial,"finished":[trial...]}        -> {"verdict":"continue"|"stop"}
//   {"type":"shutdown"}              -> anything (the reply is not awaited by commands)
// Any reply may instead be {"error":"message"}: the experiment fails with that message.
// init is the first request; tuners get suggest/update, assessors get assess.
// `update` delivers each finished trial once; after a resume the first update holds every
// finished trial and the re-run configurations as active (see tuners/tuner.h).
//
// A trial: {"seq":N,"config_id":N,"status":"succeeded"|"failed"|...,"params":{...},
//           "final":number|null|"NaN"|"Infinity"|"-Infinity",
//           "metrics":{"default":...,"loss":...}|null  (the whole final report),
//           "intermediate":[[step,value],...]}
// A plugin tuner's init gets the search space as the config wrote it, parameters of
// types hone does not know included; its configurations need only be JSON objects.
// JSON has no NaN or infinities: they travel as the strings "NaN", "Infinity" and
// "-Infinity"; a missing final value is null.
//
// Transports:
// - Shared library (in-process, loaded with dlopen), a stable C ABI:
//     void*       hone_plugin_create(void);                 // new instance (may be NULL)
//     const char* hone_plugin_call(void* p, const char* request_json);
//     void        hone_plugin_destroy(void* p);
//   The returned string belongs to the plugin and stays valid until the next call on
//   the same instance or its destruction. Calls come from one thread at a time.
// - Command (out-of-process): run with /bin/sh -c in its own process group, one request
//   per line on stdin, one reply per line on stdout (stderr passes through). A reply not
//   within the timeout (60 s by default), garbage, or the process exiting fails the
//   experiment with a message naming the plugin. The process group is killed at the end.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search_space.h"
#include "core/status.h"
#include "core/trial_record.h"

namespace hone::plugin {

enum class PluginKind { kTuner, kAssessor };
std::string_view PluginKindName(PluginKind kind);  // "tuner", "assessor"

// A number as the protocol carries it: finite numbers as numbers, the rest as strings.
nlohmann::json EncodeNumber(double v);
// The inverse; accepts numbers, null (-> nullopt) and the three strings.
std::optional<double> DecodeNumber(const nlohmann::json& j);

nlohmann::json EncodeTrial(const TrialRecord& trial);
nlohmann::json EncodeTrials(std::span<const TrialRecord> trials);

nlohmann::json InitRequest(PluginKind kind, const nlohmann::json& search_space,
                           const nlohmann::json& class_args, uint64_t seed, OptimizeMode mode);
nlohmann::json SuggestRequest(int count);
nlohmann::json UpdateRequest(std::span<const TrialRecord> completed, std::span<const TrialRecord> active);
nlohmann::json AssessRequest(const TrialRecord& trial, std::span<const TrialRecord> finished);

// Parses one reply line: must be a JSON object; {"error":...} becomes a Status.
StatusOr<nlohmann::json> ParseReply(const std::string& text);

struct SuggestReply {
  std::vector<nlohmann::json> configs;
  bool exhausted = false;
};
StatusOr<SuggestReply> DecodeSuggestReply(const nlohmann::json& reply);
// True for stop.
StatusOr<bool> DecodeVerdictReply(const nlohmann::json& reply);

}  // namespace hone::plugin
