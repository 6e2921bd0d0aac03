// Plain Verilator C++ harness for the whole NIC: TX queue 0 -> MAC loopback -> RX steering ->
// RX queue 0, with the host-memory model and AXI4-Lite master of axi_host.h. No cocotb, no VPI,
// no Python: the speed limit every co-simulation figure is held against.
//
//   nic_bench [--frames N] [--seed S] [--json] [--window W] [--ring-log2 L]
//
// Sends N Ethernet frames of seeded pseudo-random sizes 60..9000 (EtherType 0x88B5, so no
// checksum or parse work matters), each split into fragments of at most 4 KiB that do not cross
// a 4 KiB page, keeps the TX ring topped up (at most W frames between posting and reception, so
// the RX ring never runs dry) and the RX ring refilled, driver-style: completions are found by
// polling the completion rings' phase bits in host memory (every cycle: it is C++), the only
// MMIO on the fast path is the doorbell write. Every received frame is checked byte-exact and in
// order against what was sent, and the statistics registers against the counts at the end.
//
// Prints cycles, wall seconds, cycles per second, frames, bytes and frames per wall second; with
// --json one JSON line {"cycles", "wall_s", "cycles_per_s", "frames", "bytes", "frames_per_s",
// "data_width", "errors"} instead. Exit 1 on any error (wrong byte, bad completion, stall).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "axi_host.h"
#include "zcnic_abi.h"

namespace {

// Host memory: 64 MiB in the top of the 32-bit bus space, as IOVAs are.
constexpr uint32_t kBase = 0xFC000000u;
constexpr uint64_t kSize = 64ull << 20;
constexpr uint32_t kPage = 4096;
constexpr uint32_t kTxRing = kBase + 0x00000;    // <= 1024 x 16 B
constexpr uint32_t kTxCq = kBase + 0x04000;      // <= 1024 x 16 B
constexpr uint32_t kRxRing = kBase + 0x08000;    // <= 1024 x 16 B
constexpr uint32_t kRxCq = kBase + 0x10000;      // <= 1024 x 32 B
constexpr uint32_t kRxHdr = kBase + 0x20000;     // header buffers, kHdrSize per RX slot (unused: no split)
constexpr uint32_t kRxData = kBase + 0x100000;   // data buffers, kBufSize per RX slot
constexpr uint32_t kTxBufs = kBase + 0x800000;   // frame buffers, kTxSlotBytes per TX slot
constexpr uint32_t kBufSize = 4096;
constexpr uint32_t kHdrSize = 256;
constexpr uint32_t kTxSlotBytes = 4 * kPage;      // a 9000-byte frame at any page offset fits
constexpr uint32_t kMaxRingLog2 = 10;
constexpr uint32_t kTxSlots = 1024;               // > any window: a slot is free again long before reuse
constexpr uint32_t kMinFrame = 60, kMaxFrame = 9000;
constexpr uint16_t kEtherType = 0x88B5;          // local experimental: no IP parse, no checksums
static_assert(kTxBufs + uint64_t(kTxSlots) * kTxSlotBytes <= kBase + kSize, "TX buffers outside the memory");
static_assert(kRxData + (uint64_t(1) << kMaxRingLog2) * kBufSize <= kTxBufs, "RX buffers overlap");

constexpr uint32_t txq0(uint32_t reg) { return ZCNIC_QUEUE_TXQ_BASE + reg; }
constexpr uint32_t rxq0(uint32_t reg) { return ZCNIC_QUEUE_RXQ_BASE + reg; }
constexpr uint32_t field(uint32_t v, int lsb, int width) { return (v >> lsb) & ((1u << width) - 1); }

struct Rng {  // splitmix64: deterministic for a seed on every platform
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint32_t below(uint32_t n) { return uint32_t(next() % n); }
};

struct TxFrame {
    uint32_t seq;
    uint32_t len;
    uint32_t frags;
    uint16_t eopIndex;
};

class Driver {
  public:
    Driver(zcnic::AxiHost& h, uint32_t frames, uint64_t seed, uint32_t window, uint32_t ringLog2)
        : h_(h), frames_(frames), window_(window), ringLog2_(ringLog2), ring_(1u << ringLog2), rng_{seed} {}

