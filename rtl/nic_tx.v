// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * TX queue engine: QUEUES descriptor rings with their completion rings -> one MAC stream.
 *
 * One frame at a time (serial, for simplicity and an easy-to-prove error model): a round robin
 * picks a queue that is enabled, not in error, not waiting for a doorbell and has PROD != CONS;
 * the engine fetches its descriptors from CONS in bursts (one dma_rd descriptor per stretch of
 * min(posted, up to the ring wrap, descriptors left) descriptors: at most 4 first, since most
 * frames are short, then up to MAX_FRAGS in all) and validates them as they stream in, keeping
 * {ADDR, LEN} of each fragment. Descriptors after the EOP are discarded
 * (fetched again with the next frame). Without an EOP in the posted descriptors the queue waits
 * for its next PROD write, consuming nothing. A valid frame gets one dma_rd descriptor per
 * fragment, issued back to back; axis_pack concatenates them, tx_csum inserts the checksums
 * requested by the first descriptor and sends the frame. Once every fragment's read status is
 * OK, the TX CQE is written through dma_wr; when its write status is OK, CONS and CQ_PROD advance
 * and cq_evt pulses. Any error stops the queue (STATUS/ERR_ADDR latched, err_evt), advances
 * nothing and writes no CQE; a payload read error ends the frame with tuser = 1 so tx_csum drops
 * it. Queue configuration is latched when a frame is picked; clearing ENABLE only stops new
 * picks, so a frame in progress finishes (BUSY shows it).
 *
 * Register window: nic_qregs (RX = 0), shared with nic_rx. See docs/rtl-nic-tx.md.
 */
module nic_tx #
(
    // AXI and stream data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // Number of TX queues (1..16)
    parameter QUEUES = 4,
    // log2 of the largest ring (4..15)
    parameter MAX_RING_LOG2 = 10,
    // Most descriptors per frame (2..255)
    parameter MAX_FRAGS = 32,
    // Largest DMA burst in bytes (as dma_rd)
    parameter CHUNK_BYTES = 512,
    // AXI ID width
    parameter ID_WIDTH = 1,
    // Largest frame in bytes (multiple of 64)
    parameter MAX_FRAME = `ZCNIC_MAX_FRAME
)
(
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Register interface
     */
    input  wire [9:0]                 reg_wr_addr,
    input  wire [31:0]                reg_wr_data,
    input  wire [3:0]                 reg_wr_strb,
    input  wire                       reg_wr_en,
    output wire [1:0]                 reg_wr_resp,
    input  wire [9:0]                 reg_rd_addr,
    input  wire                       reg_rd_en,
    output wire [31:0]                reg_rd_data,
    output wire [1:0]                 reg_rd_resp,

    /*
     * Status, interrupts and statistics
     */
    output wire [QUEUES-1:0]          err_queues,
    output wire                       err_evt,
    output wire [QUEUES-1:0]          cq_evt,
    output wire [QUEUES*16-1:0]       irq_frames,
    output wire [QUEUES*16-1:0]       irq_cycles,
    output wire                       arm_valid,
    output wire [3:0]                 arm_queue,
    output wire                       stat_frame,
    output wire [15:0]                stat_bytes,
    output wire                       stat_drop,
    output wire                       stat_dma_err,

    /*
     * MAC stream
     */
    output wire [DATA_WIDTH-1:0]      m_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]    m_axis_tkeep,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready,
    output wire                       m_axis_tlast,

    /*
     * AXI4 master
     */
    output wire [ID_WIDTH-1:0]        m_axi_awid,
    output wire [31:0]                m_axi_awaddr,
    output wire [7:0]                 m_axi_awlen,
    output wire [2:0]                 m_axi_awsize,
    output wire [1:0]                 m_axi_awburst,
    output wire                       m_axi_awlock,
    output wire [3:0]                 m_axi_awcache,
    output wire [2:0]                 m_axi_awprot,
    output wire                       m_axi_awvalid,
    input  wire                       m_axi_awready,
    output wire [DATA_WIDTH-1:0]      m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]    m_axi_wstrb,
    output wire                       m_axi_wlast,
    output wire                       m_axi_wvalid,
    input  wire                       m_axi_wready,
    input  wire [ID_WIDTH-1:0]        m_axi_bid,
    input  wire [1:0]                 m_axi_bresp,
    input  wire                       m_axi_bvalid,
    output wire                       m_axi_bready,
    output wire [ID_WIDTH-1:0]        m_axi_arid,
    output wire [31:0]                m_axi_araddr,
    output wire [7:0]                 m_axi_arlen,
    output wire [2:0]                 m_axi_arsize,
    output wire [1:0]                 m_axi_arburst,
    output wire                       m_axi_arlock,
    output wire [3:0]                 m_axi_arcache,
    output wire [2:0]                 m_axi_arprot,
    output wire                       m_axi_arvalid,
    input  wire                       m_axi_arready,
    input  wire [ID_WIDTH-1:0]        m_axi_rid,
    input  wire [DATA_WIDTH-1:0]      m_axi_rdata,
    input  wire [1:0]                 m_axi_rresp,
    input  wire                       m_axi_rlast,
    input  wire                       m_axi_rvalid,
    output wire                       m_axi_rready
);

localparam BYTES = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(BYTES);
localparam QW = (QUEUES > 1) ? $clog2(QUEUES) : 1;
// fragment index 0..MAX_FRAGS-1 and count 0..MAX_FRAGS
localparam FW = $clog2(MAX_FRAGS + 1);
localparam [FW-1:0] MAX_FRAGS_F = MAX_FRAGS[FW-1:0];
// a frame's first fetch reads at most this many descriptors (most frames are short); the
// following fetches read up to MAX_FRAGS in all
localparam FIRST_FETCH = (MAX_FRAGS < 4) ? MAX_FRAGS : 4;
localparam [FW-1:0] FIRST_FETCH_F = FIRST_FETCH[FW-1:0];
// fragment list address
localparam FI = $clog2(MAX_FRAGS);
// frame byte total: MAX_FRAGS * 4096 < 2^20
localparam TW = 20;
localparam DESC_BITS = 8*`ZCNIC_TX_DESC_BYTES;
localparam CQE_BITS = 8*`ZCNIC_TX_CQE_BYTES;
localparam CQE_BEATS = (`ZCNIC_TX_CQE_BYTES + BYTES - 1)/BYTES;
localparam CQE_WIDE = (DATA_WIDTH > CQE_BITS) ? DATA_WIDTH : CQE_BITS;
localparam [15:0] PAGE = 16'd4096;
localparam [TW-1:0] MAX_FRAME_T = MAX_FRAME[TW-1:0];
// sized copies of integer parameters and ABI constants (sliced, so lint sees no truncation)
localparam [31:0] LAST_Q_32 = QUEUES - 1;
localparam [31:0] CQE_LAST_32 = CQE_BEATS - 1;
localparam [31:0] CQE_LEN_32 = `ZCNIC_TX_CQE_BYTES;
localparam [31:0] QERR_DESC_READ_32 = `ZCNIC_QERR_DESC_READ;
localparam [31:0] QERR_DATA_READ_32 = `ZCNIC_QERR_DATA_READ;
localparam [31:0] QERR_CQ_WRITE_32 = `ZCNIC_QERR_CQ_WRITE;
localparam [31:0] QERR_BAD_DESC_32 = `ZCNIC_QERR_BAD_DESC;
localparam [31:0] FLAG_EOP_32 = `ZCNIC_TX_FLAG_EOP;
localparam [31:0] FLAG_CSUM_IP_32 = `ZCNIC_TX_FLAG_CSUM_IP;
localparam [31:0] FLAG_CSUM_UDP_32 = `ZCNIC_TX_FLAG_CSUM_UDP;
localparam [QW-1:0] LAST_Q = LAST_Q_32[QW-1:0];
localparam [1:0] CQE_LAST_BEAT = CQE_LAST_32[1:0];
localparam [24:0] CQE_LEN = CQE_LEN_32[24:0];
localparam [3:0] QERR_DESC_READ = QERR_DESC_READ_32[3:0];
localparam [3:0] QERR_DATA_READ = QERR_DATA_READ_32[3:0];
localparam [3:0] QERR_CQ_WRITE = QERR_CQ_WRITE_32[3:0];
localparam [3:0] QERR_BAD_DESC = QERR_BAD_DESC_32[3:0];
localparam [15:0] FLAG_EOP = FLAG_EOP_32[15:0];
localparam [15:0] FLAG_CSUM_IP = FLAG_CSUM_IP_32[15:0];
localparam [15:0] FLAG_CSUM_UDP = FLAG_CSUM_UDP_32[15:0];

