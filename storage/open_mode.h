// How the storage classes open an SQLite file (SqliteStorage, TrialQuery's migration
// step). Kept apart from storage/sqlite_util.h so that callers outside storage/ never
// see the SQLite C API.
#pragma once

namespace hone {

enum class OpenMode {
  kReadWriteCreate,  // create the file (and its schema) when missing or empty: only for a new one
  kReadWrite,        // the file must exist and hold a schema (an empty file is refused unwritten)
  kReadOnly,         // the file must exist; every write fails with FailedPrecondition. Opens
                     // with SQLite's immutable flag when the folder cannot be written to
};

// The path that opens a private in-memory database (SQLite's name for it): nothing
// touches the disk, nothing survives the connection, no other process sees it. It
// works with kReadWriteCreate and kReadWrite.
inline constexpr const char* kInMemoryPath = ":memory:";

}  // namespace hone
