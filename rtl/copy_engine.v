// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

`include "zcnic_abi.vh"

/*
 * Descriptor-driven DMA copy engine (AXI4 master, 32-bit addresses).
 *
 * On a doorbell: fetch the 16-byte descriptor, validate LEN, copy with one read descriptor to
 * dma_rd and one write descriptor to dma_wr (dma_rd's lane-0 AXI-Stream feeds dma_wr), write the
 * status word back to desc+12, then publish COPY_STATUS and raise an event. This module owns the
 * AXI channels during the descriptor fetch and the write-back and hands them to dma_rd / dma_wr
 * during the copy (the phases never overlap). All transactions use ID 0, so responses return in
 * order. RREADY and BREADY are always high: every read is backed by buffer space and every write
 * response is expected. The first error seen by either engine (their early err outputs) aborts
 * both, as does a soft reset.
 *
 * A soft reset clears the published status at once. An active descriptor is aborted: nothing
 * new is issued, transactions already on the bus are completed and discarded, and the engine
 * then returns to idle without starting a write-back, publishing status or raising an event
 * (BUSY reads 1 until then).
 */
module copy_engine #
(
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // AXI ID width
    parameter ID_WIDTH = 4,
    // Largest burst in bytes (power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats)
    parameter CHUNK_BYTES = 512
)
(
    input  wire                                          clk,
    input  wire                                          rst,

    /*
     * Control
     */
    input  wire                                          soft_reset,
    input  wire                                          doorbell,
    input  wire [31:0]                                   desc_addr,

    /*
     * Status
     */
    output wire                                          busy,
    output wire                                          done,
    output wire                                          error,
    output wire [`ZCNIC_COPY_STATUS_ERR_CODE_WIDTH-1:0]  err_code,
    output wire [`ZCNIC_COPY_STATUS_ERR_RESP_WIDTH-1:0]  err_resp,
    output wire [31:0]                                   err_addr,
    output wire [31:0]                                   completed,
    output wire [31:0]                                   bytes,
    output wire                                          done_evt,
    output wire                                          error_evt,

    /*
     * AXI4 master interface
     */
    output wire [ID_WIDTH-1:0]                           m_axi_awid,
    output wire [31:0]                                   m_axi_awaddr,
    output wire [7:0]                                    m_axi_awlen,
    output wire [2:0]                                    m_axi_awsize,
    output wire [1:0]                                    m_axi_awburst,
    output wire                                          m_axi_awlock,
    output wire [3:0]                                    m_axi_awcache,
    output wire [2:0]                                    m_axi_awprot,
    output wire                                          m_axi_awvalid,
    input  wire                                          m_axi_awready,
    output wire [DATA_WIDTH-1:0]                         m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]                       m_axi_wstrb,
    output wire                                          m_axi_wlast,
    output wire                                          m_axi_wvalid,
    input  wire                                          m_axi_wready,
    input  wire [ID_WIDTH-1:0]                           m_axi_bid,
    input  wire [1:0]                                    m_axi_bresp,
    input  wire                                          m_axi_bvalid,
    output wire                                          m_axi_bready,
    output wire [ID_WIDTH-1:0]                           m_axi_arid,
    output wire [31:0]                                   m_axi_araddr,
    output wire [7:0]                                    m_axi_arlen,
    output wire [2:0]                                    m_axi_arsize,
    output wire [1:0]                                    m_axi_arburst,
    output wire                                          m_axi_arlock,
    output wire [3:0]                                    m_axi_arcache,
    output wire [2:0]                                    m_axi_arprot,
    output wire                                          m_axi_arvalid,
    input  wire                                          m_axi_arready,
    input  wire [ID_WIDTH-1:0]                           m_axi_rid,
    input  wire [DATA_WIDTH-1:0]                         m_axi_rdata,
    input  wire [1:0]                                    m_axi_rresp,
    input  wire                                          m_axi_rlast,
    input  wire                                          m_axi_rvalid,
    output wire                                          m_axi_rready
);

localparam STRB_WIDTH = DATA_WIDTH/8;
localparam LANE_BITS = $clog2(STRB_WIDTH);
localparam LEN_WIDTH = $clog2(`ZCNIC_DESC_MAX_LEN) + 1;
localparam DESC_BITS = `ZCNIC_DESC_BYTES*8;
localparam DESC_BEATS = (STRB_WIDTH >= `ZCNIC_DESC_BYTES) ? 1 : `ZCNIC_DESC_BYTES/STRB_WIDTH;
localparam DESC_ARLEN_INT = DESC_BEATS - 1;
localparam [7:0] DESC_ARLEN = DESC_ARLEN_INT[7:0];
localparam COOKIE_WIDTH = `ZCNIC_DESC_COOKIE_WIDTH;
localparam [32:0] ADDR_SPACE_END = 33'h1_0000_0000;