// dma_rd tags: bit 0 = descriptor fetch (else payload), bit 1 = the frame's last fragment
localparam TAG_DESC = 0;
localparam TAG_EOF = 1;

localparam [2:0]
    S_IDLE = 3'd0,
    S_FETCH = 3'd1,
    S_FETCH_WAIT = 3'd2,
    S_ISSUE = 3'd3,
    S_DATA_WAIT = 3'd4,
    S_CQE = 3'd5,
    S_CQE_WAIT = 3'd6;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("Error: %m: DATA_WIDTH must be a power of 2 in 64..512 (got %0d)", DATA_WIDTH);
        $finish;
    end
    if (QUEUES < 1 || QUEUES > `ZCNIC_QUEUE_MAX_QUEUES) begin
        $error("Error: %m: QUEUES must be in 1..16 (got %0d)", QUEUES);
        $finish;
    end
    if (MAX_RING_LOG2 < `ZCNIC_QUEUE_MIN_RING_LOG2 || MAX_RING_LOG2 > 15) begin
        $error("Error: %m: MAX_RING_LOG2 must be in 4..15 (got %0d)", MAX_RING_LOG2);
        $finish;
    end
    if (MAX_FRAGS < 2 || MAX_FRAGS > 255) begin
        $error("Error: %m: MAX_FRAGS must be in 2..255 (got %0d)", MAX_FRAGS);
        $finish;
    end
    if (MAX_FRAME < 64 || MAX_FRAME > 65536 || MAX_FRAME % 64 != 0) begin
        $error("Error: %m: MAX_FRAME must be a multiple of 64 in 64..65536 (got %0d)", MAX_FRAME);
        $finish;
    end
    if (ID_WIDTH < 1) begin
        $error("Error: %m: ID_WIDTH must be at least 1 (got %0d)", ID_WIDTH);
        $finish;
    end
    // CHUNK_BYTES is checked by dma_burst inside dma_rd and dma_wr
end

/*
 * Per-queue state: registers in nic_qregs; the engine only keeps the doorbell wait
 */
// the posted descriptors hold no complete frame: skip the queue until its next PROD write
reg [QUEUES-1:0] stall_reg;

/*
 * Engine state
 */