    void probe() {
        if (h_.mmioRead(ZCNIC_REG_ID) != ZCNIC_ID) h_.fail("ID register is not 'ZCNC'");
        const uint32_t feats = h_.mmioRead(ZCNIC_REG_FEATURES);
        const uint32_t need = ZCNIC_FEATURE_TX_QUEUES | ZCNIC_FEATURE_RX_QUEUES | ZCNIC_FEATURE_LOOPBACK;
        if ((feats & need) != need) {
            std::fprintf(stderr, "harness: FEATURES 0x%08x lacks TX_QUEUES/RX_QUEUES/LOOPBACK\n", feats);
            h_.fail("nic_top has no queue engines");
        }
        const uint32_t params = h_.mmioRead(ZCNIC_REG_PARAMS);
        if (field(params, ZCNIC_PARAMS_DATA_BYTES_LSB, ZCNIC_PARAMS_DATA_BYTES_WIDTH) != uint32_t(zcnic::AxiHost::kLanes))
            h_.fail("PARAMS.DATA_BYTES differs from the data bus width");
        const uint32_t p2 = h_.mmioRead(ZCNIC_REG_PARAMS2);
        const uint32_t maxRing = field(p2, ZCNIC_PARAMS2_MAX_RING_LOG2_LSB, ZCNIC_PARAMS2_MAX_RING_LOG2_WIDTH);
        maxFrags_ = field(p2, ZCNIC_PARAMS2_MAX_FRAGS_LSB, ZCNIC_PARAMS2_MAX_FRAGS_WIDTH);
        if (field(p2, ZCNIC_PARAMS2_TX_QUEUES_LSB, ZCNIC_PARAMS2_TX_QUEUES_WIDTH) < 1 ||
            field(p2, ZCNIC_PARAMS2_RX_QUEUES_LSB, ZCNIC_PARAMS2_RX_QUEUES_WIDTH) < 1)
            h_.fail("PARAMS2 reports no TX or no RX queue");
        if (ringLog2_ > maxRing) {
            std::fprintf(stderr, "harness: ring of 2^%u entries, PARAMS2.MAX_RING_LOG2 is %u\n", ringLog2_, maxRing);
            h_.fail("ring too large for this build");
        }
        if (maxFrags_ < 4) h_.fail("PARAMS2.MAX_FRAGS < 4: a 9000-byte frame at a page offset needs 4 fragments");
    }

    void setup() {
        h_.mmioWrite(ZCNIC_REG_MAC_CTRL, 1u << ZCNIC_MAC_CTRL_LOOPBACK_LSB);
        // steering: every frame to RX queue 0 (RSS table all 0, default queue 0; filters untouched)
        const uint32_t entries = h_.mmioRead(ZCNIC_STEER_BASE + ZCNIC_STEER_RSS_ENTRIES);
        for (uint32_t w = 0; w < (entries + 3) / 4; ++w) h_.mmioWrite(ZCNIC_STEER_BASE + ZCNIC_STEER_RETA + 4 * w, 0);
        h_.mmioWrite(ZCNIC_STEER_BASE + ZCNIC_STEER_DEFAULT_QUEUE, 0);

        h_.mmioWrite(txq0(ZCNIC_QREG_RING_BASE), kTxRing);
        h_.mmioWrite(txq0(ZCNIC_QREG_CQ_BASE), kTxCq);
        h_.mmioWrite(txq0(ZCNIC_QREG_SIZE_LOG2), ringLog2_);
        h_.mmioWrite(txq0(ZCNIC_QREG_CTRL), 1u << ZCNIC_Q_CTRL_ENABLE_LSB);

        h_.mmioWrite(rxq0(ZCNIC_QREG_RING_BASE), kRxRing);
        h_.mmioWrite(rxq0(ZCNIC_QREG_CQ_BASE), kRxCq);
        h_.mmioWrite(rxq0(ZCNIC_QREG_SIZE_LOG2), ringLog2_);
        h_.mmioWrite(rxq0(ZCNIC_QREG_BUF_SIZE), kBufSize);
        h_.mmioWrite(rxq0(ZCNIC_QREG_HDR_SIZE), kHdrSize);
        h_.mmioWrite(rxq0(ZCNIC_QREG_CTRL), 1u << ZCNIC_Q_CTRL_ENABLE_LSB);  // HDR_SPLIT off
        for (uint32_t i = 0; i < ring_; ++i) postRx();
        h_.mmioWrite(rxq0(ZCNIC_QREG_PROD), rxProd_ & 0xFFFF);
    }

