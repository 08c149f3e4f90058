#include "net/call_observer.h"

#include <atomic>

namespace sockspec::net {

namespace {
std::atomic<CallObserver*> g_observer{nullptr};
}

void setCallObserver(CallObserver* observer) { g_observer.store(observer, std::memory_order_release); }
CallObserver* currentCallObserver() { return g_observer.load(std::memory_order_acquire); }

}  // namespace sockspec::net
