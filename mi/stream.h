// stream.h: a reply whose one long array is produced a slice at a time (issue #16: `ul_dump` of a
// million AORs, long CDR lists) instead of being built whole as one Value tree.
//
// Purpose: a handler returns a Streamed — the reply with that array empty (the skeleton), the
// array's JSON Pointer, and an ItemSource that yields its items in order. A transport that can
// write a reply in pieces renders it with mi/render/chunked.h (the memory held is one slice and
// one rendered piece); anything else reads Result::value(), which drains the source into the
// skeleton first (the whole tree, as before).
// Threading: an ItemSource is used by one thread at a time (the transport's), never concurrently;
// a source over engine state hands each slice to the engine thread itself (gateway/).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mi/value.h"

namespace sb::mi {

class ItemSource {
 public:
  virtual ~ItemSource() = default;
  /// Appends the next slice of items to `out`; false when none are left (nothing appended).
  /// Throws std::exception when the rest cannot be produced (the engine stopped …): the reply
  /// is cut short, and a transport ends it so that the client sees it incomplete.
  virtual bool next(std::vector<Value>& out) = 0;
};

struct Streamed {
  Value skeleton;       ///< the whole reply, with the long array present and empty
  std::string pointer;  ///< JSON Pointer of that array in the skeleton, e.g. "/Domains/0/AORs"
  std::shared_ptr<ItemSource> items;
};

/// Pulls every item into the skeleton's array: the reply as one Value.
Value materialize(Streamed s);

}  // namespace sb::mi
