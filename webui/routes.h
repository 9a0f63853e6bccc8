// The web server's routes, one group per file: experiments and trials (read_routes.cc),
// logs and exports (file_routes.cc), trial output files (output_routes.cc), series
// (series_routes.cc), live updates (live_routes.cc), actions (action_routes.cc) and the
// front end (asset_routes.cc).
#pragma once

#include <httplib.h>

#include "webui/http_util.h"

namespace hone::webui {

void AddReadRoutes(httplib::Server& server, ServerState& state);
void AddFileRoutes(httplib::Server& server, ServerState& state);
void AddOutputRoutes(httplib::Server& server, ServerState& state);
void AddSeriesRoutes(httplib::Server& server, ServerState& state);
void AddLiveRoutes(httplib::Server& server, ServerState& state);
void AddActionRoutes(httplib::Server& server, ServerState& state);
void AddAssetRoutes(httplib::Server& server, ServerState& state);

}  // namespace hone::webui