localparam [2:0]
    S_IDLE = 3'd0,
    S_DESC_AR = 3'd1,
    S_DESC_R = 3'd2,
    S_CHECK = 3'd3,
    S_COPY = 3'd4,
    S_WB = 3'd5,
    S_WB_B = 3'd6,
    S_FINISH = 3'd7;

reg [2:0]            state_reg, state_next;
reg                  abort_reg, abort_next;
reg [31:0]           desc_addr_reg, desc_addr_next;
reg [DESC_BITS-1:0]  desc_reg, desc_next;
reg                  wb_aw_done_reg, wb_aw_done_next;
reg                  wb_w_done_reg, wb_w_done_next;

// outcome of the descriptor in progress
reg [3:0]            err_code_reg, err_code_next;
reg [1:0]            err_resp_reg, err_resp_next;
reg [31:0]           err_addr_reg, err_addr_next;

// published status (COPY_STATUS and friends)
reg                  st_done_reg, st_done_next;
reg                  st_error_reg, st_error_next;
reg [3:0]            st_err_code_reg, st_err_code_next;
reg [1:0]            st_err_resp_reg, st_err_resp_next;
reg [31:0]           st_err_addr_reg, st_err_addr_next;
reg [31:0]           completed_reg, completed_next;
reg [31:0]           bytes_reg, bytes_next;

// the copy's read / write descriptors were taken by dma_rd / dma_wr
reg                  rd_sent_reg, rd_sent_next;
reg                  wr_sent_reg, wr_sent_next;

// descriptor fields
wire [31:0] d_src = desc_reg[`ZCNIC_DESC_SRC*8 +: 32];
wire [31:0] d_dst = desc_reg[`ZCNIC_DESC_DST*8 +: 32];
wire [31:0] d_len = desc_reg[`ZCNIC_DESC_LEN*8 +: 32];
wire [COOKIE_WIDTH-1:0] d_cookie = desc_reg[`ZCNIC_DESC_STATUS*8 +: COOKIE_WIDTH];

wire [32:0] src_end = {1'b0, d_src} + {1'b0, d_len};
wire [32:0] dst_end = {1'b0, d_dst} + {1'b0, d_len};
// src+len == 2^32 is fine (the copy ends at 0xFFFFFFFF); beyond would wrap
wire len_bad = d_len == 32'd0 || d_len > `ZCNIC_DESC_MAX_LEN ||
    src_end > ADDR_SPACE_END || dst_end > ADDR_SPACE_END;

// the descriptor fetch delivers 16 bytes: one beat (at a lane offset) or two 64-bit beats
wire [DESC_BITS-1:0] desc_beat;

generate
    if (STRB_WIDTH > `ZCNIC_DESC_BYTES) begin : gen_desc_wide
        // the descriptor is 16-byte aligned, so it sits at a whole 128-bit lane group
        assign desc_beat = m_axi_rdata[{desc_addr_reg[LANE_BITS-1:4], 7'd0} +: DESC_BITS];
    end else if (STRB_WIDTH == `ZCNIC_DESC_BYTES) begin : gen_desc_exact
        assign desc_beat = m_axi_rdata;
    end else begin : gen_desc_narrow
        assign desc_beat = {m_axi_rdata, desc_reg[DESC_BITS-1:DATA_WIDTH]};
    end
endgenerate

