#include "capture/pcap_handle.h"

namespace sockspec::capture {

void PcapHandle::reset(pcap_t* handle) noexcept {
  if (m_handle != nullptr && m_handle != handle) ::pcap_close(m_handle);
  m_handle = handle;
}

}  // namespace sockspec::capture