    /** The traffic phase: returns when every frame is received and every TX completion seen. */
    void run() {
        uint64_t lastProgress = h_.cycles();
        while (rxFrames_ < frames_ || txDone_ < frames_) {
            h_.tick();
            bool progress = false;
            if (pollTx()) progress = true;
            if (pollRx()) {
                progress = true;
                h_.mmioWrite(rxq0(ZCNIC_QREG_PROD), rxProd_ & 0xFFFF);
            }
            if (postTx()) {
                progress = true;
                h_.mmioWrite(txq0(ZCNIC_QREG_PROD), txProd_ & 0xFFFF);
            }
            if (progress) {
                lastProgress = h_.cycles();
            } else if (h_.cycles() - lastProgress > kStallCycles) {
                std::fprintf(stderr, "harness: no completion for %llu cycles: sent %u, TX completions %u, received %u of %u\n",
                             static_cast<unsigned long long>(kStallCycles), sent_, txDone_, rxFrames_, frames_);
                dumpState();
                h_.fail("stalled");
            }
        }
    }

    /** Statistics registers against the counts; run a little first so the counters settle. */
    void checkStats() {
        for (int i = 0; i < 200; ++i) h_.tick();
        struct Want {
            const char* name;
            uint32_t reg;
            uint32_t value;
        };
        const Want want[] = {
            {"STAT_TX_FRAMES", ZCNIC_REG_STAT_TX_FRAMES, frames_},
            {"STAT_TX_BYTES", ZCNIC_REG_STAT_TX_BYTES, uint32_t(bytes_)},
            {"STAT_TX_DROP_ERR", ZCNIC_REG_STAT_TX_DROP_ERR, 0},
            {"STAT_RX_FRAMES", ZCNIC_REG_STAT_RX_FRAMES, frames_},
            {"STAT_RX_BYTES", ZCNIC_REG_STAT_RX_BYTES, uint32_t(bytes_)},
            {"STAT_RX_DROP_NODESC", ZCNIC_REG_STAT_RX_DROP_NODESC, 0},
            {"STAT_RX_DROP_FILTER", ZCNIC_REG_STAT_RX_DROP_FILTER, 0},
            {"STAT_RX_DROP_QUEUE", ZCNIC_REG_STAT_RX_DROP_QUEUE, 0},
            {"STAT_RX_DROP_BAD", ZCNIC_REG_STAT_RX_DROP_BAD, 0},
            {"STAT_RX_DROP_DMA", ZCNIC_REG_STAT_RX_DROP_DMA, 0},
            {"STAT_DMA_ERRORS", ZCNIC_REG_STAT_DMA_ERRORS, 0},
            {"QUEUE_ERRORS", ZCNIC_REG_QUEUE_ERRORS, 0},
        };
        for (const Want& w : want) {
            const uint32_t got = h_.mmioRead(w.reg);
            if (got != w.value) error("%s = %u, expected %u", w.name, got, w.value);
        }
    }

    uint32_t frames() const { return rxFrames_; }
    uint64_t bytes() const { return bytes_; }
    uint64_t errors() const { return errors_; }

  private:
    static constexpr uint64_t kStallCycles = 2'000'000;

    template <typename... A> void error(const char* fmt, A... args) {
        if (++errors_ <= 20) {
            std::fprintf(stderr, "harness: cycle %llu: ", static_cast<unsigned long long>(h_.cycles()));
            std::fprintf(stderr, fmt, args...);
            std::fputc('\n', stderr);
        }
    }