reg [2:0]        state_reg;
reg [QW-1:0]     cur_q_reg;
reg [QW-1:0]     rr_reg;
reg [31:0]       cur_ring_reg;
reg [31:0]       cur_cq_reg;
reg [3:0]        cur_size_log2_reg;
// frame being assembled: valid fragments so far, EOP seen, bad descriptor seen
reg [FW-1:0]     f_cnt_reg;
reg [TW-1:0]     f_total_reg;
reg              f_eop_reg;
reg              f_bad_reg;
reg [15:0]       f_bad_index_reg;
reg [31:0]       f_bad_addr_reg;
reg [1:0]        f_csum_reg;
reg [31:0]       f_cookie_reg;
reg [15:0]       f_eop_index_reg;
// descriptor fetch in flight: its first index, its bus address, descriptors requested
reg [15:0]       seg_index_reg;
reg [31:0]       seg_addr_reg;
reg              seg_sts_reg;
reg              seg_sts_err_reg;
reg [1:0]        seg_sts_resp_reg;
reg [31:0]       seg_sts_addr_reg;
reg              seg_done_reg;
// payload: fragments issued and completed, first error
reg [FW-1:0]     iss_cnt_reg;
reg [FW-1:0]     sts_cnt_reg;
reg              d_err_reg;
reg [FW-1:0]     d_err_frag_reg;
reg [1:0]        d_err_resp_reg;
reg [31:0]       d_err_addr_reg;
// CQE write
reg              cqe_desc_done_reg;
reg [1:0]        cqe_beat_reg;
reg              cqe_data_done_reg;

reg [QUEUES-1:0] cq_evt_reg;
reg              stat_drop_reg;
reg              stat_dma_err_reg;

// fragment list of the frame being assembled: {ADDR, LEN[12:0]}
reg [44:0]       frag_mem [0:MAX_FRAGS-1];

/*
 * Queue registers (nic_qregs: decode, refusals, read mux, error latch)
 */