// status write-back: one beat at desc+12, full-width size, strobes on the word's lanes only
wire [31:0] wb_addr = desc_addr_reg + `ZCNIC_DESC_STATUS;
wire [31:0] wb_status = `ZCNIC_DESC_STATUS_DONE |
    ({28'd0, err_code_reg} << `ZCNIC_DESC_STATUS_ERR_SHIFT) |
    {{(32-COOKIE_WIDTH){1'b0}}, d_cookie};
wire [DATA_WIDTH-1:0] wb_wdata = {(DATA_WIDTH/32){wb_status}};
wire [STRB_WIDTH-1:0] wb_wstrb = {{(STRB_WIDTH-4){1'b0}}, 4'hf} << wb_addr[LANE_BITS-1:0];

// datapath
wire                   copy_phase = state_reg == S_COPY;
wire                   rd_busy, rd_err;
wire [1:0]             rd_err_resp;
wire [31:0]            rd_err_addr;
wire                   rd_desc_ready;
wire [31:0]            rd_araddr;
wire [7:0]             rd_arlen;
wire                   rd_arvalid;
wire                   wr_busy, wr_err;
wire [1:0]             wr_err_resp;
wire [31:0]            wr_err_addr;
wire                   wr_desc_ready;
wire [31:0]            wr_awaddr;
wire [7:0]             wr_awlen;
wire                   wr_awvalid;
wire [DATA_WIDTH-1:0]  wr_wdata;
wire [STRB_WIDTH-1:0]  wr_wstrb;
wire                   wr_wlast;
wire                   wr_wvalid;
wire [DATA_WIDTH-1:0]  axis_tdata;
wire [STRB_WIDTH-1:0]  axis_tkeep;
wire                   axis_tlast;
wire                   axis_tid;
wire                   axis_tuser;
wire                   axis_tvalid;
wire                   axis_tready;
// per-descriptor status records repeat what the early err outputs already told; AXI fields that
// are constant here are driven by this module
wire                   rd_sts_tag, rd_sts_error, rd_sts_valid;
wire [1:0]             rd_sts_resp;
wire [31:0]            rd_sts_err_addr;
wire                   wr_sts_tag, wr_sts_error, wr_sts_valid;
wire [1:0]             wr_sts_resp;
wire [31:0]            wr_sts_err_addr;
wire [ID_WIDTH-1:0]    rd_arid, wr_awid;
wire [2:0]             rd_arsize, rd_arprot, wr_awsize, wr_awprot;
wire [1:0]             rd_arburst, wr_awburst;
wire                   rd_arlock, wr_awlock, rd_rready, wr_bready;
wire [3:0]             rd_arcache, wr_awcache;
wire unused_dp = &{1'b0, rd_sts_tag, rd_sts_error, rd_sts_valid, rd_sts_resp, rd_sts_err_addr,
    wr_sts_tag, wr_sts_error, wr_sts_valid, wr_sts_resp, wr_sts_err_addr, rd_arid, wr_awid,
    rd_arsize, rd_arprot, wr_awsize, wr_awprot, rd_arburst, wr_awburst, rd_arlock, wr_awlock,
    rd_rready, wr_bready, rd_arcache, wr_awcache, axis_tid, axis_tuser};

// stop both engines after the first error or on an abort, until they have drained
wire copy_stop = abort_reg || err_code_reg != `ZCNIC_COPY_ERR_NONE || rd_err || wr_err;

wire desc_phase = state_reg == S_DESC_AR;
wire wb_phase = state_reg == S_WB;

assign busy = state_reg != S_IDLE;
assign done = st_done_reg;
assign error = st_error_reg;
assign err_code = st_err_code_reg;
assign err_resp = st_err_resp_reg;
assign err_addr = st_err_addr_reg;
assign completed = completed_reg;
assign bytes = bytes_reg;
assign done_evt = state_reg == S_FINISH && !abort_reg && !soft_reset &&
    err_code_reg == `ZCNIC_COPY_ERR_NONE;
assign error_evt = state_reg == S_FINISH && !abort_reg && !soft_reset &&
    err_code_reg != `ZCNIC_COPY_ERR_NONE;

// AXI channel ownership: descriptor fetch and write-back here, everything else in the datapath
assign m_axi_awid = {ID_WIDTH{1'b0}};
assign m_axi_awaddr = wb_phase ? wb_addr : wr_awaddr;
assign m_axi_awlen = wb_phase ? 8'd0 : wr_awlen;
assign m_axi_awsize = LANE_BITS[2:0];
assign m_axi_awburst = 2'b01; // INCR
assign m_axi_awlock = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot = 3'b010;
assign m_axi_awvalid = (wb_phase && !wb_aw_done_reg) || wr_awvalid;
assign m_axi_wdata = wb_phase ? wb_wdata : wr_wdata;
assign m_axi_wstrb = wb_phase ? wb_wstrb : wr_wstrb;
assign m_axi_wlast = wb_phase ? 1'b1 : wr_wlast;
assign m_axi_wvalid = (wb_phase && !wb_w_done_reg) || wr_wvalid;
assign m_axi_bready = 1'b1;
assign m_axi_arid = {ID_WIDTH{1'b0}};
assign m_axi_araddr = desc_phase ? desc_addr_reg : rd_araddr;
assign m_axi_arlen = desc_phase ? DESC_ARLEN : rd_arlen;
assign m_axi_arsize = LANE_BITS[2:0];
assign m_axi_arburst = 2'b01; // INCR
assign m_axi_arlock = 1'b0;
assign m_axi_arcache = 4'b0011;
assign m_axi_arprot = 3'b010;
assign m_axi_arvalid = desc_phase || rd_arvalid;
assign m_axi_rready = 1'b1;

// single ID: responses are matched by order, not by ID
wire unused_ids = &{1'b0, m_axi_bid, m_axi_rid};

always @* begin
    state_next = state_reg;
    abort_next = abort_reg;
    desc_addr_next = desc_addr_reg;
    desc_next = desc_reg;
    wb_aw_done_next = 1'b0;
    wb_w_done_next = 1'b0;
    err_code_next = err_code_reg;
    err_resp_next = err_resp_reg;
    err_addr_next = err_addr_reg;
    st_done_next = st_done_reg;
    st_error_next = st_error_reg;
    st_err_code_next = st_err_code_reg;
    st_err_resp_next = st_err_resp_reg;
    st_err_addr_next = st_err_addr_reg;
    completed_next = completed_reg;
    bytes_next = bytes_reg;
    rd_sent_next = rd_sent_reg || (copy_phase && rd_desc_ready && !copy_stop);
    wr_sent_next = wr_sent_reg || (copy_phase && wr_desc_ready && !copy_stop);

    case (state_reg)
        S_IDLE: begin
            // idle: latch the descriptor address on a doorbell
            abort_next = 1'b0;
            if (doorbell) begin
                desc_addr_next = desc_addr;
                err_code_next = `ZCNIC_COPY_ERR_NONE;
                err_resp_next = `ZCNIC_AXI_RESP_OKAY;
                err_addr_next = 32'd0;
                st_done_next = 1'b0;
                st_error_next = 1'b0;
                st_err_code_next = `ZCNIC_COPY_ERR_NONE;
                st_err_resp_next = `ZCNIC_AXI_RESP_OKAY;
                st_err_addr_next = 32'd0;
                state_next = S_DESC_AR;
            end
        end
        S_DESC_AR: begin
            // descriptor read request (held until accepted, even when aborting)
            if (m_axi_arready) begin
                state_next = S_DESC_R;
            end
        end
        S_DESC_R: begin
            // descriptor beats; a failed fetch ends without write-back (no cookie to return)
            if (m_axi_rvalid) begin
                desc_next = desc_beat;
                if (m_axi_rresp != `ZCNIC_AXI_RESP_OKAY && err_code_reg == `ZCNIC_COPY_ERR_NONE) begin
                    err_code_next = `ZCNIC_COPY_ERR_DESC_READ;
                    err_resp_next = m_axi_rresp;
                    err_addr_next = desc_addr_reg;
                end
                if (m_axi_rlast) begin
                    if (abort_reg) begin
                        state_next = S_IDLE;
                    end else if (err_code_next != `ZCNIC_COPY_ERR_NONE) begin
                        state_next = S_FINISH;
                    end else begin
                        state_next = S_CHECK;
                    end
                end
            end
        end
        S_CHECK: begin
            // validate the length, then start the datapath
            if (abort_reg) begin
                state_next = S_IDLE;
            end else if (len_bad) begin
                err_code_next = `ZCNIC_COPY_ERR_BAD_LEN;
                err_addr_next = desc_addr_reg;
                state_next = S_WB;
            end else begin
                rd_sent_next = 1'b0;
                wr_sent_next = 1'b0;
                state_next = S_COPY;
            end
        end
        S_COPY: begin
            // copy in progress; keep the first datapath error (source first on a tie)
            if (err_code_reg == `ZCNIC_COPY_ERR_NONE) begin
                if (rd_err) begin
                    err_code_next = `ZCNIC_COPY_ERR_SRC_READ;
                    err_resp_next = rd_err_resp;
                    err_addr_next = rd_err_addr;
                end else if (wr_err) begin
                    err_code_next = `ZCNIC_COPY_ERR_DST_WRITE;
                    err_resp_next = wr_err_resp;
                    err_addr_next = wr_err_addr;
                end
            end
            // done: all data moved, or (after an error or abort) everything on the bus drained
            if ((copy_stop || (rd_sent_reg && wr_sent_reg)) && !rd_busy && !wr_busy) begin
                state_next = abort_reg ? S_IDLE : S_WB;
            end
        end
        S_WB: begin
            // status write-back: AW and W independently
            wb_aw_done_next = wb_aw_done_reg || m_axi_awready;
            wb_w_done_next = wb_w_done_reg || m_axi_wready;
            if (wb_aw_done_next && wb_w_done_next) begin
                state_next = S_WB_B;
            end
        end
        S_WB_B: begin
            // write-back response; a failure is reported, never retried
            if (m_axi_bvalid) begin
                if (m_axi_bresp != `ZCNIC_AXI_RESP_OKAY && err_code_reg == `ZCNIC_COPY_ERR_NONE) begin
                    err_code_next = `ZCNIC_COPY_ERR_WRITEBACK;
                    err_resp_next = m_axi_bresp;
                    err_addr_next = wb_addr;
                end
                state_next = abort_reg ? S_IDLE : S_FINISH;
            end
        end
        S_FINISH: begin
            // publish the outcome
            if (!abort_reg) begin
                st_done_next = 1'b1;
                st_error_next = err_code_reg != `ZCNIC_COPY_ERR_NONE;
                st_err_code_next = err_code_reg;
                st_err_resp_next = err_resp_reg;
                st_err_addr_next = err_addr_reg;
                completed_next = completed_reg + 1'b1;
                if (err_code_reg == `ZCNIC_COPY_ERR_NONE) begin
                    bytes_next = bytes_reg + d_len;
                end
            end
            state_next = S_IDLE;
        end
        default: begin
            state_next = S_IDLE;
        end
    endcase

    if (soft_reset) begin
        st_done_next = 1'b0;
        st_error_next = 1'b0;
        st_err_code_next = `ZCNIC_COPY_ERR_NONE;
        st_err_resp_next = `ZCNIC_AXI_RESP_OKAY;
        st_err_addr_next = 32'd0;
        completed_next = 32'd0;
        bytes_next = 32'd0;
        if (state_reg != S_IDLE) begin
            abort_next = 1'b1;
        end
    end
end

always @(posedge clk) begin
    state_reg <= state_next;
    abort_reg <= abort_next;
    desc_addr_reg <= desc_addr_next;
    desc_reg <= desc_next;
    wb_aw_done_reg <= wb_aw_done_next;
    wb_w_done_reg <= wb_w_done_next;
    rd_sent_reg <= rd_sent_next;
    wr_sent_reg <= wr_sent_next;
    err_code_reg <= err_code_next;
    err_resp_reg <= err_resp_next;
    err_addr_reg <= err_addr_next;
    st_done_reg <= st_done_next;
    st_error_reg <= st_error_next;
    st_err_code_reg <= st_err_code_next;
    st_err_resp_reg <= st_err_resp_next;
    st_err_addr_reg <= st_err_addr_next;
    completed_reg <= completed_next;
    bytes_reg <= bytes_next;

    if (rst) begin
        state_reg <= S_IDLE;
        rd_sent_reg <= 1'b0;
        wr_sent_reg <= 1'b0;
        abort_reg <= 1'b0;
        wb_aw_done_reg <= 1'b0;
        wb_w_done_reg <= 1'b0;
        err_code_reg <= `ZCNIC_COPY_ERR_NONE;
        st_done_reg <= 1'b0;
        st_error_reg <= 1'b0;
        st_err_code_reg <= `ZCNIC_COPY_ERR_NONE;
        st_err_resp_reg <= `ZCNIC_AXI_RESP_OKAY;
        st_err_addr_reg <= 32'd0;
        completed_reg <= 32'd0;
        bytes_reg <= 32'd0;
    end
end

dma_rd #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .TAG_WIDTH(1)
)
dma_rd_inst (
    .clk(clk),
    .rst(rst),

    /*
     * Control and early error
     */
    .stop(copy_phase && copy_stop),
    .busy(rd_busy),
    .err(rd_err),
    .err_resp(rd_err_resp),
    .err_addr(rd_err_addr),

    /*
     * Read descriptor and status
     */
    .s_desc_addr(d_src),
    .s_desc_len(d_len[LEN_WIDTH-1:0]),
    .s_desc_tag(1'b0),
    .s_desc_valid(copy_phase && !rd_sent_reg && !copy_stop),
    .s_desc_ready(rd_desc_ready),
    .m_sts_tag(rd_sts_tag),
    .m_sts_error(rd_sts_error),
    .m_sts_resp(rd_sts_resp),
    .m_sts_err_addr(rd_sts_err_addr),
    .m_sts_valid(rd_sts_valid),
    .m_sts_ready(1'b1),

    /*
     * Source data, lane 0 aligned
     */
    .m_axis_tdata(axis_tdata),
    .m_axis_tkeep(axis_tkeep),
    .m_axis_tlast(axis_tlast),
    .m_axis_tid(axis_tid),
    .m_axis_tuser(axis_tuser),
    .m_axis_tvalid(axis_tvalid),
    .m_axis_tready(axis_tready),

    /*
     * AXI read channels (R only reaches it during the copy)
     */
    .m_axi_arid(rd_arid),
    .m_axi_araddr(rd_araddr),
    .m_axi_arlen(rd_arlen),
    .m_axi_arsize(rd_arsize),
    .m_axi_arburst(rd_arburst),
    .m_axi_arlock(rd_arlock),
    .m_axi_arcache(rd_arcache),
    .m_axi_arprot(rd_arprot),
    .m_axi_arvalid(rd_arvalid),
    .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid),
    .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid && copy_phase),
    .m_axi_rready(rd_rready)
);

dma_wr #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .TAG_WIDTH(1)
)
dma_wr_inst (
    .clk(clk),
    .rst(rst),

    /*
     * Control and early error
     */
    .stop(copy_phase && copy_stop),
    .busy(wr_busy),
    .err(wr_err),
    .err_resp(wr_err_resp),
    .err_addr(wr_err_addr),

    /*
     * Write descriptor and status
     */
    .s_desc_addr(d_dst),
    .s_desc_len(d_len[LEN_WIDTH-1:0]),
    .s_desc_tag(1'b0),
    .s_desc_valid(copy_phase && !wr_sent_reg && !copy_stop),
    .s_desc_ready(wr_desc_ready),
    .m_sts_tag(wr_sts_tag),
    .m_sts_error(wr_sts_error),
    .m_sts_resp(wr_sts_resp),
    .m_sts_err_addr(wr_sts_err_addr),
    .m_sts_valid(wr_sts_valid),
    .m_sts_ready(1'b1),

    /*
     * Source data from dma_rd
     */
    .s_axis_tdata(axis_tdata),
    .s_axis_tkeep(axis_tkeep),
    .s_axis_tlast(axis_tlast),
    .s_axis_tvalid(axis_tvalid),
    .s_axis_tready(axis_tready),

    /*
     * AXI write channels (B only reaches it during the copy)
     */
    .m_axi_awid(wr_awid),
    .m_axi_awaddr(wr_awaddr),
    .m_axi_awlen(wr_awlen),
    .m_axi_awsize(wr_awsize),
    .m_axi_awburst(wr_awburst),
    .m_axi_awlock(wr_awlock),
    .m_axi_awcache(wr_awcache),
    .m_axi_awprot(wr_awprot),
    .m_axi_awvalid(wr_awvalid),
    .m_axi_awready(m_axi_awready),
    .m_axi_wdata(wr_wdata),
    .m_axi_wstrb(wr_wstrb),
    .m_axi_wlast(wr_wlast),
    .m_axi_wvalid(wr_wvalid),
    .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid),
    .m_axi_bresp(m_axi_bresp),
    .m_axi_bvalid(m_axi_bvalid && copy_phase),
    .m_axi_bready(wr_bready)
);

endmodule

`resetall
