// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * zcnic top level: the NIC.
 *
 *   AXI4-Lite registers --+-- nic_regs (globals, copy engine, MAC_CTRL)   0x0000..
 *                         +-- nic_stats (STAT_*)                          0x0200..
 *                         +-- nic_tx queue registers                      0x0400..
 *                         +-- nic_rx queue registers                      0x0800..
 *                         +-- rx_steer tables (inside nic_rx)             0x1000..
 *
 *   copy_engine --+
 *   nic_tx -------+-- axi_rd_arb / axi_wr_arb -- AXI4 master (32-bit addresses)
 *   nic_rx -------+
 *
 *   nic_tx -> MAC TX stream;  MAC RX stream -> nic_rx;  MAC_CTRL.LOOPBACK joins the two inside.
 *   completion events -> irq_moderation -> irq[1..]: vector 1+q for TX queue q,
 *   1+TX_QUEUES+q for RX queue q; vector 0 (MISC) for copy and queue-error causes.
 *
 * Reset convention: rst is synchronous and active-high, for the whole design.
 */
module nic_top #
(
    // AXI4 DMA and MAC stream data width in bits: 64..512, power of 2
    parameter DATA_WIDTH = 64,
    // AXI4 DMA ID width: the arbiter puts the requester's index above each engine's 1-bit ID
    parameter ID_WIDTH = 4,
    // Largest burst in bytes: power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats
    parameter CHUNK_BYTES = 512,
    // Queues per direction (1..16), each with its completion queue and interrupt vector
    parameter TX_QUEUES = 4,
    parameter RX_QUEUES = 4,
    // log2 of the largest ring (4..15)
    parameter MAX_RING_LOG2 = 10,
    // Most TX descriptors one frame may span
    parameter MAX_FRAGS = 32,
    // RX steering: exact-match filters and RSS indirection table entries
    parameter FILTERS = 16,
    parameter RSS_ENTRIES = 128,
    // Interrupt vectors: MISC, then one per completion queue (derived; do not override)
    parameter IRQ_VECTORS = 1 + TX_QUEUES + RX_QUEUES
)
(
    input  wire                     clk,
    input  wire                     rst,

    /*
     * AXI4-Lite slave interface (register window, ZCNIC_REG_WINDOW_BYTES)
     */
    input  wire [12:0]              s_axil_awaddr,
    input  wire [2:0]               s_axil_awprot,
    input  wire                     s_axil_awvalid,
    output wire                     s_axil_awready,
    input  wire [31:0]              s_axil_wdata,
    input  wire [3:0]               s_axil_wstrb,
    input  wire                     s_axil_wvalid,
    output wire                     s_axil_wready,
    output wire [1:0]               s_axil_bresp,
    output wire                     s_axil_bvalid,
    input  wire                     s_axil_bready,
    input  wire [12:0]              s_axil_araddr,
    input  wire [2:0]               s_axil_arprot,
    input  wire                     s_axil_arvalid,
    output wire                     s_axil_arready,
    output wire [31:0]              s_axil_rdata,
    output wire [1:0]               s_axil_rresp,
    output wire                     s_axil_rvalid,
    input  wire                     s_axil_rready,

    /*
     * AXI4 master interface (DMA, 32-bit addresses)
     */
    output wire [ID_WIDTH-1:0]      m_axi_awid,
    output wire [31:0]              m_axi_awaddr,
    output wire [7:0]               m_axi_awlen,
    output wire [2:0]               m_axi_awsize,
    output wire [1:0]               m_axi_awburst,
    output wire                     m_axi_awlock,
    output wire [3:0]               m_axi_awcache,
    output wire [2:0]               m_axi_awprot,
    output wire                     m_axi_awvalid,
    input  wire                     m_axi_awready,
    output wire [DATA_WIDTH-1:0]    m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]  m_axi_wstrb,
    output wire                     m_axi_wlast,
    output wire                     m_axi_wvalid,
    input  wire                     m_axi_wready,
    input  wire [ID_WIDTH-1:0]      m_axi_bid,
    input  wire [1:0]               m_axi_bresp,
    input  wire                     m_axi_bvalid,
    output wire                     m_axi_bready,
    output wire [ID_WIDTH-1:0]      m_axi_arid,
    output wire [31:0]              m_axi_araddr,
    output wire [7:0]               m_axi_arlen,
    output wire [2:0]               m_axi_arsize,
    output wire [1:0]               m_axi_arburst,
    output wire                     m_axi_arlock,
    output wire [3:0]               m_axi_arcache,
    output wire [2:0]               m_axi_arprot,
    output wire                     m_axi_arvalid,
    input  wire                     m_axi_arready,
    input  wire [ID_WIDTH-1:0]      m_axi_rid,
    input  wire [DATA_WIDTH-1:0]    m_axi_rdata,
    input  wire [1:0]               m_axi_rresp,
    input  wire                     m_axi_rlast,
    input  wire                     m_axi_rvalid,
    output wire                     m_axi_rready,

    /*
     * MAC TX stream (frames out; tkeep all ones except on the last beat)
     */
    output wire [DATA_WIDTH-1:0]    m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0]  m_axis_tx_tkeep,
    output wire                     m_axis_tx_tvalid,
    input  wire                     m_axis_tx_tready,
    output wire                     m_axis_tx_tlast,

    /*
     * MAC RX stream (frames in; tuser on the last beat marks a bad frame)
     */
    input  wire [DATA_WIDTH-1:0]    s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_rx_tkeep,
    input  wire                     s_axis_rx_tvalid,
    output wire                     s_axis_rx_tready,
    input  wire                     s_axis_rx_tlast,
    input  wire                     s_axis_rx_tuser,

    /*
     * Interrupts: one-cycle pulse per message; vector 0 is ZCNIC_IRQ_VECTOR_MISC
     */
    output wire [IRQ_VECTORS-1:0]   irq
);