    uint8_t phaseOf(uint32_t index) const { return ((index >> ringLog2_) & 1) ? 0 : ZCNIC_CQE_PHASE; }

    // --- TX ---

    /** Post as many frames as the window and the ring allow; true if any was posted. */
    bool postTx() {
        bool any = false;
        while (sent_ < frames_ && sent_ - rxFrames_ < window_) {
            if (pendingLen_ == 0) {  // draw the next frame's size and placement once
                pendingLen_ = kMinFrame + rng_.below(kMaxFrame - kMinFrame + 1);
                pendingOff_ = rng_.below(4) == 0 ? 0 : rng_.below(kPage);
            }
            const uint32_t frags = (pendingOff_ % kPage + pendingLen_ + kPage - 1) / kPage;
            if (ring_ - (txProd_ - txCons_) < frags) break;
            buildAndPost(pendingLen_, pendingOff_, frags);
            pendingLen_ = 0;
            any = true;
        }
        return any;
    }

    void buildAndPost(uint32_t len, uint32_t off, uint32_t frags) {
        const uint32_t seq = sent_++;
        const uint32_t buf = kTxBufs + (seq % kTxSlots) * kTxSlotBytes + off;
        expected_.emplace_back(len);
        std::vector<uint8_t>& f = expected_.back();
        static const uint8_t hdr[14] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
                                        uint8_t(kEtherType >> 8), uint8_t(kEtherType & 0xFF)};
        std::memcpy(f.data(), hdr, sizeof hdr);
        for (int i = 0; i < 4; ++i) f[14 + i] = uint8_t(seq >> (24 - 8 * i));
        for (uint32_t i = 18; i < len; i += 8) {
            const uint64_t r = rng_.next();
            std::memcpy(&f[i], &r, std::min<uint32_t>(8, len - i));
        }
        std::memcpy(h_.at(buf, len), f.data(), len);
        uint32_t pos = 0;
        for (uint32_t k = 0; k < frags; ++k) {
            const uint32_t addr = buf + pos;
            const uint32_t n = std::min(len - pos, kPage - addr % kPage);
            const uint32_t d = kTxRing + (txProd_ % ring_) * ZCNIC_TX_DESC_BYTES;
            std::memset(h_.at(d, ZCNIC_TX_DESC_BYTES), 0, ZCNIC_TX_DESC_BYTES);
            h_.store<uint32_t>(d + ZCNIC_TX_DESC_ADDR_OFF, addr);
            h_.store<uint16_t>(d + ZCNIC_TX_DESC_LEN_OFF, uint16_t(n));
            h_.store<uint16_t>(d + ZCNIC_TX_DESC_FLAGS_OFF, uint16_t(k + 1 == frags ? ZCNIC_TX_FLAG_EOP : 0));
            h_.store<uint32_t>(d + ZCNIC_TX_DESC_COOKIE_OFF, seq);
            pos += n;
            ++txProd_;
        }
        if (pos != len) h_.fail("fragment split does not add up");
        inflight_.push_back({seq, len, frags, uint16_t(txProd_ - 1)});
        bytes_ += len;
    }

