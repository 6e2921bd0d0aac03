// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Test top for the generic DMA engines: one dma_rd and one dma_wr sharing one AXI4 master port.
 *
 * dma_rd only drives AR and takes R, dma_wr only drives AW/W and takes B, so the port is shared
 * without any arbitration (AXI read and write channels are independent). Both use ID 0.
 */
module dma_top #
(
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // AXI ID width
    parameter ID_WIDTH = 4,
    // Largest burst in bytes (power of 2, >= 2*DATA_WIDTH/8, <= 4096 and <= 256 beats)
    parameter CHUNK_BYTES = 512,
    // Width of the descriptor length (bytes)
    parameter LEN_WIDTH = 25,
    // Width of the descriptor tag
    parameter TAG_WIDTH = 8
)
(
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Stop (level, hold until not busy) and early error of each engine
     */
    input  wire                       rd_stop,
    output wire                       rd_busy,
    output wire                       rd_err,
    output wire [1:0]                 rd_err_resp,
    output wire [31:0]                rd_err_addr,
    input  wire                       wr_stop,
    output wire                       wr_busy,
    output wire                       wr_err,
    output wire [1:0]                 wr_err_resp,
    output wire [31:0]                wr_err_addr,

    /*
     * Read DMA: descriptors, status, stream out
     */
    input  wire [31:0]                s_rd_desc_addr,
    input  wire [LEN_WIDTH-1:0]       s_rd_desc_len,
    input  wire [TAG_WIDTH-1:0]       s_rd_desc_tag,
    input  wire                       s_rd_desc_valid,
    output wire                       s_rd_desc_ready,

    output wire [TAG_WIDTH-1:0]       m_rd_sts_tag,
    output wire                       m_rd_sts_error,
    output wire [1:0]                 m_rd_sts_resp,
    output wire [31:0]                m_rd_sts_err_addr,
    output wire                       m_rd_sts_valid,
    input  wire                       m_rd_sts_ready,

    output wire [DATA_WIDTH-1:0]      m_rd_axis_tdata,
    output wire [DATA_WIDTH/8-1:0]    m_rd_axis_tkeep,
    output wire                       m_rd_axis_tlast,
    output wire [TAG_WIDTH-1:0]       m_rd_axis_tid,
    output wire                       m_rd_axis_tuser,
    output wire                       m_rd_axis_tvalid,
    input  wire                       m_rd_axis_tready,

    /*
     * Write DMA: descriptors, status, stream in
     */
    input  wire [31:0]                s_wr_desc_addr,
    input  wire [LEN_WIDTH-1:0]       s_wr_desc_len,
    input  wire [TAG_WIDTH-1:0]       s_wr_desc_tag,
    input  wire                       s_wr_desc_valid,
    output wire                       s_wr_desc_ready,

    output wire [TAG_WIDTH-1:0]       m_wr_sts_tag,
    output wire                       m_wr_sts_error,
    output wire [1:0]                 m_wr_sts_resp,
    output wire [31:0]                m_wr_sts_err_addr,
    output wire                       m_wr_sts_valid,
    input  wire                       m_wr_sts_ready,

    input  wire [DATA_WIDTH-1:0]      s_wr_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0]    s_wr_axis_tkeep,
    input  wire                       s_wr_axis_tlast,
    input  wire                       s_wr_axis_tvalid,
    output wire                       s_wr_axis_tready,

    /*
     * AXI4 master interface
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

dma_rd #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .TAG_WIDTH(TAG_WIDTH)
)
dma_rd_inst (
    .clk(clk),
    .rst(rst),
    .stop(rd_stop),
    .busy(rd_busy),
    .err(rd_err),
    .err_resp(rd_err_resp),
    .err_addr(rd_err_addr),
    .s_desc_addr(s_rd_desc_addr),
    .s_desc_len(s_rd_desc_len),
    .s_desc_tag(s_rd_desc_tag),
    .s_desc_valid(s_rd_desc_valid),
    .s_desc_ready(s_rd_desc_ready),
    .m_sts_tag(m_rd_sts_tag),
    .m_sts_error(m_rd_sts_error),
    .m_sts_resp(m_rd_sts_resp),
    .m_sts_err_addr(m_rd_sts_err_addr),
    .m_sts_valid(m_rd_sts_valid),
    .m_sts_ready(m_rd_sts_ready),
    .m_axis_tdata(m_rd_axis_tdata),
    .m_axis_tkeep(m_rd_axis_tkeep),
    .m_axis_tlast(m_rd_axis_tlast),
    .m_axis_tid(m_rd_axis_tid),
    .m_axis_tuser(m_rd_axis_tuser),
    .m_axis_tvalid(m_rd_axis_tvalid),
    .m_axis_tready(m_rd_axis_tready),
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

dma_wr #(
    .DATA_WIDTH(DATA_WIDTH),
    .ID_WIDTH(ID_WIDTH),
    .CHUNK_BYTES(CHUNK_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .TAG_WIDTH(TAG_WIDTH)
)
dma_wr_inst (
    .clk(clk),
    .rst(rst),
    .stop(wr_stop),
    .busy(wr_busy),
    .err(wr_err),
    .err_resp(wr_err_resp),
    .err_addr(wr_err_addr),
    .s_desc_addr(s_wr_desc_addr),
    .s_desc_len(s_wr_desc_len),
    .s_desc_tag(s_wr_desc_tag),
    .s_desc_valid(s_wr_desc_valid),
    .s_desc_ready(s_wr_desc_ready),
    .m_sts_tag(m_wr_sts_tag),
    .m_sts_error(m_wr_sts_error),
    .m_sts_resp(m_wr_sts_resp),
    .m_sts_err_addr(m_wr_sts_err_addr),
    .m_sts_valid(m_wr_sts_valid),
    .m_sts_ready(m_wr_sts_ready),
    .s_axis_tdata(s_wr_axis_tdata),
    .s_axis_tkeep(s_wr_axis_tkeep),
    .s_axis_tlast(s_wr_axis_tlast),
    .s_axis_tvalid(s_wr_axis_tvalid),
    .s_axis_tready(s_wr_axis_tready),
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
