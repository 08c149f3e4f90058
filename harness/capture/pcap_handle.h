// The one owner of a libpcap handle: move-only, moved-from holds nullptr, pcap_close on destruction.
#pragma once

#include <pcap/pcap.h>

namespace sockspec::capture {

class PcapHandle {
 public:
  PcapHandle() = default;
  explicit PcapHandle(pcap_t* handle) noexcept : m_handle(handle) {}
  PcapHandle(PcapHandle&& other) noexcept : m_handle(other.release()) {}
  PcapHandle& operator=(PcapHandle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  PcapHandle(const PcapHandle&) = delete;
  PcapHandle& operator=(const PcapHandle&) = delete;
  ~PcapHandle() { reset(); }

  pcap_t* get() const noexcept { return m_handle; }
  explicit operator bool() const noexcept { return m_handle != nullptr; }
  // Gives up ownership without closing.
  [[nodiscard]] pcap_t* release() noexcept {
    pcap_t* handle = m_handle;
    m_handle = nullptr;
    return handle;
  }
  // Closes the current handle (if any) and owns `handle` instead.
  void reset(pcap_t* handle = nullptr) noexcept;

 private:
  pcap_t* m_handle = nullptr;
};

}  // namespace sockspec::capture