    /** Consume TX completions; true if any. */
    bool pollTx() {
        bool any = false;
        for (;;) {
            const uint32_t e = kTxCq + (txCq_ % ring_) * ZCNIC_TX_CQE_BYTES;
            const uint8_t flags = *h_.at(e + ZCNIC_TX_CQE_FLAGS_OFF, 1);
            if ((flags & ZCNIC_CQE_PHASE) != phaseOf(txCq_)) return any;
            any = true;
            ++txCq_;
            if (inflight_.empty()) {
                error("TX completion with no frame in flight");
                continue;
            }
            const TxFrame f = inflight_.front();
            inflight_.pop_front();
            const uint32_t cookie = h_.load<uint32_t>(e + ZCNIC_TX_CQE_COOKIE_OFF);
            const uint16_t index = h_.load<uint16_t>(e + ZCNIC_TX_CQE_INDEX_OFF);
            const uint8_t status = *h_.at(e + ZCNIC_TX_CQE_STATUS_OFF, 1);
            const uint32_t len = h_.load<uint32_t>(e + ZCNIC_TX_CQE_LEN_OFF);
            const uint8_t nfrags = *h_.at(e + ZCNIC_TX_CQE_FRAGS_OFF, 1);
            if (cookie != f.seq || index != f.eopIndex || status != 0 || len != f.len || nfrags != f.frags)
                error("TX completion of seq %u: cookie %u index %u status %u len %u frags %u, expected %u %u 0 %u %u", f.seq, cookie,
                      index, status, len, nfrags, f.seq, f.eopIndex, f.len, f.frags);
            txCons_ += f.frags;  // the driver's own count: a bad FRAGS field cannot wreck the ring
            ++txDone_;
        }
    }

    // --- RX ---

    void postRx() {
        const uint32_t slot = rxProd_ % ring_;
        const uint32_t d = kRxRing + slot * ZCNIC_RX_DESC_BYTES;
        std::memset(h_.at(d, ZCNIC_RX_DESC_BYTES), 0, ZCNIC_RX_DESC_BYTES);
        h_.store<uint32_t>(d + ZCNIC_RX_DESC_HDR_ADDR_OFF, kRxHdr + slot * kHdrSize);
        h_.store<uint32_t>(d + ZCNIC_RX_DESC_DATA_ADDR_OFF, kRxData + slot * kBufSize);
        h_.store<uint32_t>(d + ZCNIC_RX_DESC_COOKIE_OFF, rxProd_ ^ 0xC0DE0000u);
        ++rxProd_;
    }

    /** Consume RX completions, check frames, repost the buffers; true if any. */
    bool pollRx() {
        bool any = false;
        for (;;) {
            const uint32_t e = kRxCq + (rxCq_ % ring_) * ZCNIC_RX_CQE_BYTES;
            const uint8_t flags = *h_.at(e + ZCNIC_RX_CQE_FLAGS_OFF, 1);
            if ((flags & ZCNIC_CQE_PHASE) != phaseOf(rxCq_)) return any;
            any = true;
            const uint16_t index = h_.load<uint16_t>(e + ZCNIC_RX_CQE_INDEX_OFF);
            const uint32_t cookie = h_.load<uint32_t>(e + ZCNIC_RX_CQE_COOKIE_OFF);
            const uint16_t dataLen = h_.load<uint16_t>(e + ZCNIC_RX_CQE_DATA_LEN_OFF);
            const uint16_t hdrLen = h_.load<uint16_t>(e + ZCNIC_RX_CQE_HDR_LEN_OFF);
            const uint8_t queue = *h_.at(e + ZCNIC_RX_CQE_QUEUE_OFF, 1);
            const uint32_t frameLen = h_.load<uint32_t>(e + ZCNIC_RX_CQE_FRAME_LEN_OFF);
            const bool sop = flags & ZCNIC_RX_FLAG_SOP, eop = flags & ZCNIC_RX_FLAG_EOP;
            if (index != (rxCq_ & 0xFFFF)) error("RX completion %u for descriptor %u", rxCq_, index);
            if (cookie != (rxCq_ ^ 0xC0DE0000u)) error("RX completion %u: cookie 0x%08x", rxCq_, cookie);
            if (queue != 0 || hdrLen != 0 || (flags & ZCNIC_RX_FLAG_HDR_SPLIT))
                error("RX completion %u: queue %u hdr_len %u flags 0x%02x", rxCq_, queue, hdrLen, flags);
            if (sop != rxFrame_.empty()) error("RX completion %u: SOP %d with %zu bytes assembled", rxCq_, sop, rxFrame_.size());
            if (dataLen > kBufSize || (!eop && dataLen != kBufSize)) error("RX completion %u: DATA_LEN %u", rxCq_, dataLen);
            const uint32_t slot = rxCq_ % ring_;  // descriptors are used in order (INDEX checked above)
            const uint32_t n = std::min<uint32_t>(dataLen, kBufSize);
            uint8_t* data = h_.at(kRxData + slot * kBufSize, kBufSize);
            rxFrame_.insert(rxFrame_.end(), data, data + n);
            std::memset(data, 0xAA, n);  // poisoned: stale bytes cannot pass for a later frame
            ++rxCq_;
            postRx();
            if (eop) {
                checkFrame(frameLen);
                rxFrame_.clear();
            }
        }
    }

