// Language: Verilog 2001

`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Test top for the AXI4 arbiters: axi_rd_arb and axi_wr_arb side by side, three unflattened slave
 * ports s00_axi_*, s01_axi_*, s02_axi_* (so that a testbench can attach an AXI master model to
 * each by prefix) sharing the master port m_axi_*. AXI read and write channels are independent,
 * so the two arbiters need no coordination.
 */
module axi_arb_top #
(
    // Number of slave ports: this top has exactly 3
    parameter S_COUNT = 3,
    // AXI data width in bits (64..512, power of 2)
    parameter DATA_WIDTH = 64,
    // ID width of each slave port (>= 1)
    parameter S_ID_WIDTH = 4,
    // ID width of the master port (>= S_ID_WIDTH + 2)
    parameter M_ID_WIDTH = 6,
    // AW granted ahead of their W data (power of 2, 2..256)
    parameter W_FIFO_DEPTH = 16
)
(
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Slave port 0
     */
    input  wire [S_ID_WIDTH-1:0]          s00_axi_awid,
    input  wire [31:0]                    s00_axi_awaddr,
    input  wire [7:0]                     s00_axi_awlen,
    input  wire [2:0]                     s00_axi_awsize,
    input  wire [1:0]                     s00_axi_awburst,
    input  wire                           s00_axi_awlock,
    input  wire [3:0]                     s00_axi_awcache,
    input  wire [2:0]                     s00_axi_awprot,
    input  wire                           s00_axi_awvalid,
    output wire                           s00_axi_awready,
    input  wire [DATA_WIDTH-1:0]          s00_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0]        s00_axi_wstrb,
    input  wire                           s00_axi_wlast,
    input  wire                           s00_axi_wvalid,
    output wire                           s00_axi_wready,
    output wire [S_ID_WIDTH-1:0]          s00_axi_bid,
    output wire [1:0]                     s00_axi_bresp,
    output wire                           s00_axi_bvalid,
    input  wire                           s00_axi_bready,
    input  wire [S_ID_WIDTH-1:0]          s00_axi_arid,
    input  wire [31:0]                    s00_axi_araddr,
    input  wire [7:0]                     s00_axi_arlen,
    input  wire [2:0]                     s00_axi_arsize,
    input  wire [1:0]                     s00_axi_arburst,
    input  wire                           s00_axi_arlock,
    input  wire [3:0]                     s00_axi_arcache,
    input  wire [2:0]                     s00_axi_arprot,
    input  wire                           s00_axi_arvalid,
    output wire                           s00_axi_arready,
    output wire [S_ID_WIDTH-1:0]          s00_axi_rid,
    output wire [DATA_WIDTH-1:0]          s00_axi_rdata,
    output wire [1:0]                     s00_axi_rresp,
    output wire                           s00_axi_rlast,
    output wire                           s00_axi_rvalid,
    input  wire                           s00_axi_rready,

    /*
     * Slave port 1
     */
    input  wire [S_ID_WIDTH-1:0]          s01_axi_awid,
    input  wire [31:0]                    s01_axi_awaddr,
    input  wire [7:0]                     s01_axi_awlen,
    input  wire [2:0]                     s01_axi_awsize,
    input  wire [1:0]                     s01_axi_awburst,
    input  wire                           s01_axi_awlock,
    input  wire [3:0]                     s01_axi_awcache,
    input  wire [2:0]                     s01_axi_awprot,
    input  wire                           s01_axi_awvalid,
    output wire                           s01_axi_awready,
    input  wire [DATA_WIDTH-1:0]          s01_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0]        s01_axi_wstrb,
    input  wire                           s01_axi_wlast,
    input  wire                           s01_axi_wvalid,
    output wire                           s01_axi_wready,
    output wire [S_ID_WIDTH-1:0]          s01_axi_bid,
    output wire [1:0]                     s01_axi_bresp,
    output wire                           s01_axi_bvalid,
    input  wire                           s01_axi_bready,
    input  wire [S_ID_WIDTH-1:0]          s01_axi_arid,
    input  wire [31:0]                    s01_axi_araddr,
    input  wire [7:0]                     s01_axi_arlen,
    input  wire [2:0]                     s01_axi_arsize,
    input  wire [1:0]                     s01_axi_arburst,
    input  wire                           s01_axi_arlock,
    input  wire [3:0]                     s01_axi_arcache,
    input  wire [2:0]                     s01_axi_arprot,
    input  wire                           s01_axi_arvalid,
    output wire                           s01_axi_arready,
    output wire [S_ID_WIDTH-1:0]          s01_axi_rid,
    output wire [DATA_WIDTH-1:0]          s01_axi_rdata,
    output wire [1:0]                     s01_axi_rresp,
    output wire                           s01_axi_rlast,
    output wire                           s01_axi_rvalid,
    input  wire                           s01_axi_rready,

    /*
     * Slave port 2
     */
    input  wire [S_ID_WIDTH-1:0]          s02_axi_awid,
    input  wire [31:0]                    s02_axi_awaddr,
    input  wire [7:0]                     s02_axi_awlen,
    input  wire [2:0]                     s02_axi_awsize,
    input  wire [1:0]                     s02_axi_awburst,
    input  wire                           s02_axi_awlock,
    input  wire [3:0]                     s02_axi_awcache,
    input  wire [2:0]                     s02_axi_awprot,
    input  wire                           s02_axi_awvalid,
    output wire                           s02_axi_awready,
    input  wire [DATA_WIDTH-1:0]          s02_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0]        s02_axi_wstrb,
    input  wire                           s02_axi_wlast,
    input  wire                           s02_axi_wvalid,
    output wire                           s02_axi_wready,
    output wire [S_ID_WIDTH-1:0]          s02_axi_bid,
    output wire [1:0]                     s02_axi_bresp,
    output wire                           s02_axi_bvalid,
    input  wire                           s02_axi_bready,
    input  wire [S_ID_WIDTH-1:0]          s02_axi_arid,
    input  wire [31:0]                    s02_axi_araddr,
    input  wire [7:0]                     s02_axi_arlen,
    input  wire [2:0]                     s02_axi_arsize,
    input  wire [1:0]                     s02_axi_arburst,
    input  wire                           s02_axi_arlock,
    input  wire [3:0]                     s02_axi_arcache,
    input  wire [2:0]                     s02_axi_arprot,
    input  wire                           s02_axi_arvalid,
    output wire                           s02_axi_arready,
    output wire [S_ID_WIDTH-1:0]          s02_axi_rid,
    output wire [DATA_WIDTH-1:0]          s02_axi_rdata,
    output wire [1:0]                     s02_axi_rresp,
    output wire                           s02_axi_rlast,
    output wire                           s02_axi_rvalid,
    input  wire                           s02_axi_rready,

    /*
     * Master port
     */
    output wire [M_ID_WIDTH-1:0]          m_axi_awid,
    output wire [31:0]                    m_axi_awaddr,
    output wire [7:0]                     m_axi_awlen,
    output wire [2:0]                     m_axi_awsize,
    output wire [1:0]                     m_axi_awburst,
    output wire                           m_axi_awlock,
    output wire [3:0]                     m_axi_awcache,
    output wire [2:0]                     m_axi_awprot,
    output wire                           m_axi_awvalid,
    input  wire                           m_axi_awready,
    output wire [DATA_WIDTH-1:0]          m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]        m_axi_wstrb,
    output wire                           m_axi_wlast,
    output wire                           m_axi_wvalid,
    input  wire                           m_axi_wready,
    input  wire [M_ID_WIDTH-1:0]          m_axi_bid,
    input  wire [1:0]                     m_axi_bresp,
    input  wire                           m_axi_bvalid,
    output wire                           m_axi_bready,
    output wire [M_ID_WIDTH-1:0]          m_axi_arid,
    output wire [31:0]                    m_axi_araddr,
    output wire [7:0]                     m_axi_arlen,
    output wire [2:0]                     m_axi_arsize,
    output wire [1:0]                     m_axi_arburst,
    output wire                           m_axi_arlock,
    output wire [3:0]                     m_axi_arcache,
    output wire [2:0]                     m_axi_arprot,
    output wire                           m_axi_arvalid,
    input  wire                           m_axi_arready,
    input  wire [M_ID_WIDTH-1:0]          m_axi_rid,
    input  wire [DATA_WIDTH-1:0]          m_axi_rdata,
    input  wire [1:0]                     m_axi_rresp,
    input  wire                           m_axi_rlast,
    input  wire                           m_axi_rvalid,
    output wire                           m_axi_rready
);

// check configuration
initial begin
    if (S_COUNT != 3) begin
        $error("Error: axi_arb_top has exactly 3 slave ports, S_COUNT must be 3, got %0d (instance %m)", S_COUNT);
        $finish;
    end
end

/*
 * Flattened slave ports (port n in bits [n*W +: W])
 */
wire [3*S_ID_WIDTH-1:0]    s_axi_awid = {s02_axi_awid, s01_axi_awid, s00_axi_awid};
wire [95:0]                s_axi_awaddr = {s02_axi_awaddr, s01_axi_awaddr, s00_axi_awaddr};
wire [23:0]                s_axi_awlen = {s02_axi_awlen, s01_axi_awlen, s00_axi_awlen};
wire [8:0]                 s_axi_awsize = {s02_axi_awsize, s01_axi_awsize, s00_axi_awsize};
wire [5:0]                 s_axi_awburst = {s02_axi_awburst, s01_axi_awburst, s00_axi_awburst};
wire [2:0]                 s_axi_awlock = {s02_axi_awlock, s01_axi_awlock, s00_axi_awlock};
wire [11:0]                s_axi_awcache = {s02_axi_awcache, s01_axi_awcache, s00_axi_awcache};
wire [8:0]                 s_axi_awprot = {s02_axi_awprot, s01_axi_awprot, s00_axi_awprot};
wire [2:0]                 s_axi_awvalid = {s02_axi_awvalid, s01_axi_awvalid, s00_axi_awvalid};
wire [2:0]                 s_axi_awready;
wire [3*DATA_WIDTH-1:0]    s_axi_wdata = {s02_axi_wdata, s01_axi_wdata, s00_axi_wdata};
wire [3*DATA_WIDTH/8-1:0]  s_axi_wstrb = {s02_axi_wstrb, s01_axi_wstrb, s00_axi_wstrb};
wire [2:0]                 s_axi_wlast = {s02_axi_wlast, s01_axi_wlast, s00_axi_wlast};
wire [2:0]                 s_axi_wvalid = {s02_axi_wvalid, s01_axi_wvalid, s00_axi_wvalid};
wire [2:0]                 s_axi_wready;
wire [3*S_ID_WIDTH-1:0]    s_axi_bid;
wire [5:0]                 s_axi_bresp;
wire [2:0]                 s_axi_bvalid;
wire [2:0]                 s_axi_bready = {s02_axi_bready, s01_axi_bready, s00_axi_bready};
wire [3*S_ID_WIDTH-1:0]    s_axi_arid = {s02_axi_arid, s01_axi_arid, s00_axi_arid};
wire [95:0]                s_axi_araddr = {s02_axi_araddr, s01_axi_araddr, s00_axi_araddr};
wire [23:0]                s_axi_arlen = {s02_axi_arlen, s01_axi_arlen, s00_axi_arlen};
wire [8:0]                 s_axi_arsize = {s02_axi_arsize, s01_axi_arsize, s00_axi_arsize};
wire [5:0]                 s_axi_arburst = {s02_axi_arburst, s01_axi_arburst, s00_axi_arburst};
wire [2:0]                 s_axi_arlock = {s02_axi_arlock, s01_axi_arlock, s00_axi_arlock};
wire [11:0]                s_axi_arcache = {s02_axi_arcache, s01_axi_arcache, s00_axi_arcache};
wire [8:0]                 s_axi_arprot = {s02_axi_arprot, s01_axi_arprot, s00_axi_arprot};
wire [2:0]                 s_axi_arvalid = {s02_axi_arvalid, s01_axi_arvalid, s00_axi_arvalid};
wire [2:0]                 s_axi_arready;
wire [3*S_ID_WIDTH-1:0]    s_axi_rid;
wire [3*DATA_WIDTH-1:0]    s_axi_rdata;
wire [5:0]                 s_axi_rresp;
wire [2:0]                 s_axi_rlast;
wire [2:0]                 s_axi_rvalid;
wire [2:0]                 s_axi_rready = {s02_axi_rready, s01_axi_rready, s00_axi_rready};

assign s00_axi_awready = s_axi_awready[0];
assign s01_axi_awready = s_axi_awready[1];
assign s02_axi_awready = s_axi_awready[2];
assign s00_axi_wready = s_axi_wready[0];
assign s01_axi_wready = s_axi_wready[1];
assign s02_axi_wready = s_axi_wready[2];
assign s00_axi_bid = s_axi_bid[0*S_ID_WIDTH +: S_ID_WIDTH];
assign s01_axi_bid = s_axi_bid[1*S_ID_WIDTH +: S_ID_WIDTH];
assign s02_axi_bid = s_axi_bid[2*S_ID_WIDTH +: S_ID_WIDTH];
assign s00_axi_bresp = s_axi_bresp[0 +: 2];
assign s01_axi_bresp = s_axi_bresp[2 +: 2];
assign s02_axi_bresp = s_axi_bresp[4 +: 2];
assign s00_axi_bvalid = s_axi_bvalid[0];
assign s01_axi_bvalid = s_axi_bvalid[1];
assign s02_axi_bvalid = s_axi_bvalid[2];
assign s00_axi_arready = s_axi_arready[0];
assign s01_axi_arready = s_axi_arready[1];
assign s02_axi_arready = s_axi_arready[2];
assign s00_axi_rid = s_axi_rid[0*S_ID_WIDTH +: S_ID_WIDTH];
assign s01_axi_rid = s_axi_rid[1*S_ID_WIDTH +: S_ID_WIDTH];
assign s02_axi_rid = s_axi_rid[2*S_ID_WIDTH +: S_ID_WIDTH];
assign s00_axi_rdata = s_axi_rdata[0*DATA_WIDTH +: DATA_WIDTH];
assign s01_axi_rdata = s_axi_rdata[1*DATA_WIDTH +: DATA_WIDTH];
assign s02_axi_rdata = s_axi_rdata[2*DATA_WIDTH +: DATA_WIDTH];
assign s00_axi_rresp = s_axi_rresp[0 +: 2];
assign s01_axi_rresp = s_axi_rresp[2 +: 2];
assign s02_axi_rresp = s_axi_rresp[4 +: 2];
assign s00_axi_rlast = s_axi_rlast[0];
assign s01_axi_rlast = s_axi_rlast[1];
assign s02_axi_rlast = s_axi_rlast[2];
assign s00_axi_rvalid = s_axi_rvalid[0];
assign s01_axi_rvalid = s_axi_rvalid[1];
assign s02_axi_rvalid = s_axi_rvalid[2];

axi_rd_arb #(
    .S_COUNT(S_COUNT),
    .DATA_WIDTH(DATA_WIDTH),
    .S_ID_WIDTH(S_ID_WIDTH),
    .M_ID_WIDTH(M_ID_WIDTH)
)
axi_rd_arb_inst (
    .clk(clk),
    .rst(rst),

    .s_axi_arid(s_axi_arid),
    .s_axi_araddr(s_axi_araddr),
    .s_axi_arlen(s_axi_arlen),
    .s_axi_arsize(s_axi_arsize),
    .s_axi_arburst(s_axi_arburst),
    .s_axi_arlock(s_axi_arlock),
    .s_axi_arcache(s_axi_arcache),
    .s_axi_arprot(s_axi_arprot),
    .s_axi_arvalid(s_axi_arvalid),
    .s_axi_arready(s_axi_arready),
    .s_axi_rid(s_axi_rid),
    .s_axi_rdata(s_axi_rdata),
    .s_axi_rresp(s_axi_rresp),
    .s_axi_rlast(s_axi_rlast),
    .s_axi_rvalid(s_axi_rvalid),
    .s_axi_rready(s_axi_rready),

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
    .S_COUNT(S_COUNT),
    .DATA_WIDTH(DATA_WIDTH),
    .S_ID_WIDTH(S_ID_WIDTH),
    .M_ID_WIDTH(M_ID_WIDTH),
    .W_FIFO_DEPTH(W_FIFO_DEPTH)
)
axi_wr_arb_inst (
    .clk(clk),
    .rst(rst),

    .s_axi_awid(s_axi_awid),
    .s_axi_awaddr(s_axi_awaddr),
    .s_axi_awlen(s_axi_awlen),
    .s_axi_awsize(s_axi_awsize),
    .s_axi_awburst(s_axi_awburst),
    .s_axi_awlock(s_axi_awlock),
    .s_axi_awcache(s_axi_awcache),
    .s_axi_awprot(s_axi_awprot),
    .s_axi_awvalid(s_axi_awvalid),
    .s_axi_awready(s_axi_awready),
    .s_axi_wdata(s_axi_wdata),
    .s_axi_wstrb(s_axi_wstrb),
    .s_axi_wlast(s_axi_wlast),
    .s_axi_wvalid(s_axi_wvalid),
    .s_axi_wready(s_axi_wready),
    .s_axi_bid(s_axi_bid),
    .s_axi_bresp(s_axi_bresp),
    .s_axi_bvalid(s_axi_bvalid),
    .s_axi_bready(s_axi_bready),

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
