// jsonrpc_dispatch.cpp: decode, dispatch every item, gather a batch's replies.
#include "mi/codec/jsonrpc_dispatch.h"

#include <mutex>

#include "mi/codec/jsonrpc.h"

namespace sb::mi {

namespace {

// Collects the item replies of a batch; the last item to finish sends the whole reply.
struct Batch {
  std::mutex mu;
  std::vector<std::string> replies;
  std::size_t remaining = 0;
  JsonRpcDone done;
  void add(std::optional<std::string> reply) {
    std::vector<std::string> all;
    {
      std::lock_guard lk(mu);
      if (reply) replies.push_back(std::move(*reply));
      if (--remaining > 0) return;
      all = std::move(replies);
    }
    std::string out = render_jsonrpc_batch(all);
    done(out.empty() ? std::nullopt : std::optional<std::string>(std::move(out)));
  }
};

}  // namespace

void dispatch_jsonrpc(Dispatcher& dispatcher, std::string_view text, const Caller& caller,
                      JsonRpcDone done) {
  JsonRpcMessage msg = decode_jsonrpc(text);
  if (msg.error) {
    done(render_jsonrpc(*msg.error, nullptr));
    return;
  }
  std::shared_ptr<Batch> batch;
  if (msg.batch) {
    batch = std::make_shared<Batch>();
    batch->remaining = msg.items.size();
    batch->done = std::move(done);
  }
  for (JsonRpcItem& item : msg.items) {
    auto deliver = [batch, single = batch ? JsonRpcDone() : done](std::optional<std::string> r) {
      if (batch) batch->add(std::move(r));
      else single(std::move(r));
    };
    if (item.error) {
      deliver(render_jsonrpc(*item.error, item.id));
      continue;
    }
    item.request.caller = caller;
    dispatcher.call(std::move(item.request),
                    [deliver, id = item.id, notification = item.notification](Result res) {
                      deliver(notification ? std::nullopt
                                           : std::optional<std::string>(render_jsonrpc(res, id)));
                    });
  }
}

}  // namespace sb::mi