    void checkFrame(uint32_t frameLen) {
        const uint32_t seq = rxFrames_++;
        if (expected_.empty()) {
            error("frame of %zu bytes received with none outstanding", rxFrame_.size());
            return;
        }
        const std::vector<uint8_t>& want = expected_.front();
        if (rxFrame_ != want) {
            std::size_t diff = 0;
            while (diff < rxFrame_.size() && diff < want.size() && rxFrame_[diff] == want[diff]) ++diff;
            error("frame %u: %zu bytes received, %zu sent, first difference at byte %zu", seq, rxFrame_.size(), want.size(), diff);
        }
        if (frameLen != want.size()) error("frame %u: FRAME_LEN %u, %zu sent", seq, frameLen, want.size());
        expected_.pop_front();
    }

    void dumpState() {
        const struct {
            const char* name;
            uint32_t reg;
        } regs[] = {
            {"QUEUE_ERRORS", ZCNIC_REG_QUEUE_ERRORS},
            {"TXQ0.CTRL", txq0(ZCNIC_QREG_CTRL)},
            {"TXQ0.PROD", txq0(ZCNIC_QREG_PROD)},
            {"TXQ0.CONS", txq0(ZCNIC_QREG_CONS)},
            {"TXQ0.CQ_PROD", txq0(ZCNIC_QREG_CQ_PROD)},
            {"TXQ0.STATUS", txq0(ZCNIC_QREG_STATUS)},
            {"TXQ0.ERR_ADDR", txq0(ZCNIC_QREG_ERR_ADDR)},
            {"RXQ0.CTRL", rxq0(ZCNIC_QREG_CTRL)},
            {"RXQ0.PROD", rxq0(ZCNIC_QREG_PROD)},
            {"RXQ0.CONS", rxq0(ZCNIC_QREG_CONS)},
            {"RXQ0.CQ_PROD", rxq0(ZCNIC_QREG_CQ_PROD)},
            {"RXQ0.STATUS", rxq0(ZCNIC_QREG_STATUS)},
            {"RXQ0.ERR_ADDR", rxq0(ZCNIC_QREG_ERR_ADDR)},
            {"STAT_TX_FRAMES", ZCNIC_REG_STAT_TX_FRAMES},
            {"STAT_TX_DROP_ERR", ZCNIC_REG_STAT_TX_DROP_ERR},
            {"STAT_RX_FRAMES", ZCNIC_REG_STAT_RX_FRAMES},
            {"STAT_RX_DROP_NODESC", ZCNIC_REG_STAT_RX_DROP_NODESC},
            {"STAT_RX_DROP_FILTER", ZCNIC_REG_STAT_RX_DROP_FILTER},
            {"STAT_RX_DROP_QUEUE", ZCNIC_REG_STAT_RX_DROP_QUEUE},
            {"STAT_RX_DROP_BAD", ZCNIC_REG_STAT_RX_DROP_BAD},
            {"STAT_RX_DROP_DMA", ZCNIC_REG_STAT_RX_DROP_DMA},
            {"STAT_DMA_ERRORS", ZCNIC_REG_STAT_DMA_ERRORS},
        };
        std::fprintf(stderr, "harness: driver TX prod %u cons %u cq %u, RX prod %u cq %u\n", txProd_, txCons_, txCq_, rxProd_, rxCq_);
        for (const auto& r : regs) std::fprintf(stderr, "  %-20s 0x%08x\n", r.name, h_.mmioRead(r.reg));
    }

