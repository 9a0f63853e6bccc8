// The schemas of the experiment database (hone.db) and the registry (registry.db) as
// ordered migrations. PRAGMA user_version holds the version a file is at; opening it
// applies the missing migrations in one transaction.
//
// To change a schema, append a migration with the next version; never edit one that
// has shipped. Example: {2, "ALTER TABLE trials ADD COLUMN gpu TEXT"}.
#pragma once

#include <span>
#include <string_view>

#include <sqlite3.h>

#include "core/status.h"

namespace hone {

struct Migration {
  int version;           // 1, 2, 3, ... without gaps
  std::string_view sql;  // statements that bring version-1 to version
};

std::span<const Migration> ExperimentMigrations();
std::span<const Migration> RegistryMigrations();

// The version a database reaches after all of `migrations`.
int LatestVersion(std::span<const Migration> migrations);

// Brings `db` to LatestVersion(migrations): applies the missing migrations and sets
// user_version in one IMMEDIATE transaction, so two processes opening the same file
// migrate it once. Fails with FailedPrecondition when the file is newer than
// `migrations` know (written by a newer hone), or when it is older and `read_only`.
// REQUIRES: no transaction open on `db`.
Status Migrate(sqlite3* db, std::span<const Migration> migrations, bool read_only);

}  // namespace hone