localparam DATA_BYTES = DATA_WIDTH/8;
localparam CHUNK_LOG2 = $clog2(CHUNK_BYTES);
// each engine's own AXI ID width; the arbiter adds the requester index above it
localparam SID = 1;
localparam QV = TX_QUEUES + RX_QUEUES;
localparam VW = (QV > 1) ? $clog2(QV) : 1;
// the first RX vector among the queue vectors
localparam [VW+3:0] TXQ_OFF = TX_QUEUES[VW+3:0];

// check configuration
initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH-1)) != 0) begin
        $error("Error: DATA_WIDTH must be a power of 2 in 64..512, got %0d (instance %m)", DATA_WIDTH);
        $finish;
    end
    if (ID_WIDTH < SID + 2 || ID_WIDTH > 32) begin
        $error("Error: ID_WIDTH must be 3..32 (requester index + engine ID), got %0d (instance %m)", ID_WIDTH);
        $finish;
    end
    if (CHUNK_BYTES < 1 || (CHUNK_BYTES & (CHUNK_BYTES-1)) != 0) begin
        $error("Error: CHUNK_BYTES must be a power of 2, got %0d (instance %m)", CHUNK_BYTES);
        $finish;
    end
    if (CHUNK_BYTES < 2*DATA_BYTES || CHUNK_BYTES > 4096 || CHUNK_BYTES > 256*DATA_BYTES) begin
        $error("Error: CHUNK_BYTES must be >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats, got %0d (instance %m)",
            CHUNK_BYTES);
        $finish;
    end
    if (TX_QUEUES < 1 || TX_QUEUES > `ZCNIC_QUEUE_MAX_QUEUES || RX_QUEUES < 1 || RX_QUEUES > `ZCNIC_QUEUE_MAX_QUEUES) begin
        $error("Error: TX_QUEUES and RX_QUEUES must be 1..16, got %0d and %0d (instance %m)", TX_QUEUES, RX_QUEUES);
        $finish;
    end
    if (IRQ_VECTORS != 1 + TX_QUEUES + RX_QUEUES) begin
        $error("Error: IRQ_VECTORS is derived (1 + TX_QUEUES + RX_QUEUES = %0d), got %0d (instance %m)",
            1 + TX_QUEUES + RX_QUEUES, IRQ_VECTORS);
        $finish;
    end
end

/*
 * Register window decode
 */
wire [12:0] reg_wr_addr;
wire [31:0] reg_wr_data;
wire [3:0]  reg_wr_strb;
wire        reg_wr_en;
reg  [1:0]  reg_wr_resp;
wire [12:0] reg_rd_addr;
wire        reg_rd_en;
reg  [31:0] reg_rd_data;
reg  [1:0]  reg_rd_resp;

// 0: core (nic_regs, nic_stats), 1: TX queues, 2: RX queues, 4..7: steering
wire [2:0] wr_region = reg_wr_addr[12:10];
wire [2:0] rd_region = reg_rd_addr[12:10];
wire wr_tx = wr_region == 3'd1;
wire wr_rx = wr_region == 3'd2;
wire wr_steer = reg_wr_addr[12];
wire wr_core = !wr_tx && !wr_rx && !wr_steer;
wire rd_tx = rd_region == 3'd1;
wire rd_rx = rd_region == 3'd2;
wire rd_steer = reg_rd_addr[12];