    zcnic::AxiHost& h_;
    const uint32_t frames_, window_, ringLog2_, ring_;
    Rng rng_;
    uint32_t maxFrags_ = 0;
    // TX: free-running counters (the registers take the low 16 bits)
    uint32_t sent_ = 0, txProd_ = 0, txCons_ = 0, txCq_ = 0, txDone_ = 0;
    uint32_t pendingLen_ = 0, pendingOff_ = 0;
    std::deque<TxFrame> inflight_;                  // posted, TX completion not yet seen
    std::deque<std::vector<uint8_t>> expected_;     // posted, not yet received
    // RX
    uint32_t rxProd_ = 0, rxCq_ = 0, rxFrames_ = 0;
    std::vector<uint8_t> rxFrame_;
    uint64_t bytes_ = 0;
    uint64_t errors_ = 0;
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: nic_bench [--frames N] [--seed S] [--json] [--window W] [--ring-log2 L]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t frames = 200, window = 64, ringLog2 = 8;
    uint64_t seed = 1;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> unsigned long long {
            if (i + 1 >= argc) usage();
            char* end = nullptr;
            const unsigned long long v = std::strtoull(argv[++i], &end, 0);
            if (*end != '\0') usage();
            return v;
        };
        if (a == "--frames") frames = uint32_t(value());
        else if (a == "--seed") seed = value();
        else if (a == "--window") window = uint32_t(value());
        else if (a == "--ring-log2") ringLog2 = uint32_t(value());
        else if (a == "--json") json = true;
        else usage();
    }
    // a frame takes at most ceil(9000 / BUF_SIZE) = 3 RX descriptors: W frames in flight must fit the RX ring
    if (ringLog2 < ZCNIC_QUEUE_MIN_RING_LOG2 || ringLog2 > kMaxRingLog2 || window < 1 || 3 * window > (1u << ringLog2)) {
        std::fprintf(stderr, "nic_bench: need %u <= ring-log2 <= %u and 1 <= 3 * window <= ring size\n", ZCNIC_QUEUE_MIN_RING_LOG2, kMaxRingLog2);
        return 2;
    }

    auto ctx = std::make_unique<VerilatedContext>();
    zcnic::AxiHost h(ctx.get(), kBase, kSize);
    h.top().m_axis_tx_tready = 1;  // in loopback the MAC TX stream idles
    h.top().s_axis_rx_tvalid = 0;
    h.top().s_axis_rx_tlast = 0;
    h.top().s_axis_rx_tuser = 0;
    h.reset();
    Driver d(h, frames, seed, window, ringLog2);
    d.probe();
    d.setup();

    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = h.cycles();
    d.run();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const uint64_t cycles = h.cycles() - c0;
    d.checkStats();

    const int dataWidth = zcnic::AxiHost::kLanes * 8;
    const unsigned long long errors = d.errors();
    if (json) {
        std::printf("{\"cycles\": %llu, \"wall_s\": %.6f, \"cycles_per_s\": %.1f, \"frames\": %u, \"bytes\": %llu, "
                    "\"frames_per_s\": %.1f, \"data_width\": %d, \"errors\": %llu}\n",
                    static_cast<unsigned long long>(cycles), wall, cycles / wall, d.frames(), static_cast<unsigned long long>(d.bytes()),
                    d.frames() / wall, dataWidth, errors);
    } else {
        std::printf("nic_bench: DATA_WIDTH %d, %u frames, seed %llu\n", dataWidth, frames, static_cast<unsigned long long>(seed));
        std::printf("  cycles        %llu\n", static_cast<unsigned long long>(cycles));
        std::printf("  wall_s        %.3f\n", wall);
        std::printf("  cycles_per_s  %.0f\n", cycles / wall);
        std::printf("  frames        %u\n", d.frames());
        std::printf("  bytes         %llu\n", static_cast<unsigned long long>(d.bytes()));
        std::printf("  frames_per_s  %.1f (wall)\n", d.frames() / wall);
        std::printf("  bytes/cycle   %.2f\n", double(d.bytes()) / double(cycles));
        std::printf("  errors        %llu\n", errors);
    }
    return errors == 0 ? 0 : 1;
}