wire [QUEUES*32-1:0] q_ring_base, q_cq_base;
wire [QUEUES*4-1:0]  q_size_log2;
wire [QUEUES-1:0]    q_enable, q_hdr_split;
wire [QUEUES*13-1:0] q_buf_size;
wire [QUEUES*9-1:0]  q_hdr_size;
wire [QUEUES*16-1:0] q_prod, q_cons, q_cq_prod;
wire                 prod_wr, reset_wr;
wire [3:0]           wr_queue;
wire [QUEUES-1:0]    busy_vec;
wire [3:0]           cur_q4 = {{(4-QW){1'b0}}, cur_q_reg};
// engine updates (registered in nic_qregs on the same edge as the engine's state change)
reg                  cons_set;
reg                  cqp_set;
reg         raise;
reg [3:0]   raise_code;
reg [1:0]   raise_resp;
reg [15:0]  raise_index;
reg [31:0]  raise_addr;
reg         raise_dma;
// RX-only configuration; wr_queue is < QUEUES whenever prod_wr or reset_wr is set
wire unused_qregs = &{1'b0, q_hdr_split, q_buf_size, q_hdr_size, wr_queue};

wire [15:0] cur_cons = q_cons[cur_q_reg*16 +: 16];
wire [15:0] cur_prod = q_prod[cur_q_reg*16 +: 16];
wire [15:0] cur_cqp = q_cq_prod[cur_q_reg*16 +: 16];

nic_qregs #(
    .QUEUES(QUEUES),
    .MAX_RING_LOG2(MAX_RING_LOG2),
    .RX(0)
)
qregs_inst (
    .clk(clk),
    .rst(rst),
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en),
    .reg_wr_resp(reg_wr_resp),
    .reg_rd_addr(reg_rd_addr),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(reg_rd_data),
    .reg_rd_resp(reg_rd_resp),
    .q_ring_base(q_ring_base),
    .q_cq_base(q_cq_base),
    .q_size_log2(q_size_log2),
    .q_enable(q_enable),
    .q_hdr_split(q_hdr_split),
    .q_buf_size(q_buf_size),
    .q_hdr_size(q_hdr_size),
    .q_prod(q_prod),
    .q_cons(q_cons),
    .q_cq_prod(q_cq_prod),
    .prod_wr(prod_wr),
    .reset_wr(reset_wr),
    .wr_queue(wr_queue),
    .busy(busy_vec),
    .cons_set(cons_set),
    .cons_q(cur_q4),
    .cons_value(cur_cons + {{(16-FW){1'b0}}, f_cnt_reg}),
    .cqp_set(cqp_set),
    .cqp_q(cur_q4),
    .cqp_value(cur_cqp + 16'd1),
    .err_set(raise),
    .err_q(cur_q4),
    .err_code(raise_code),
    .err_resp(raise_resp),
    .err_index(raise_index),
    .err_addr(raise_addr),
    .err_queues(err_queues),
    .err_evt(err_evt),
    .irq_frames(irq_frames),
    .irq_cycles(irq_cycles),
    .arm_valid(arm_valid),
    .arm_queue(arm_queue)
);

genvar g;
generate
    for (g = 0; g < QUEUES; g = g + 1) begin : gen_q
        localparam [QW-1:0] QI = g;
        assign busy_vec[g] = state_reg != S_IDLE && cur_q_reg == QI;
    end
endgenerate

/*
 * Round robin: the first eligible queue after the last one served
 */
wire [QUEUES-1:0] eligible;
generate
    for (g = 0; g < QUEUES; g = g + 1) begin : gen_elig
        assign eligible[g] = q_enable[g] && !err_queues[g] && !stall_reg[g] &&
            q_prod[g*16 +: 16] != q_cons[g*16 +: 16];
    end
endgenerate

reg [QW-1:0] pick_q;
reg          pick_ok;
integer      k, kq;
always @* begin
    pick_q = {QW{1'b0}};
    pick_ok = 1'b0;
    // from the highest offset down, so the nearest one after rr_reg wins
    for (k = QUEUES; k >= 1; k = k - 1) begin
        kq = ({{(32-QW){1'b0}}, rr_reg} + k) % QUEUES;
        if (eligible[kq]) begin
            pick_q = kq[QW-1:0];
            pick_ok = 1'b1;
        end
    end
end
wire unused_kq = &{1'b0, kq};

/*
 * dma_rd: descriptor fetches and payload reads
 */
wire [31:0]  rd_desc_addr;
wire [24:0]  rd_desc_len;
wire [1:0]   rd_desc_tag;
wire         rd_desc_valid;
wire         rd_desc_ready;
wire [1:0]   rd_sts_tag;
wire         rd_sts_error;
wire [1:0]   rd_sts_resp;
wire [31:0]  rd_sts_err_addr;
wire         rd_sts_valid;
wire [DATA_WIDTH-1:0] rd_tdata;
wire [BYTES-1:0] rd_tkeep;
wire         rd_tlast;
wire [1:0]   rd_tid;
wire         rd_tuser;
wire         rd_tvalid;
wire         rd_tready;
wire         rd_busy, rd_err;
wire [1:0]   rd_err_resp;
wire [31:0]  rd_err_addr;

dma_rd #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(25),
    .TAG_WIDTH(2),
    .DESC_FIFO_DEPTH(4)
)
dma_rd_inst (
    .clk(clk),
    .rst(rst),
    .stop(1'b0),
    .busy(rd_busy),
    .err(rd_err),
    .err_resp(rd_err_resp),
    .err_addr(rd_err_addr),
    .s_desc_addr(rd_desc_addr),
    .s_desc_len(rd_desc_len),
    .s_desc_tag(rd_desc_tag),
    .s_desc_valid(rd_desc_valid),
    .s_desc_ready(rd_desc_ready),
    .m_sts_tag(rd_sts_tag),
    .m_sts_error(rd_sts_error),
    .m_sts_resp(rd_sts_resp),
    .m_sts_err_addr(rd_sts_err_addr),
    .m_sts_valid(rd_sts_valid),
    .m_sts_ready(1'b1),
    .m_axis_tdata(rd_tdata),
    .m_axis_tkeep(rd_tkeep),
    .m_axis_tlast(rd_tlast),
    .m_axis_tid(rd_tid),
    .m_axis_tuser(rd_tuser),
    .m_axis_tvalid(rd_tvalid),
    .m_axis_tready(rd_tready),
    .m_axi_arid(m_axi_arid),
    .m_axi_araddr(m_axi_araddr),
    .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize),
    .m_axi_arburst(m_axi_arburst),
    .m_axi_arlock(m_axi_arlock),
    .m_axi_arcache(m_axi_arcache),
    .m_axi_arprot(m_axi_arprot),
    .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid),
    .m_axi_rready(m_axi_rready)
);

// statuses are taken whenever they come: the engine is serial, so the state says whose they are
wire rd_sts_desc = rd_sts_valid && rd_sts_tag[TAG_DESC];
wire rd_sts_data = rd_sts_valid && !rd_sts_tag[TAG_DESC];
wire unused_rd = &{1'b0, rd_busy, rd_err, rd_err_resp, rd_err_addr, rd_sts_tag[TAG_EOF]};

/*
 * Descriptor unpacker: the fetch stream -> one 16-byte descriptor per cycle
 */
wire                 is_desc_beat = rd_tid[TAG_DESC];
reg [DESC_BITS-1:0]  unp_desc;
reg                  unp_valid;
wire                 unp_ready;
wire                 unp_in = rd_tvalid && is_desc_beat && unp_ready;

generate
    if (BYTES < `ZCNIC_TX_DESC_BYTES) begin : gen_unp_narrow
        // 64 bits: two beats per descriptor
        reg [DATA_WIDTH-1:0] lo_reg;
        reg                  half_reg;
        assign unp_ready = 1'b1;
        always @* begin
            unp_desc = {rd_tdata, lo_reg};
            unp_valid = unp_in && !rd_tuser && half_reg;
        end
        always @(posedge clk) begin
            if (unp_in) begin
                if (rd_tuser || rd_tlast) begin
                    half_reg <= 1'b0;
                end else if (!half_reg) begin
                    lo_reg <= rd_tdata;
                    half_reg <= 1'b1;
                end else begin
                    half_reg <= 1'b0;
                end
            end
            if (rst) begin
                half_reg <= 1'b0;
            end
        end
    end else begin : gen_unp_wide
        // a beat holds DPB descriptors: hold it and shift one out per cycle
        reg [DATA_WIDTH-1:0] beat_reg;
        reg                  full_reg;
        reg [LANE_BITS:0]    left_reg;
        wire [LANE_BITS:0]   in_descs;
        integer i;
        reg [LANE_BITS:0]    keep_bytes;
        always @* begin
            keep_bytes = {(LANE_BITS+1){1'b0}};
            for (i = 0; i < BYTES; i = i + 1) begin
                keep_bytes = keep_bytes + {{LANE_BITS{1'b0}}, rd_tkeep[i]};
            end
        end
        assign in_descs = keep_bytes >> 4;
        assign unp_ready = !full_reg;
        always @* begin
            unp_desc = beat_reg[DESC_BITS-1:0];
            unp_valid = full_reg;
        end
        always @(posedge clk) begin
            if (full_reg) begin
                beat_reg <= beat_reg >> DESC_BITS;
                left_reg <= left_reg - 1'b1;
                if (left_reg == 1) begin
                    full_reg <= 1'b0;
                end
            end
            if (unp_in && !rd_tuser && in_descs != 0) begin
                beat_reg <= rd_tdata;
                left_reg <= in_descs;
                full_reg <= 1'b1;
            end
            if (rst) begin
                full_reg <= 1'b0;
            end
        end
    end
endgenerate

/*
 * Validation of each descriptor as it arrives
 */
wire [31:0] d_addr = unp_desc[8*`ZCNIC_TX_DESC_ADDR_OFF +: 32];
wire [15:0] d_len = unp_desc[8*`ZCNIC_TX_DESC_LEN_OFF +: 16];
wire [15:0] d_flags = unp_desc[8*`ZCNIC_TX_DESC_FLAGS_OFF +: 16];
wire [31:0] d_cookie = unp_desc[8*`ZCNIC_TX_DESC_COOKIE_OFF +: 32];
wire        d_eop = (d_flags & FLAG_EOP) != 16'd0;
wire        d_csum_ip = (d_flags & FLAG_CSUM_IP) != 16'd0;
wire        d_csum_udp = (d_flags & FLAG_CSUM_UDP) != 16'd0;
wire [16:0] d_end = {5'd0, d_addr[11:0]} + {1'b0, d_len};
wire        d_len_bad = d_len == 16'd0 || d_len > PAGE || d_end > {1'b0, PAGE};
wire [TW-1:0] d_total = f_total_reg + {{(TW-16){1'b0}}, d_len};
wire [15:0] d_index = cur_cons + {{(16-FW){1'b0}}, f_cnt_reg};
// only the descriptors up to the first EOP or bad one count
wire        d_take = unp_valid && state_reg == S_FETCH_WAIT && !f_eop_reg && !f_bad_reg;
wire        unused_desc = &{1'b0, unp_desc[DESC_BITS-1:8*(`ZCNIC_TX_DESC_COOKIE_OFF+4)]};

/*
 * Stream demux: descriptor beats to the unpacker, payload beats to axis_pack
 */
wire        pk_ready;
assign rd_tready = is_desc_beat ? unp_ready : pk_ready;

wire [DATA_WIDTH-1:0] pk_tdata;
wire [BYTES-1:0]      pk_tkeep;
wire                  pk_tlast, pk_tuser, pk_tvalid, pk_tready;

axis_pack #(
    .DATA_WIDTH(DATA_WIDTH)
)
axis_pack_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(rd_tdata),
    .s_axis_tkeep(rd_tkeep),
    .s_axis_tlast(rd_tlast),
    .s_axis_tuser(rd_tuser),
    .s_axis_eof(rd_tid[TAG_EOF]),
    .s_axis_tvalid(rd_tvalid && !is_desc_beat),
    .s_axis_tready(pk_ready),
    .m_axis_tdata(pk_tdata),
    .m_axis_tkeep(pk_tkeep),
    .m_axis_tlast(pk_tlast),
    .m_axis_tuser(pk_tuser),
    .m_axis_tvalid(pk_tvalid),
    .m_axis_tready(pk_tready)
);

// checksum commands, one per frame in issue order
wire       cmd_s_ready;
wire [1:0] cmd_m_data;
wire       cmd_m_valid;
wire       cmd_m_ready;
wire [2:0] cmd_count;
wire       cmd_push = state_reg == S_ISSUE && iss_cnt_reg == {FW{1'b0}} && rd_desc_ready && cmd_s_ready;

dma_fifo #(
    .WIDTH(2),
    .DEPTH(4)
)
cmd_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data(f_csum_reg),
    .s_valid(cmd_push),
    .s_ready(cmd_s_ready),
    .m_data(cmd_m_data),
    .m_valid(cmd_m_valid),
    .m_ready(cmd_m_ready),
    .count(cmd_count)
);

wire [3:0]  cs_tuser;
wire [31:0] cs_drop_count;
wire [31:0] cs_abort_count;
wire unused_cs = &{1'b0, cs_tuser, cs_drop_count, cs_abort_count, cmd_count};

tx_csum #(
    .DATA_WIDTH(DATA_WIDTH),
    .MAX_FRAME(MAX_FRAME)
)
tx_csum_inst (
    .clk(clk),
    .rst(rst),
    .s_cmd_valid(cmd_m_valid),
    .s_cmd_ready(cmd_m_ready),
    .s_cmd_insert_ip(cmd_m_data[0]),
    .s_cmd_insert_udp(cmd_m_data[1]),
    .s_axis_tdata(pk_tdata),
    .s_axis_tkeep(pk_tkeep),
    .s_axis_tvalid(pk_tvalid),
    .s_axis_tready(pk_tready),
    .s_axis_tlast(pk_tlast),
    .s_axis_tuser(pk_tuser),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .m_axis_tuser(cs_tuser),
    .drop_count(cs_drop_count),
    .abort_count(cs_abort_count)
);

/*
 * Output statistics: frames and bytes as they leave
 */
reg [15:0] out_bytes_reg;
reg        stat_frame_reg;
reg [15:0] stat_bytes_reg;
reg [LANE_BITS:0] out_keep_bytes;
integer b;
always @* begin
    out_keep_bytes = {(LANE_BITS+1){1'b0}};
    for (b = 0; b < BYTES; b = b + 1) begin
        out_keep_bytes = out_keep_bytes + {{LANE_BITS{1'b0}}, m_axis_tkeep[b]};
    end
end
wire [15:0] out_bytes_next = out_bytes_reg + {{(15-LANE_BITS){1'b0}}, out_keep_bytes};
always @(posedge clk) begin
    stat_frame_reg <= 1'b0;
    if (m_axis_tvalid && m_axis_tready) begin
        out_bytes_reg <= out_bytes_next;
        if (m_axis_tlast) begin
            out_bytes_reg <= 16'd0;
            stat_frame_reg <= 1'b1;
            stat_bytes_reg <= out_bytes_next;
        end
    end
    if (rst) begin
        out_bytes_reg <= 16'd0;
        stat_frame_reg <= 1'b0;
        stat_bytes_reg <= 16'd0;
    end
end
assign stat_frame = stat_frame_reg;
assign stat_bytes = stat_bytes_reg;

/*
 * Engine: fetch, issue, CQE
 */
wire [15:0] cur_posted = cur_prod - cur_cons;
// descriptors posted beyond those already taken for this frame
wire [15:0] fetch_left = cur_posted - {{(16-FW){1'b0}}, f_cnt_reg};
wire [15:0] fetch_index = cur_cons + {{(16-FW){1'b0}}, f_cnt_reg};
wire [15:0] ring_mask = ~(16'hffff << cur_size_log2_reg);
wire [15:0] fetch_slot = fetch_index & ring_mask;
wire [16:0] to_wrap = (17'd1 << cur_size_log2_reg) - {1'b0, fetch_slot};
wire [FW-1:0] frags_left = (f_cnt_reg == {FW{1'b0}}) ? FIRST_FETCH_F : MAX_FRAGS_F - f_cnt_reg;
reg  [FW-1:0] fetch_n;
always @* begin
    fetch_n = frags_left;
    if ({1'b0, fetch_left} < {{(17-FW){1'b0}}, fetch_n}) begin
        fetch_n = fetch_left[FW-1:0];
    end
    if (to_wrap < {{(17-FW){1'b0}}, fetch_n}) begin
        fetch_n = to_wrap[FW-1:0];
    end
end
wire [31:0] fetch_addr = cur_ring_reg + {12'd0, fetch_slot, 4'd0};

wire [44:0] iss_frag = frag_mem[iss_cnt_reg[FI-1:0]];
wire        iss_last = iss_cnt_reg + 1'b1 == f_cnt_reg;

assign rd_desc_valid = state_reg == S_FETCH ||
    (state_reg == S_ISSUE && (iss_cnt_reg != {FW{1'b0}} || cmd_s_ready));
assign rd_desc_addr = state_reg == S_FETCH ? fetch_addr : iss_frag[44:13];
assign rd_desc_len = state_reg == S_FETCH ? {{(21-FW){1'b0}}, fetch_n, 4'd0} : {12'd0, iss_frag[12:0]};
assign rd_desc_tag = state_reg == S_FETCH ? 2'b01 : {iss_last, 1'b0};
wire rd_desc_go = rd_desc_valid && rd_desc_ready;

// the failing fetch burst starts at a descriptor boundary: name its first descriptor
wire [31:0] seg_err_off = seg_sts_addr_reg - seg_addr_reg;
wire [15:0] seg_err_index = seg_index_reg + seg_err_off[19:4];
wire unused_seg = &{1'b0, seg_err_off[31:20], seg_err_off[3:0]};

/*
 * dma_wr: TX CQE
 */
wire [CQE_BITS-1:0] cqe =
    ({{(CQE_BITS-32){1'b0}}, f_cookie_reg} << (8*`ZCNIC_TX_CQE_COOKIE_OFF)) |
    ({{(CQE_BITS-16){1'b0}}, f_eop_index_reg} << (8*`ZCNIC_TX_CQE_INDEX_OFF)) |
    ({{(CQE_BITS-8){1'b0}}, (cur_cqp[cur_size_log2_reg] ? 8'h00 : `ZCNIC_CQE_PHASE)}
        << (8*`ZCNIC_TX_CQE_FLAGS_OFF)) |
    ({{(CQE_BITS-TW){1'b0}}, f_total_reg} << (8*`ZCNIC_TX_CQE_LEN_OFF)) |
    ({{(CQE_BITS-FW){1'b0}}, f_cnt_reg} << (8*`ZCNIC_TX_CQE_FRAGS_OFF));
wire [CQE_WIDE-1:0] cqe_wide = {{(CQE_WIDE-CQE_BITS){1'b0}}, cqe};
wire [CQE_WIDE-1:0] cqe_beat = cqe_wide >> (cqe_beat_reg * DATA_WIDTH);
wire unused_cqe = &{1'b0, cqe_beat};
wire [15:0] cq_slot = cur_cqp & ring_mask;

wire        wr_desc_valid = state_reg == S_CQE && !cqe_desc_done_reg;
wire        wr_desc_ready;
wire        wr_tvalid = state_reg == S_CQE && !cqe_data_done_reg;
wire        wr_tready;
wire        wr_tlast = cqe_beat_reg == CQE_LAST_BEAT;
wire        wr_sts_tag, wr_sts_error, wr_sts_valid;
wire [1:0]  wr_sts_resp;
wire [31:0] wr_sts_err_addr;
wire        wr_busy, wr_err;
wire [1:0]  wr_err_resp;
wire [31:0] wr_err_addr;
wire unused_wr = &{1'b0, wr_busy, wr_err, wr_err_resp, wr_err_addr, wr_sts_tag};

dma_wr #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(25),
    .TAG_WIDTH(1),
    .DESC_FIFO_DEPTH(4),
    .MAX_OUTSTANDING(4)
)
dma_wr_inst (
    .clk(clk),
    .rst(rst),
    .stop(1'b0),
    .busy(wr_busy),
    .err(wr_err),
    .err_resp(wr_err_resp),
    .err_addr(wr_err_addr),
    .s_desc_addr(cur_cq_reg + {12'd0, cq_slot, 4'd0}),
    .s_desc_len(CQE_LEN),
    .s_desc_tag(1'b0),
    .s_desc_valid(wr_desc_valid),
    .s_desc_ready(wr_desc_ready),
    .m_sts_tag(wr_sts_tag),
    .m_sts_error(wr_sts_error),
    .m_sts_resp(wr_sts_resp),
    .m_sts_err_addr(wr_sts_err_addr),
    .m_sts_valid(wr_sts_valid),
    .m_sts_ready(1'b1),
    .s_axis_tdata(cqe_beat[DATA_WIDTH-1:0]),
    .s_axis_tkeep({BYTES{1'b1}}),
    .s_axis_tlast(wr_tlast),
    .s_axis_tvalid(wr_tvalid),
    .s_axis_tready(wr_tready),
    .m_axi_awid(m_axi_awid),
    .m_axi_awaddr(m_axi_awaddr),
    .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize),
    .m_axi_awburst(m_axi_awburst),
    .m_axi_awlock(m_axi_awlock),
    .m_axi_awcache(m_axi_awcache),
    .m_axi_awprot(m_axi_awprot),
    .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata),
    .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid),
    .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid),
    .m_axi_bresp(m_axi_bresp),
    .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready)
);

/*
 * State update
 */
// a queue error raised this cycle; CONS and CQ_PROD advances
always @* begin
    cons_set = state_reg == S_DATA_WAIT && sts_cnt_reg == f_cnt_reg && !d_err_reg;
    cqp_set = state_reg == S_CQE_WAIT && wr_sts_valid && !wr_sts_error;
    raise = 1'b0;
    raise_code = 4'd0;
    raise_resp = 2'd0;
    raise_index = 16'd0;
    raise_addr = 32'd0;
    raise_dma = 1'b0;
    if (state_reg == S_FETCH_WAIT && seg_sts_reg && seg_done_reg && !unp_valid) begin
        if (seg_sts_err_reg) begin
            raise = 1'b1;
            raise_code = QERR_DESC_READ;
            raise_resp = seg_sts_resp_reg;
            raise_index = seg_err_index;
            raise_addr = seg_sts_addr_reg;
            raise_dma = 1'b1;
        end else if (f_bad_reg) begin
            raise = 1'b1;
            raise_code = QERR_BAD_DESC;
            raise_index = f_bad_index_reg;
            raise_addr = f_bad_addr_reg;
        end
    end
    if (state_reg == S_DATA_WAIT && sts_cnt_reg == f_cnt_reg && d_err_reg) begin
        raise = 1'b1;
        raise_code = QERR_DATA_READ;
        raise_resp = d_err_resp_reg;
        raise_index = cur_cons + {{(16-FW){1'b0}}, d_err_frag_reg};
        raise_addr = d_err_addr_reg;
        raise_dma = 1'b1;
    end
    if (state_reg == S_CQE_WAIT && wr_sts_valid && wr_sts_error) begin
        raise = 1'b1;
        raise_code = QERR_CQ_WRITE;
        raise_resp = wr_sts_resp;
        raise_index = f_eop_index_reg;
        raise_addr = wr_sts_err_addr;
        raise_dma = 1'b1;
    end
end

always @(posedge clk) begin
    cq_evt_reg <= {QUEUES{1'b0}};
    stat_drop_reg <= 1'b0;
    stat_dma_err_reg <= 1'b0;

    // payload statuses, in fragment order
    if (rd_sts_data) begin
        sts_cnt_reg <= sts_cnt_reg + 1'b1;
        if (rd_sts_error && !d_err_reg) begin
            d_err_reg <= 1'b1;
            d_err_frag_reg <= sts_cnt_reg;
            d_err_resp_reg <= rd_sts_resp;
            d_err_addr_reg <= rd_sts_err_addr;
        end
    end

    // descriptor validation
    if (d_take) begin
        if (d_len_bad) begin
            f_bad_reg <= 1'b1;
            f_bad_index_reg <= d_index;
            f_bad_addr_reg <= d_addr;
        end else begin
            frag_mem[f_cnt_reg[FI-1:0]] <= {d_addr, d_len[12:0]};
            f_cnt_reg <= f_cnt_reg + 1'b1;
            f_total_reg <= d_total;
            if (f_cnt_reg == {FW{1'b0}}) begin
                f_csum_reg <= {d_csum_udp, d_csum_ip};
            end
            if (d_eop) begin
                f_eop_reg <= 1'b1;
                f_cookie_reg <= d_cookie;
                f_eop_index_reg <= d_index;
                if (d_total > MAX_FRAME_T) begin
                    f_bad_reg <= 1'b1;
                    f_bad_index_reg <= d_index;
                    f_bad_addr_reg <= d_addr;
                end
            end else if (f_cnt_reg + 1'b1 == MAX_FRAGS_F) begin
                // MAX_FRAGS descriptors and no EOP: this frame can never be valid
                f_bad_reg <= 1'b1;
                f_bad_index_reg <= d_index;
                f_bad_addr_reg <= d_addr;
            end
        end
    end

    // the fetch stream of the current segment is over once its last (or error) beat is in
    if (state_reg == S_FETCH_WAIT && unp_in && rd_tlast) begin
        seg_done_reg <= 1'b1;
    end
    if (state_reg == S_FETCH_WAIT && rd_sts_desc) begin
        seg_sts_reg <= 1'b1;
        seg_sts_err_reg <= rd_sts_error;
        seg_sts_resp_reg <= rd_sts_resp;
        seg_sts_addr_reg <= rd_sts_err_addr;
    end

    case (state_reg)
        S_IDLE: begin
            if (pick_ok) begin
                cur_q_reg <= pick_q;
                rr_reg <= pick_q;
                cur_ring_reg <= q_ring_base[pick_q*32 +: 32];
                cur_cq_reg <= q_cq_base[pick_q*32 +: 32];
                cur_size_log2_reg <= q_size_log2[pick_q*4 +: 4];
                f_cnt_reg <= {FW{1'b0}};
                f_total_reg <= {TW{1'b0}};
                f_eop_reg <= 1'b0;
                f_bad_reg <= 1'b0;
                f_csum_reg <= 2'b00;
                state_reg <= S_FETCH;
            end
        end
        S_FETCH: begin
            if (rd_desc_go) begin
                seg_index_reg <= fetch_index;
                seg_addr_reg <= fetch_addr;
                seg_sts_reg <= 1'b0;
                seg_done_reg <= 1'b0;
                state_reg <= S_FETCH_WAIT;
            end
        end
        S_FETCH_WAIT: begin
            // wait for the status and for the unpacker to have taken (and validated) every beat
            if (seg_sts_reg && seg_done_reg && !unp_valid) begin
                if (seg_sts_err_reg || f_bad_reg) begin
                    state_reg <= S_IDLE;
                end else if (f_eop_reg) begin
                    iss_cnt_reg <= {FW{1'b0}};
                    sts_cnt_reg <= {FW{1'b0}};
                    d_err_reg <= 1'b0;
                    state_reg <= S_ISSUE;
                end else if (fetch_left != 16'd0) begin
                    state_reg <= S_FETCH;
                end else begin
                    // no complete frame posted: wait for the next doorbell
                    stall_reg[cur_q_reg] <= 1'b1;
                    state_reg <= S_IDLE;
                end
            end
        end
        S_ISSUE: begin
            if (rd_desc_go) begin
                iss_cnt_reg <= iss_cnt_reg + 1'b1;
                if (iss_last) begin
                    state_reg <= S_DATA_WAIT;
                end
            end
        end
        S_DATA_WAIT: begin
            if (sts_cnt_reg == f_cnt_reg) begin
                if (d_err_reg) begin
                    state_reg <= S_IDLE;
                end else begin
                    cqe_desc_done_reg <= 1'b0;
                    cqe_data_done_reg <= 1'b0;
                    cqe_beat_reg <= 2'd0;
                    // CONS advances here (cons_set), before the CQE can be seen: a driver
                    // reuses the slots on seeing it, and its next doorbell must not find CONS behind
                    state_reg <= S_CQE;
                end
            end
        end
        S_CQE: begin
            if (wr_desc_valid && wr_desc_ready) begin
                cqe_desc_done_reg <= 1'b1;
            end
            if (wr_tvalid && wr_tready) begin
                cqe_beat_reg <= cqe_beat_reg + 1'b1;
                if (wr_tlast) begin
                    cqe_data_done_reg <= 1'b1;
                end
            end
            if ((cqe_desc_done_reg || (wr_desc_valid && wr_desc_ready)) &&
                (cqe_data_done_reg || (wr_tvalid && wr_tready && wr_tlast))) begin
                state_reg <= S_CQE_WAIT;
            end
        end
        S_CQE_WAIT: begin
            if (wr_sts_valid) begin
                if (!wr_sts_error) begin
                    cq_evt_reg[cur_q_reg] <= 1'b1;
                end
                state_reg <= S_IDLE;
            end
        end
        default: begin
            state_reg <= S_IDLE;
        end
    endcase

    if (raise) begin
        stat_dma_err_reg <= raise_dma;
        // the frame is not sent (a CQ write error comes after the frame left)
        stat_drop_reg <= raise_code != QERR_CQ_WRITE;
    end

    // a doorbell wakes a queue that waits for the rest of a frame; RESET clears the wait too
    if (prod_wr || reset_wr) begin
        stall_reg[wr_queue[QW-1:0]] <= 1'b0;
    end

    if (rst) begin
        state_reg <= S_IDLE;
        cur_q_reg <= {QW{1'b0}};
        rr_reg <= LAST_Q;
        stall_reg <= {QUEUES{1'b0}};
        cq_evt_reg <= {QUEUES{1'b0}};
        stat_drop_reg <= 1'b0;
        stat_dma_err_reg <= 1'b0;
        f_cnt_reg <= {FW{1'b0}};
        f_eop_reg <= 1'b0;
        f_bad_reg <= 1'b0;
        iss_cnt_reg <= {FW{1'b0}};
        sts_cnt_reg <= {FW{1'b0}};
        d_err_reg <= 1'b0;
        seg_sts_reg <= 1'b0;
        seg_done_reg <= 1'b0;
    end
end

assign cq_evt = cq_evt_reg;
assign stat_drop = stat_drop_reg;
assign stat_dma_err = stat_dma_err_reg;

endmodule

`resetall