wire [1:0]  core_wr_resp, tx_wr_resp, rx_wr_resp;
wire [31:0] core_rd_data, tx_rd_data, rx_rd_data, steer_rd_data, stats_rd_data;
wire [1:0]  core_rd_resp, tx_rd_resp, rx_rd_resp;
wire        steer_wr_err, steer_rd_err, stats_rd_hit, stats_wr_hit;

always @* begin
    if (wr_steer) begin
        reg_wr_resp = steer_wr_err ? `ZCNIC_AXI_RESP_SLVERR : `ZCNIC_AXI_RESP_OKAY;
    end else if (wr_tx) begin
        reg_wr_resp = tx_wr_resp;
    end else if (wr_rx) begin
        reg_wr_resp = rx_wr_resp;
    end else if (stats_wr_hit) begin
        reg_wr_resp = `ZCNIC_AXI_RESP_OKAY; // read-only: ignored
    end else begin
        reg_wr_resp = core_wr_resp;
    end
    if (rd_steer) begin
        reg_rd_data = steer_rd_err ? 32'd0 : steer_rd_data;
        reg_rd_resp = steer_rd_err ? `ZCNIC_AXI_RESP_DECERR : `ZCNIC_AXI_RESP_OKAY;
    end else if (rd_tx) begin
        reg_rd_data = tx_rd_data;
        reg_rd_resp = tx_rd_resp;
    end else if (rd_rx) begin
        reg_rd_data = rx_rd_data;
        reg_rd_resp = rx_rd_resp;
    end else if (stats_rd_hit) begin
        reg_rd_data = stats_rd_data;
        reg_rd_resp = `ZCNIC_AXI_RESP_OKAY;
    end else begin
        reg_rd_data = core_rd_data;
        reg_rd_resp = core_rd_resp;
    end
end

wire                                          soft_reset;
wire                                          copy_doorbell;
wire [31:0]                                   copy_desc_addr;
wire                                          copy_busy;
wire                                          copy_done;
wire                                          copy_error;
wire [`ZCNIC_COPY_STATUS_ERR_CODE_WIDTH-1:0]  copy_err_code;
wire [`ZCNIC_COPY_STATUS_ERR_RESP_WIDTH-1:0]  copy_err_resp;
wire [31:0]                                   copy_err_addr;
wire [31:0]                                   copy_completed;
wire [31:0]                                   copy_bytes;
wire                                          copy_done_evt;
wire                                          copy_error_evt;
wire                                          irq_misc;
wire                                          mac_loopback;

wire [TX_QUEUES-1:0]    tx_err_queues, tx_cq_evt;
wire [RX_QUEUES-1:0]    rx_err_queues, rx_cq_evt;
wire                    tx_err_evt, rx_err_evt;
wire [TX_QUEUES*16-1:0] tx_irq_frames, tx_irq_cycles;
wire [RX_QUEUES*16-1:0] rx_irq_frames, rx_irq_cycles;
wire                    tx_arm_valid, rx_arm_valid;
wire [3:0]              tx_arm_queue, rx_arm_queue;

wire        stat_tx_frame, stat_tx_drop, stat_tx_dma_err;
wire [15:0] stat_tx_bytes, stat_rx_bytes;
wire        stat_rx_frame, stat_rx_drop_nodesc, stat_rx_drop_filter, stat_rx_drop_queue;
wire        stat_rx_drop_bad, stat_rx_drop_dma, stat_rx_dma_err;

// protection bits carry no meaning for the register window
wire unused_prot = &{1'b0, s_axil_awprot, s_axil_arprot};

axil_reg_if #(
    .ADDR_WIDTH(13)
)
axil_reg_if_inst (
    .clk(clk),
    .rst(rst),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .reg_wr_addr(reg_wr_addr),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en),
    .reg_wr_resp(reg_wr_resp),
    .reg_rd_addr(reg_rd_addr),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(reg_rd_data),
    .reg_rd_resp(reg_rd_resp)
);

nic_regs #(
    .DATA_BYTES(DATA_BYTES),
    .IRQ_VECTORS(IRQ_VECTORS),
    .CHUNK_LOG2(CHUNK_LOG2),
    .TX_QUEUES(TX_QUEUES),
    .RX_QUEUES(RX_QUEUES),
    .MAX_RING_LOG2(MAX_RING_LOG2),
    .MAX_FRAGS(MAX_FRAGS)
)
nic_regs_inst (
    .clk(clk),
    .rst(rst),
    .reg_wr_addr(reg_wr_addr[11:0]),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en && wr_core && !stats_wr_hit),
    .reg_wr_resp(core_wr_resp),
    .reg_rd_addr(reg_rd_addr[11:0]),
    .reg_rd_en(reg_rd_en),
    .reg_rd_data(core_rd_data),
    .reg_rd_resp(core_rd_resp),
    .soft_reset(soft_reset),
    .copy_doorbell(copy_doorbell),
    .copy_desc_addr(copy_desc_addr),
    .copy_busy(copy_busy),
    .copy_done(copy_done),
    .copy_error(copy_error),
    .copy_err_code(copy_err_code),
    .copy_err_resp(copy_err_resp),
    .copy_err_addr(copy_err_addr),
    .copy_completed(copy_completed),
    .copy_bytes(copy_bytes),
    .copy_done_evt(copy_done_evt),
    .copy_error_evt(copy_error_evt),
    .tx_err_queues({{(16-TX_QUEUES){1'b0}}, tx_err_queues}),
    .rx_err_queues({{(16-RX_QUEUES){1'b0}}, rx_err_queues}),
    .tx_err_evt(tx_err_evt),
    .rx_err_evt(rx_err_evt),
    .mac_loopback(mac_loopback),
    .irq_misc(irq_misc)
);

nic_stats
nic_stats_inst (
    .clk(clk),
    .rst(rst),
    .clear(soft_reset),
    .tx_frame(stat_tx_frame),
    .tx_bytes(stat_tx_bytes),
    .tx_drop(stat_tx_drop),
    .tx_dma_err(stat_tx_dma_err),
    .rx_frame(stat_rx_frame),
    .rx_bytes(stat_rx_bytes),
    .rx_drop_nodesc(stat_rx_drop_nodesc),
    .rx_drop_filter(stat_rx_drop_filter),
    .rx_drop_queue(stat_rx_drop_queue),
    .rx_drop_bad(stat_rx_drop_bad),
    .rx_drop_dma(stat_rx_drop_dma),
    .rx_dma_err(stat_rx_dma_err),
    .rd_addr(reg_rd_addr[11:0]),
    .rd_data(stats_rd_data),
    .rd_hit(stats_rd_hit),
    .wr_addr(reg_wr_addr[11:0]),
    .wr_hit(stats_wr_hit)
);

/*
 * Interrupts
 */
wire [QV-1:0] qirq;
// the state read port is for tests of irq_moderation alone
wire [32:0] unused_rd;
wire unused_irq_rd = &{1'b0, unused_rd};

assign irq = {qirq, irq_misc};

// at most one register write per cycle, so the two arm strobes never collide; the engines
// only report queues they have, so the widened index never overflows VW bits
wire [VW+3:0] tx_arm_ext = {{VW{1'b0}}, tx_arm_queue};
wire [VW+3:0] rx_arm_ext = {{VW{1'b0}}, rx_arm_queue} + TXQ_OFF;
wire [VW-1:0] arm_vector = tx_arm_valid ? tx_arm_ext[VW-1:0] : rx_arm_ext[VW-1:0];
wire unused_arm = &{1'b0, tx_arm_ext[VW+3:VW], rx_arm_ext[VW+3:VW]};

irq_moderation #(
    .VECTORS(QV),
    .COUNT_WIDTH(16),
    .TIME_WIDTH(16)
)
irq_moderation_inst (
    .clk(clk),
    .rst(rst),
    .event_valid({rx_cq_evt, tx_cq_evt}),
    .cfg_frames({rx_irq_frames, tx_irq_frames}),
    .cfg_time({rx_irq_cycles, tx_irq_cycles}),
    .arm_valid(tx_arm_valid || rx_arm_valid),
    .arm_vector(arm_vector),
    .rd_vector({VW{1'b0}}),
    .rd_pending(unused_rd[15:0]),
    .rd_age(unused_rd[31:16]),
    .rd_armed(unused_rd[32]),
    .irq(qirq)
);

/*
 * MAC side and loopback
 */
wire [DATA_WIDTH-1:0]   tx_tdata;
wire [DATA_BYTES-1:0]   tx_tkeep;
wire                    tx_tvalid, tx_tready, tx_tlast;
wire [DATA_WIDTH-1:0]   rx_tdata;
wire [DATA_BYTES-1:0]   rx_tkeep;
wire                    rx_tvalid, rx_tready, rx_tlast, rx_tuser;

// loopback: TX feeds RX inside; the MAC TX stream idles and MAC RX is held off
assign m_axis_tx_tdata = tx_tdata;
assign m_axis_tx_tkeep = tx_tkeep;
assign m_axis_tx_tlast = tx_tlast;
assign m_axis_tx_tvalid = tx_tvalid && !mac_loopback;
assign tx_tready = mac_loopback ? rx_tready : m_axis_tx_tready;
assign rx_tdata = mac_loopback ? tx_tdata : s_axis_rx_tdata;
assign rx_tkeep = mac_loopback ? tx_tkeep : s_axis_rx_tkeep;
assign rx_tlast = mac_loopback ? tx_tlast : s_axis_rx_tlast;
assign rx_tuser = mac_loopback ? 1'b0 : s_axis_rx_tuser;
assign rx_tvalid = mac_loopback ? tx_tvalid : s_axis_rx_tvalid;
assign s_axis_rx_tready = rx_tready && !mac_loopback;

/*
 * DMA requesters and the arbiter: 0 copy engine, 1 TX, 2 RX
 */
wire [3*SID-1:0] arb_s_axi_awid;
wire [3*32-1:0] arb_s_axi_awaddr;
wire [3*8-1:0] arb_s_axi_awlen;
wire [3*3-1:0] arb_s_axi_awsize;
wire [3*2-1:0] arb_s_axi_awburst;
wire [2:0] arb_s_axi_awlock;
wire [3*4-1:0] arb_s_axi_awcache;
wire [3*3-1:0] arb_s_axi_awprot;
wire [2:0] arb_s_axi_awvalid;
wire [2:0] arb_s_axi_awready;
wire [3*DATA_WIDTH-1:0] arb_s_axi_wdata;
wire [3*DATA_WIDTH/8-1:0] arb_s_axi_wstrb;
wire [2:0] arb_s_axi_wlast;
wire [2:0] arb_s_axi_wvalid;
wire [2:0] arb_s_axi_wready;
wire [3*SID-1:0] arb_s_axi_bid;
wire [3*2-1:0] arb_s_axi_bresp;
wire [2:0] arb_s_axi_bvalid;
wire [2:0] arb_s_axi_bready;
wire [3*SID-1:0] arb_s_axi_arid;
wire [3*32-1:0] arb_s_axi_araddr;
wire [3*8-1:0] arb_s_axi_arlen;
wire [3*3-1:0] arb_s_axi_arsize;
wire [3*2-1:0] arb_s_axi_arburst;
wire [2:0] arb_s_axi_arlock;
wire [3*4-1:0] arb_s_axi_arcache;
wire [3*3-1:0] arb_s_axi_arprot;
wire [2:0] arb_s_axi_arvalid;
wire [2:0] arb_s_axi_arready;
wire [3*SID-1:0] arb_s_axi_rid;
wire [3*DATA_WIDTH-1:0] arb_s_axi_rdata;
wire [3*2-1:0] arb_s_axi_rresp;
wire [2:0] arb_s_axi_rlast;
wire [2:0] arb_s_axi_rvalid;
wire [2:0] arb_s_axi_rready;

copy_engine #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(SID),
    .CHUNK_BYTES(CHUNK_BYTES)
)
copy_engine_inst (
    .clk(clk),
    .rst(rst),
    .soft_reset(soft_reset),
    .doorbell(copy_doorbell),
    .desc_addr(copy_desc_addr),
    .busy(copy_busy),
    .done(copy_done),
    .error(copy_error),
    .err_code(copy_err_code),
    .err_resp(copy_err_resp),
    .err_addr(copy_err_addr),
    .completed(copy_completed),
    .bytes(copy_bytes),
    .done_evt(copy_done_evt),
    .error_evt(copy_error_evt),
    .m_axi_awid(arb_s_axi_awid[0*SID +: SID]),
    .m_axi_awaddr(arb_s_axi_awaddr[0*32 +: 32]),
    .m_axi_awlen(arb_s_axi_awlen[0*8 +: 8]),
    .m_axi_awsize(arb_s_axi_awsize[0*3 +: 3]),
    .m_axi_awburst(arb_s_axi_awburst[0*2 +: 2]),
    .m_axi_awlock(arb_s_axi_awlock[0]),
    .m_axi_awcache(arb_s_axi_awcache[0*4 +: 4]),
    .m_axi_awprot(arb_s_axi_awprot[0*3 +: 3]),
    .m_axi_awvalid(arb_s_axi_awvalid[0]),
    .m_axi_awready(arb_s_axi_awready[0]),
    .m_axi_wdata(arb_s_axi_wdata[0*DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_wstrb(arb_s_axi_wstrb[0*DATA_WIDTH/8 +: DATA_WIDTH/8]),
    .m_axi_wlast(arb_s_axi_wlast[0]),
    .m_axi_wvalid(arb_s_axi_wvalid[0]),
    .m_axi_wready(arb_s_axi_wready[0]),
    .m_axi_bid(arb_s_axi_bid[0*SID +: SID]),
    .m_axi_bresp(arb_s_axi_bresp[0*2 +: 2]),
    .m_axi_bvalid(arb_s_axi_bvalid[0]),
    .m_axi_bready(arb_s_axi_bready[0]),
    .m_axi_arid(arb_s_axi_arid[0*SID +: SID]),
    .m_axi_araddr(arb_s_axi_araddr[0*32 +: 32]),
    .m_axi_arlen(arb_s_axi_arlen[0*8 +: 8]),
    .m_axi_arsize(arb_s_axi_arsize[0*3 +: 3]),
    .m_axi_arburst(arb_s_axi_arburst[0*2 +: 2]),
    .m_axi_arlock(arb_s_axi_arlock[0]),
    .m_axi_arcache(arb_s_axi_arcache[0*4 +: 4]),
    .m_axi_arprot(arb_s_axi_arprot[0*3 +: 3]),
    .m_axi_arvalid(arb_s_axi_arvalid[0]),
    .m_axi_arready(arb_s_axi_arready[0]),
    .m_axi_rid(arb_s_axi_rid[0*SID +: SID]),
    .m_axi_rdata(arb_s_axi_rdata[0*DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_rresp(arb_s_axi_rresp[0*2 +: 2]),
    .m_axi_rlast(arb_s_axi_rlast[0]),
    .m_axi_rvalid(arb_s_axi_rvalid[0]),
    .m_axi_rready(arb_s_axi_rready[0])
);

nic_tx #(
    .DATA_WIDTH(DATA_WIDTH),
    .QUEUES(TX_QUEUES),
    .MAX_RING_LOG2(MAX_RING_LOG2),
    .MAX_FRAGS(MAX_FRAGS),
    .CHUNK_BYTES(CHUNK_BYTES),
    .ID_WIDTH(SID)
)
nic_tx_inst (
    .clk(clk),
    .rst(rst),
    .reg_wr_addr(reg_wr_addr[9:0]),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en && wr_tx),
    .reg_wr_resp(tx_wr_resp),
    .reg_rd_addr(reg_rd_addr[9:0]),
    .reg_rd_en(reg_rd_en && rd_tx),
    .reg_rd_data(tx_rd_data),
    .reg_rd_resp(tx_rd_resp),
    .err_queues(tx_err_queues),
    .err_evt(tx_err_evt),
    .cq_evt(tx_cq_evt),
    .irq_frames(tx_irq_frames),
    .irq_cycles(tx_irq_cycles),
    .arm_valid(tx_arm_valid),
    .arm_queue(tx_arm_queue),
    .stat_frame(stat_tx_frame),
    .stat_bytes(stat_tx_bytes),
    .stat_drop(stat_tx_drop),
    .stat_dma_err(stat_tx_dma_err),
    .m_axis_tdata(tx_tdata),
    .m_axis_tkeep(tx_tkeep),
    .m_axis_tvalid(tx_tvalid),
    .m_axis_tready(tx_tready),
    .m_axis_tlast(tx_tlast),
    .m_axi_awid(arb_s_axi_awid[1*SID +: SID]),
    .m_axi_awaddr(arb_s_axi_awaddr[1*32 +: 32]),
    .m_axi_awlen(arb_s_axi_awlen[1*8 +: 8]),
    .m_axi_awsize(arb_s_axi_awsize[1*3 +: 3]),
    .m_axi_awburst(arb_s_axi_awburst[1*2 +: 2]),
    .m_axi_awlock(arb_s_axi_awlock[1]),
    .m_axi_awcache(arb_s_axi_awcache[1*4 +: 4]),
    .m_axi_awprot(arb_s_axi_awprot[1*3 +: 3]),
    .m_axi_awvalid(arb_s_axi_awvalid[1]),
    .m_axi_awready(arb_s_axi_awready[1]),
    .m_axi_wdata(arb_s_axi_wdata[1*DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_wstrb(arb_s_axi_wstrb[1*DATA_WIDTH/8 +: DATA_WIDTH/8]),
    .m_axi_wlast(arb_s_axi_wlast[1]),
    .m_axi_wvalid(arb_s_axi_wvalid[1]),
    .m_axi_wready(arb_s_axi_wready[1]),
    .m_axi_bid(arb_s_axi_bid[1*SID +: SID]),
    .m_axi_bresp(arb_s_axi_bresp[1*2 +: 2]),
    .m_axi_bvalid(arb_s_axi_bvalid[1]),
    .m_axi_bready(arb_s_axi_bready[1]),
    .m_axi_arid(arb_s_axi_arid[1*SID +: SID]),
    .m_axi_araddr(arb_s_axi_araddr[1*32 +: 32]),
    .m_axi_arlen(arb_s_axi_arlen[1*8 +: 8]),
    .m_axi_arsize(arb_s_axi_arsize[1*3 +: 3]),
    .m_axi_arburst(arb_s_axi_arburst[1*2 +: 2]),
    .m_axi_arlock(arb_s_axi_arlock[1]),
    .m_axi_arcache(arb_s_axi_arcache[1*4 +: 4]),
    .m_axi_arprot(arb_s_axi_arprot[1*3 +: 3]),
    .m_axi_arvalid(arb_s_axi_arvalid[1]),
    .m_axi_arready(arb_s_axi_arready[1]),
    .m_axi_rid(arb_s_axi_rid[1*SID +: SID]),
    .m_axi_rdata(arb_s_axi_rdata[1*DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_rresp(arb_s_axi_rresp[1*2 +: 2]),
    .m_axi_rlast(arb_s_axi_rlast[1]),
    .m_axi_rvalid(arb_s_axi_rvalid[1]),
    .m_axi_rready(arb_s_axi_rready[1])
);

nic_rx #(
    .DATA_WIDTH(DATA_WIDTH),
    .QUEUES(RX_QUEUES),
    .MAX_RING_LOG2(MAX_RING_LOG2),
    .FILTERS(FILTERS),
    .RSS_ENTRIES(RSS_ENTRIES),
    .CHUNK_BYTES(CHUNK_BYTES),
    .ID_WIDTH(SID)
)
nic_rx_inst (
    .clk(clk),
    .rst(rst),
    .reg_wr_addr(reg_wr_addr[9:0]),
    .reg_wr_data(reg_wr_data),
    .reg_wr_strb(reg_wr_strb),
    .reg_wr_en(reg_wr_en && wr_rx),
    .reg_wr_resp(rx_wr_resp),
    .reg_rd_addr(reg_rd_addr[9:0]),
    .reg_rd_en(reg_rd_en && rd_rx),
    .reg_rd_data(rx_rd_data),
    .reg_rd_resp(rx_rd_resp),
    .steer_reg_wr_addr(reg_wr_addr[11:0]),
    .steer_reg_wr_data(reg_wr_data),
    .steer_reg_wr_strb(reg_wr_strb),
    .steer_reg_wr_en(reg_wr_en && wr_steer),
    .steer_reg_wr_err(steer_wr_err),
    .steer_reg_rd_addr(reg_rd_addr[11:0]),
    .steer_reg_rd_en(reg_rd_en && rd_steer),
    .steer_reg_rd_data(steer_rd_data),
    .steer_reg_rd_err(steer_rd_err),
    .err_queues(rx_err_queues),
    .err_evt(rx_err_evt),
    .cq_evt(rx_cq_evt),
    .irq_frames(rx_irq_frames),
    .irq_cycles(rx_irq_cycles),
    .arm_valid(rx_arm_valid),
    .arm_queue(rx_arm_queue),
    .stat_frame(stat_rx_frame),
    .stat_bytes(stat_rx_bytes),
    .stat_drop_nodesc(stat_rx_drop_nodesc),
    .stat_drop_filter(stat_rx_drop_filter),
    .stat_drop_queue(stat_rx_drop_queue),
    .stat_drop_bad(stat_rx_drop_bad),
    .stat_drop_dma(stat_rx_drop_dma),
    .stat_dma_err(stat_rx_dma_err),
    .s_axis_tdata(rx_tdata),
    .s_axis_tkeep(rx_tkeep),
    .s_axis_tvalid(rx_tvalid),
    .s_axis_tready(rx_tready),
    .s_axis_tlast(rx_tlast),
    .s_axis_tuser(rx_tuser),
    .m_axi_awid(arb_s_axi_awid[2*SID +: SID]),
    .m_axi_awaddr(arb_s_axi_awaddr[2*32 +: 32]),
    .m_axi_awlen(arb_s_axi_awlen[2*8 +: 8]),
    .m_axi_awsize(arb_s_axi_awsize[2*3 +: 3]),
    .m_axi_awburst(arb_s_axi_awburst[2*2 +: 2]),
    .m_axi_awlock(arb_s_axi_awlock[2]),
    .m_axi_awcache(arb_s_axi_awcache[2*4 +: 4]),
    .m_axi_awprot(arb_s_axi_awprot[2*3 +: 3]),
    .m_axi_awvalid(arb_s_axi_awvalid[2]),
    .m_axi_awready(arb_s_axi_awready[2]),
    .m_axi_wdata(arb_s_axi_wdata[2*DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_wstrb(arb_s_axi_wstrb[2*DATA_WIDTH/8 +: DATA_WIDTH/8]),
    .m_axi_wlast(arb_s_axi_wlast[2]),
    .m_axi_wvalid(arb_s_axi_wvalid[2]),
    .m_axi_wready(arb_s_axi_wready[2]),
    .m_axi_bid(arb_s_axi_bid[2*SID +: SID]),
    .m_axi_bresp(arb_s_axi_bresp[2*2 +: 2]),
    .m_axi_bvalid(arb_s_axi_bvalid[2]),
    .m_axi_bready(arb_s_axi_bready[2]),
    .m_axi_arid(arb_s_axi_arid[2*SID +: SID]),
    .m_axi_araddr(arb_s_axi_araddr[2*32 +: 32]),
    .m_axi_arlen(arb_s_axi_arlen[2*8 +: 8]),
    .m_axi_arsize(arb_s_axi_arsize[2*3 +: 3]),
    .m_axi_arburst(arb_s_axi_arburst[2*2 +: 2]),
    .m_axi_arlock(arb_s_axi_arlock[2]),
    .m_axi_arcache(arb_s_axi_arcache[2*4 +: 4]),
    .m_axi_arprot(arb_s_axi_arprot[2*3 +: 3]),
    .m_axi_arvalid(arb_s_axi_arvalid[2]),
    .m_axi_arready(arb_s_axi_arready[2]),
    .m_axi_rid(arb_s_axi_rid[2*SID +: SID]),
    .m_axi_rdata(arb_s_axi_rdata[2*DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_rresp(arb_s_axi_rresp[2*2 +: 2]),
    .m_axi_rlast(arb_s_axi_rlast[2]),
    .m_axi_rvalid(arb_s_axi_rvalid[2]),
    .m_axi_rready(arb_s_axi_rready[2])
);

axi_rd_arb #(
    .S_COUNT(3),
    .DATA_WIDTH(DATA_WIDTH),
    .S_ID_WIDTH(SID),
    .M_ID_WIDTH(ID_WIDTH)
)
axi_rd_arb_inst (
    .clk(clk),
    .rst(rst),
    .s_axi_arid(arb_s_axi_arid),
    .s_axi_araddr(arb_s_axi_araddr),
    .s_axi_arlen(arb_s_axi_arlen),
    .s_axi_arsize(arb_s_axi_arsize),
    .s_axi_arburst(arb_s_axi_arburst),
    .s_axi_arlock(arb_s_axi_arlock),
    .s_axi_arcache(arb_s_axi_arcache),
    .s_axi_arprot(arb_s_axi_arprot),
    .s_axi_arvalid(arb_s_axi_arvalid),
    .s_axi_arready(arb_s_axi_arready),
    .s_axi_rid(arb_s_axi_rid),
    .s_axi_rdata(arb_s_axi_rdata),
    .s_axi_rresp(arb_s_axi_rresp),
    .s_axi_rlast(arb_s_axi_rlast),
    .s_axi_rvalid(arb_s_axi_rvalid),
    .s_axi_rready(arb_s_axi_rready),
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

axi_wr_arb #(
    .S_COUNT(3),
    .DATA_WIDTH(DATA_WIDTH),
    .S_ID_WIDTH(SID),
    .M_ID_WIDTH(ID_WIDTH)
)
axi_wr_arb_inst (
    .clk(clk),
    .rst(rst),
    .s_axi_awid(arb_s_axi_awid),
    .s_axi_awaddr(arb_s_axi_awaddr),
    .s_axi_awlen(arb_s_axi_awlen),
    .s_axi_awsize(arb_s_axi_awsize),
    .s_axi_awburst(arb_s_axi_awburst),
    .s_axi_awlock(arb_s_axi_awlock),
    .s_axi_awcache(arb_s_axi_awcache),
    .s_axi_awprot(arb_s_axi_awprot),
    .s_axi_awvalid(arb_s_axi_awvalid),
    .s_axi_awready(arb_s_axi_awready),
    .s_axi_wdata(arb_s_axi_wdata),
    .s_axi_wstrb(arb_s_axi_wstrb),
    .s_axi_wlast(arb_s_axi_wlast),
    .s_axi_wvalid(arb_s_axi_wvalid),
    .s_axi_wready(arb_s_axi_wready),
    .s_axi_bid(arb_s_axi_bid),
    .s_axi_bresp(arb_s_axi_bresp),
    .s_axi_bvalid(arb_s_axi_bvalid),
    .s_axi_bready(arb_s_axi_bready),
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

endmodule

`resetall
